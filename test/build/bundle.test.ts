// Built scripts run as a web server runs them: child processes with a CGI environment.
import test from 'ava';
import { chmod, copyFile, mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_CGI_BIN, runScript } from '../helpers/cgi.js';
import { buildFixtures } from '../helpers/fixtures.js';

const fixtures = buildFixtures('after-response', 'big-output', 'echo-body', 'failures', 'console-output', 'load-failure');

test('a built script runs copied alone into an empty folder', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-alone-'));
  await copyFile(join(DIST_CGI_BIN, 'read-cookie.cgi'), join(dir, 'read-cookie.cgi'));
  await chmod(join(dir, 'read-cookie.cgi'), 0o755);
  t.deepEqual(await readdir(dir), ['read-cookie.cgi']);
  const run = await runScript(join(dir, 'read-cookie.cgi'), { env: { HTTP_COOKIE: 'session=12345' } });
  t.is(run.code, 0, run.stderr);
  t.is(run.response.status, 200);
  t.regex(run.response.text, /<td>session<\/td><td>12345<\/td>/);
});

test('a built script is ASCII only, and prints its non-ASCII text intact', async (t) => {
  // counter.cgi's page links back with "← all demos".
  const file = join(DIST_CGI_BIN, 'counter.cgi');
  const bytes = await readFile(file);
  t.true(bytes.every((byte) => byte < 0x80), 'a byte over 0x7f in the built file');
  const run = await runScript(file, { env: { CGI_SESSION_DIR: await mkdtemp(join(tmpdir(), 'cgi-shim-ascii-')) } });
  t.is(run.code, 0, run.stderr);
  t.true(run.response.text.includes('\u2190 all demos'));
});

test('a multi-megabyte body reaches the pipe whole', async (t) => {
  const size = 5 * 1024 * 1024 + 17;
  const run = await runScript(join(await fixtures, 'big-output.cgi'), { env: { QUERY_STRING: `size=${size}` } });
  t.is(run.code, 0);
  t.is(run.response.body.length, size);
  t.is(run.response.header('content-length'), String(size));
  t.is(run.response.body[size - 1], 0x61 + ((size - 1) % 26));
});

test('the body is read from stdin up to exactly CONTENT_LENGTH', async (t) => {
  const run = await runScript(join(await fixtures, 'echo-body.cgi'), {
    env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '5', CONTENT_TYPE: 'text/plain' }, stdin: 'hello world',
  });
  t.deepEqual(JSON.parse(run.response.text), { length: 5, text: 'hello' });
});

test('truncated stdin answers 400, without hanging', async (t) => {
  const run = await runScript(join(await fixtures, 'echo-body.cgi'), {
    env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '50', CONTENT_TYPE: 'text/plain' }, stdin: 'only this',
  });
  t.is(run.response.status, 400);
  t.regex(run.response.text, /ended after 9 of 50 bytes/);
});

test('an oversize body answers 413, a bad CONTENT_LENGTH 400', async (t) => {
  const script = join(await fixtures, 'echo-body.cgi');
  const big = await runScript(script, { env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: '5000' }, stdin: 'x'.repeat(5000) });
  t.is(big.response.status, 413);
  for (const value of ['-5', 'abc', '1e2']) {
    const bad = await runScript(script, { env: { REQUEST_METHOD: 'POST', CONTENT_LENGTH: value }, stdin: 'x' });
    t.is(bad.response.status, 400, value);
  }
});

test('a method the script does not declare answers 405', async (t) => {
  const run = await runScript(join(await fixtures, 'echo-body.cgi'), { env: { REQUEST_METHOD: 'PUT' } });
  t.is(run.response.status, 405);
  t.is(run.response.header('allow'), 'GET, POST, HEAD');
});

test('a multipart upload is parsed from stdin', async (t) => {
  const body = '--b\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nfile text\r\n' +
    '--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n<y>\r\n--b--\r\n';
  const run = await runScript(join(await fixtures, 'echo-body.cgi'), {
    env: { REQUEST_METHOD: 'POST', QUERY_STRING: 'form', CONTENT_TYPE: 'multipart/form-data; boundary=b', CONTENT_LENGTH: String(body.length) },
    stdin: body,
  });
  const parsed = JSON.parse(run.response.text);
  t.deepEqual(parsed.fields, [['x', '<y>']]);
  t.is(parsed.files[0].filename, 'a.txt');
  t.is(parsed.files[0].data, 'file text');
});

test('an uncaught error gives a 500 page without internals and the details on stderr', async (t) => {
  const run = await runScript(join(await fixtures, 'failures.cgi'), { env: { QUERY_STRING: 'mode=throw' } });
  t.is(run.response.status, 500);
  t.notRegex(run.response.text, /secret|private\.ts/);
  t.is(run.response.header('set-cookie'), undefined);
  t.regex(run.stderr, /secret detail at \/srv\/app\/private\.ts/);
  t.is(run.code, 1);
});

test('an error thrown from a timer still gives a 500 page', async (t) => {
  const run = await runScript(join(await fixtures, 'failures.cgi'), { env: { QUERY_STRING: 'mode=timer' } });
  t.is(run.response.status, 500);
  t.regex(run.stderr, /thrown from a timer/);
});

test('work a script leaves after its response still finishes before the process ends', async (t) => {
  const run = await runScript(join(await fixtures, 'after-response.cgi'));
  t.is(run.code, 0, run.stderr);
  t.is(run.response.text, 'fine');
  t.is(run.stderr, 'timer done\nbeforeExit work done\nexit listener ran with 0\n');
});

test('a handler that never settles gives a 500 page instead of no output', async (t) => {
  const run = await runScript(join(await fixtures, 'failures.cgi'), { env: { QUERY_STRING: 'mode=never' } });
  t.is(run.response.status, 500);
  t.regex(run.stderr, /never finished/);
});

test('HTTP_PROXY never reaches the script', async (t) => {
  const run = await runScript(join(await fixtures, 'echo-body.cgi'), {
    env: { HTTP_PROXY: 'http://evil.example:3128', QUERY_STRING: 'proxy' },
  });
  t.deepEqual(JSON.parse(run.response.text), { env: null, requestEnv: null, header: null });
});

test('console output goes to stderr, at load and in the handler, and the response stays whole', async (t) => {
  const run = await runScript(join(await fixtures, 'console-output.cgi'));
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout.toString(), 'Status: 200 OK\nContent-Type: text/plain; charset=utf-8\nContent-Length: 8\n\nthe body');
  for (const line of ['starting', 'info: at load', 'debug: x', 'debug line', "{ dir: 'object' }", "│ table │", 'counted: 1', 'a warning']) {
    t.true(run.stderr.includes(line), `stderr lacks ${line}: ${run.stderr}`);
  }
});

test('a script that throws as it loads answers the safe 500 page and logs the error', async (t) => {
  const run = await runScript(join(await fixtures, 'load-failure.cgi'), { env: { SCRIPT_NAME: '/cgi-bin/load-failure.cgi' } });
  t.is(run.code, 1);
  t.is(run.response.status, 500);
  t.notRegex(run.response.text, /price list/);
  t.regex(run.stderr, /^cgi-shim: GET \/cgi-bin\/load-failure\.cgi: Error: price list missing at load\n\s+at readPriceList /);
});

test('a stack trace names the functions of the script and of the runtime', async (t) => {
  const run = await runScript(join(await fixtures, 'load-failure.cgi'));
  t.regex(run.stderr, /\n\s+at readPriceList \(/);
  const handler = await runScript(join(await fixtures, 'failures.cgi'), { env: { QUERY_STRING: 'mode=throw' } });
  t.regex(handler.stderr, /\n\s+at handleRequest \(/);
});
