import test from 'ava';
import { ConfigError, HttpError } from '../../src/base/errors.js';
import { describeError, handleRequest, logFailure } from '../../src/core/pipeline.js';

const ENV = { REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/t.cgi' };

test('describeError keeps a message with line breaks on its own line', (t) => {
  const forged = '\n[Tue Dec 01 00:00:00 2026] [auth:error] forged';
  const error = new TypeError(`argument path is invalid: /x${forged}`, { cause: new Error(`deeper${forged}`) });
  const lines = describeError(error).split('\n');
  t.regex(lines[0]!, /^TypeError: argument path is invalid: \/x\\x0a\[Tue Dec/);
  // Every other line is an indented stack frame or a cause, never text of the message.
  for (const line of lines.slice(1)) t.regex(line, /^( {4}at |caused by: Error: deeper\\x0a\[Tue)/);
  t.true(lines.some((line) => line.startsWith('caused by: ')));
});

test('describeError describes a thrown value that is not an Error', (t) => {
  t.is(describeError('a\nb'), 'thrown value: a\\x0ab');
});

test('logFailure names the request with its controls escaped, and cuts a huge entry at 8 KiB', (t) => {
  const entries: string[] = [];
  logFailure((entry) => entries.push(entry), { ...ENV, PATH_INFO: '/a\nb', QUERY_STRING: 'q=1' }, new Error('x'.repeat(20_000)));
  t.is(entries.length, 1);
  t.true(entries[0]!.startsWith('cgi-shim: GET /cgi-bin/t.cgi/a\\x0ab?q=1: Error: xxx'));
  t.true(entries[0]!.endsWith('… (cut)'));
  t.true(entries[0]!.length <= 8192 + '… (cut)'.length);
});

test('logFailure writes a ConfigError as one line: what was found and the fix, no stack', (t) => {
  const entries: string[] = [];
  const error = new ConfigError('ESESSIONDIR', 'the sessions folder /x is owned by uid 7\nforged; fix: chown it');
  logFailure((entry) => entries.push(entry), ENV, error);
  t.deepEqual(entries, ['cgi-shim: GET /cgi-bin/t.cgi: the sessions folder /x is owned by uid 7\\x0aforged; fix: chown it']);
});

test('handleRequest answers a ConfigError with a bare 500, not a 503 to retry', async (t) => {
  const logged: string[] = [];
  const outcome = await handleRequest(() => { throw new ConfigError('ESESSIONDIR', 'bad folder; fix: another'); }, ENV, Buffer.alloc(0), {}, (entry) => logged.push(entry));
  t.is(outcome.response.status, 500);
  t.is(outcome.response.getHeader('retry-after'), undefined);
  t.false(outcome.response.toBytes().toString().includes('bad folder'));
  t.deepEqual(logged, ['cgi-shim: GET /cgi-bin/t.cgi: bad folder; fix: another']);
});

test('handleRequest turns a handler that throws into a 500 page without the message', async (t) => {
  const logged: string[] = [];
  const outcome = await handleRequest(() => { throw new Error('secret'); }, ENV, Buffer.alloc(0), {}, (entry) => logged.push(entry));
  t.true(outcome.failed);
  t.is(outcome.response.status, 500);
  t.false(outcome.response.toBytes().toString().includes('secret'));
  t.regex(logged.join('\n'), /Error: secret/);
});

test('handleRequest answers an HttpError with its status, not as a failure, and logs nothing for a 4xx', async (t) => {
  const logged: string[] = [];
  const outcome = await handleRequest(() => { throw new HttpError(404, 'No such ticket.'); }, ENV, Buffer.alloc(0), {}, (entry) => logged.push(entry));
  t.false(outcome.failed);
  t.is(outcome.response.status, 404);
  t.regex(outcome.response.toBytes().toString(), /No such ticket\./);
  t.deepEqual(logged, []);
});

test('handleRequest leaves out the body of a HEAD request', async (t) => {
  const outcome = await handleRequest((_req, res) => { res.text('hello'); }, { ...ENV, REQUEST_METHOD: 'HEAD' }, Buffer.alloc(0), {}, () => {});
  t.true(outcome.omitBody);
  t.is(outcome.response.toBytes(outcome.omitBody).toString().split('\n\n')[1], '');
});
