import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HttpError } from '../../src/base/errors.js';
import { run, type Handler, type RunOptions } from '../../src/adapters/cgi.js';
import { parseCgiOutput, ROOT } from '../helpers/cgi.js';

async function invoke(handler: Handler, options: RunOptions = {}) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const status = await run(handler, {
    env: { REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/t.cgi' }, stdin: Buffer.alloc(0),
    ...options, stdout: (c) => out.push(Buffer.from(c)), stderr: (c) => err.push(Buffer.from(c)),
  });
  return { status, response: parseCgiOutput(Buffer.concat(out)), stderr: Buffer.concat(err).toString(), writes: out.length };
}

test('run writes the handler\'s response once', async (t) => {
  const result = await invoke((_req, res) => { res.text('ok'); });
  t.is(result.status, 0);
  t.is(result.writes, 1);
  t.is(result.response.status, 200);
  t.is(result.response.text, 'ok');
  t.is(result.stderr, '');
});

test('run answers an unexpected error with a plain 500 page and logs the details', async (t) => {
  const result = await invoke((_req, res) => {
    res.setCookie('leak', '1');
    throw new Error('secret at /srv/app/db.ts');
  }, { env: { REQUEST_METHOD: 'POST', SCRIPT_NAME: '/cgi-bin/t.cgi', QUERY_STRING: 'a=1' } });
  t.is(result.status, 1);
  t.is(result.response.status, 500);
  t.notRegex(result.response.text, /secret|db\.ts|at /);
  t.is(result.response.header('set-cookie'), undefined);
  t.regex(result.stderr, /^cgi-shim: POST \/cgi-bin\/t\.cgi\?a=1: Error: secret at \/srv\/app\/db\.ts\n\s+at /);
});

test('run shows error details in the page in debug mode, escaped', async (t) => {
  const result = await invoke(() => { throw new Error('<b>detail</b>'); }, { debug: true });
  t.is(result.response.status, 500);
  t.regex(result.response.text, /&lt;b&gt;detail&lt;\/b&gt;/);
});

test('run turns on debug mode from CGI_DEBUG', async (t) => {
  const result = await invoke(() => { throw new Error('visible'); }, { env: { CGI_DEBUG: '1' } });
  t.regex(result.response.text, /visible/);
});

test('run answers an HttpError with its status, message and headers, without logging a 4xx', async (t) => {
  const result = await invoke(() => { throw new HttpError(429, 'Slow down, <you>.', { headers: { 'Retry-After': '5' } }); });
  t.is(result.status, 0);
  t.is(result.response.status, 429);
  t.is(result.response.header('retry-after'), '5');
  t.regex(result.response.text, /Slow down, &lt;you&gt;\./);
  t.is(result.stderr, '');
});

test('run hides the message of a 5xx HttpError unless it is exposed', async (t) => {
  const hidden = await invoke(() => { throw new HttpError(503, 'disk full at /var/x'); });
  t.is(hidden.response.status, 503);
  t.notRegex(hidden.response.text, /disk full/);
  t.regex(hidden.stderr, /disk full/);
  const shown = await invoke(() => { throw new HttpError(503, 'Busy, try again.', { expose: true }); });
  t.regex(shown.response.text, /Busy, try again\./);
});

test('run answers 405 with Allow for a method the script does not declare', async (t) => {
  const result = await invoke(() => t.fail('handler called'), { methods: ['GET', 'POST'], env: { REQUEST_METHOD: 'DELETE' } });
  t.is(result.response.status, 405);
  t.is(result.response.header('allow'), 'GET, POST, HEAD');
});

test('run lets HEAD through where GET is allowed, and sends no body', async (t) => {
  const result = await invoke((_req, res) => { res.text('hello'); }, { methods: ['GET'], env: { REQUEST_METHOD: 'HEAD' } });
  t.is(result.response.status, 200);
  t.is(result.response.header('content-length'), '5');
  t.is(result.response.body.length, 0);
});

test('run answers 413 before the handler for a body over the limit', async (t) => {
  const result = await invoke(() => t.fail('handler called'), {
    env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '2000' }, maxBodyBytes: 1000, stdin: Buffer.alloc(2000),
  });
  t.is(result.response.status, 413);
});

test('run answers 400 for a malformed CONTENT_LENGTH', async (t) => {
  const result = await invoke(() => t.fail('handler called'), { env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: 'ten' } });
  t.is(result.response.status, 400);
});

test('run answers 400 when stdin ends before CONTENT_LENGTH', async (t) => {
  const result = await invoke(async (req) => { await req.body(); }, {
    env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '100' }, stdin: Buffer.from('short'),
  });
  t.is(result.response.status, 400);
});

test('run calls finish hooks with ok=true after the handler, before writing', async (t) => {
  const calls: string[] = [];
  const result = await invoke((_req, res) => {
    res.onFinish((ok) => { calls.push(`first ${ok}`); res.setHeader('X-Hook', 'ran'); });
    res.onFinish((ok) => { calls.push(`second ${ok}`); });
    res.text('body');
  });
  t.deepEqual(calls, ['first true', 'second true']);
  t.is(result.response.header('x-hook'), 'ran');
});

test('run calls finish hooks with ok=false, once, when the handler fails', async (t) => {
  const calls: boolean[] = [];
  const result = await invoke((_req, res) => {
    res.onFinish((ok) => { calls.push(ok); });
    throw new Error('boom');
  });
  t.deepEqual(calls, [false]);
  t.is(result.response.status, 500);
});

test('run turns a failing finish hook into the error response and tells the later hooks', async (t) => {
  const calls: string[] = [];
  const result = await invoke((_req, res) => {
    res.onFinish(() => { calls.push('a'); throw new HttpError(503, 'Busy', { headers: { 'Retry-After': '2' } }); });
    res.onFinish((ok) => { calls.push(`b ${ok}`); });
    res.text('not sent');
  });
  t.deepEqual(calls, ['a', 'b false']);
  t.is(result.response.status, 503);
  t.is(result.response.header('retry-after'), '2');
});

test('run drains an unread body', async (t) => {
  const stdin = Buffer.from('0123456789');
  let request: { bodyRead: boolean } | undefined;
  await invoke((req, res) => { request = req; res.text('x'); }, { env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '10' }, stdin });
  t.true(request?.bodyRead);
});

test('run answers 400 when an unread body is truncated, and nothing is committed', async (t) => {
  const calls: boolean[] = [];
  const result = await invoke((_req, res) => { res.onFinish((ok) => { calls.push(ok); }); res.text('x'); }, {
    env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '100' }, stdin: Buffer.from('short'),
  });
  t.is(result.response.status, 400);
  t.deepEqual(calls, [false]);
});

test('run escapes control characters of the request line in the log, so a client cannot forge lines', async (t) => {
  const result = await invoke(() => { throw new Error('boom'); }, {
    env: { REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/t.cgi', PATH_INFO: '/x\ncgi-shim: GET /admin: forged\r' },
  });
  t.regex(result.stderr, /^cgi-shim: GET \/cgi-bin\/t\.cgi\/x\\x0acgi-shim: GET \/admin: forged\\x0d: Error: boom\n/);
  t.is(result.stderr.split('\n').filter((l) => l.startsWith('cgi-shim:')).length, 1);
});

test('a script run from its TypeScript source answers, and says on stderr to build it for a web server', async (t) => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cgi-bin/hello.ts'], {
    cwd: ROOT, env: { PATH: process.env.PATH, QUERY_STRING: 'name=Ada' },
  });
  t.regex(stdout, /<h1>Hello, Ada!<\/h1>/);
  t.regex(stderr, /cgi-bin\/hello\.ts runs from TypeScript source; for a web server, build it first: npx cgi-shim build/);
});
