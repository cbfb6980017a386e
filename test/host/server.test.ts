import test from 'ava';
import { chmod, readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { startHost } from '../../src/host/server.js';
import { rawRequest, scriptEnv, startTestHost, waitForLogLine } from '../helpers/host.js';

test('startHost serves on a free port and prints its URL', async (t) => {
  const host = await startTestHost(t);
  t.true(host.port > 0);
  t.is(host.url, `http://127.0.0.1:${host.port}/`);
});

test('startHost passes the full CGI environment and runs the script in its folder', async (t) => {
  const host = await startTestHost(t, { hostEnv: { PATH: process.env.PATH, HOME: '/nowhere', CGI_SECRET: 'shh', CGI_SESSION_DIR: '/tmp/sessions' } });
  const response = await rawRequest(host, '/cgi-bin/env.cgi/extra/p%20i?a=1&b=two', {
    headers: { 'User-Agent': 'ava-test', Accept: ['text/html', 'application/json'], Cookie: 'x=1' },
  });
  t.is(response.status, 200);
  const { env, cwd } = scriptEnv(response);
  const dir = await realpath(host.dir);
  t.is(await realpath(cwd), dir);
  t.like(env, {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: String(host.port),
    SERVER_ADDR: '127.0.0.1',
    REQUEST_METHOD: 'GET',
    REQUEST_URI: '/cgi-bin/env.cgi/extra/p%20i?a=1&b=two',
    QUERY_STRING: 'a=1&b=two',
    SCRIPT_NAME: '/cgi-bin/env.cgi',
    SCRIPT_FILENAME: join(dir, 'env.cgi'),
    PATH_INFO: '/extra/p i',
    REMOTE_ADDR: '127.0.0.1',
    HTTP_USER_AGENT: 'ava-test',
    HTTP_ACCEPT: 'text/html, application/json',
    HTTP_COOKIE: 'x=1',
    CGI_SECRET: 'shh',
    CGI_SESSION_DIR: '/tmp/sessions',
  });
  t.regex(env.SERVER_SOFTWARE ?? '', /^node-cgi-shim\//);
  t.regex(env.REMOTE_PORT ?? '', /^[0-9]+$/);
  t.false('HOME' in env, 'nothing but the listed variables is inherited');
  t.false('CONTENT_LENGTH' in env, 'a GET without a body has no CONTENT_LENGTH');
  t.false('HTTPS' in env);
});

test('startHost sets QUERY_STRING even when empty', async (t) => {
  const host = await startTestHost(t);
  const { env } = scriptEnv(await rawRequest(host, '/cgi-bin/env.cgi'));
  t.is(env.QUERY_STRING, '');
  t.false('PATH_INFO' in env);
});

test('startHost never passes HTTP_PROXY, from a Proxy header or its own environment', async (t) => {
  const host = await startTestHost(t, { hostEnv: { PATH: process.env.PATH, HTTP_PROXY: 'http://evil.test:3128' } });
  const { env } = scriptEnv(await rawRequest(host, '/cgi-bin/env.cgi', { headers: { Proxy: 'http://evil.test:3128' } }));
  t.false('HTTP_PROXY' in env);
});

test('startHost sends the body on stdin with CONTENT_LENGTH and CONTENT_TYPE', async (t) => {
  const host = await startTestHost(t);
  const body = Buffer.from('name=Ada&bytes=\u00e9\u0000\u00ff');
  const echoed = await rawRequest(host, '/cgi-bin/echo.cgi', { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } });
  t.is(echoed.status, 200);
  t.deepEqual(echoed.body, body);
  const { env } = scriptEnv(await rawRequest(host, '/cgi-bin/env.cgi', { method: 'POST', body, headers: { 'Content-Type': 'text/plain' } }));
  t.is(env.CONTENT_LENGTH, String(body.length));
  t.is(env.CONTENT_TYPE, 'text/plain');
  t.false('HTTP_CONTENT_LENGTH' in env);
});

test('startHost buffers a chunked body to give its CONTENT_LENGTH', async (t) => {
  const host = await startTestHost(t);
  const body = 'a chunked body, sent in two writes';
  const echoed = await rawRequest(host, '/cgi-bin/echo.cgi', { method: 'POST', body, chunked: true });
  t.is(echoed.body.toString(), body);
  const { env } = scriptEnv(await rawRequest(host, '/cgi-bin/env.cgi', { method: 'POST', body, chunked: true }));
  t.is(env.CONTENT_LENGTH, String(body.length));
  t.false('HTTP_TRANSFER_ENCODING' in env);
});

test('startHost answers 413 to a body over the limit, declared or chunked', async (t) => {
  const host = await startTestHost(t, { maxBodyBytes: 100 });
  const body = 'x'.repeat(101);
  t.is((await rawRequest(host, '/cgi-bin/echo.cgi', { method: 'POST', body })).status, 413);
  t.is((await rawRequest(host, '/cgi-bin/echo.cgi', { method: 'POST', body, chunked: true })).status, 413);
  t.is((await rawRequest(host, '/cgi-bin/echo.cgi', { method: 'POST', body: 'x'.repeat(100) })).status, 200);
});

test('startHost translates Status, keeps several Set-Cookie apart and logs stderr with the script name', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/status.cgi');
  t.is(response.status, 418);
  t.deepEqual(response.headers['set-cookie'], ['a=1; Path=/', 'b=2; HttpOnly']);
  t.is(response.headers['x-custom'], 'yes');
  t.is(response.headers.status, undefined, 'the Status field itself is not sent');
  t.is(response.body.toString(), 'short and stout\n');
  t.truthy(await waitForLogLine(host.logLines, '[status.cgi] a warning for the error log'));
});

test('startHost shows control characters in a script\'s stderr escaped', async (t) => {
  const host = await startTestHost(t);
  await rawRequest(host, '/cgi-bin/status.cgi');
  t.truthy(await waitForLogLine(host.logLines, '[status.cgi] clear\\x1b[2J'));
});

test('startHost keeps the reason phrase the script gave', async (t) => {
  const host = await startTestHost(t);
  const response = await fetch(new URL('cgi-bin/status.cgi', host.url));
  t.is(response.statusText, 'I am a teapot');
});

test('startHost logs one line per request with method, path, status and time', async (t) => {
  const host = await startTestHost(t);
  await rawRequest(host, '/cgi-bin/status.cgi?x=1');
  t.truthy(await waitForLogLine(host.logLines, /^GET /));
  const lines = host.logLines.filter((line) => line.startsWith('GET '));
  t.is(lines.length, 1);
  t.regex(lines[0]!, /^GET \/cgi-bin\/status\.cgi\?x=1 418 [0-9]+ms$/);
});

test('startHost passes a client redirect on with 302', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/redirect.cgi?client');
  t.is(response.status, 302);
  t.is(response.headers.location, 'https://example.com/elsewhere');
});

test('startHost passes a redirect with a Status and a local path to the client', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/redirect.cgi?see-other');
  t.is(response.status, 303);
  t.is(response.headers.location, '/cgi-bin/env.cgi');
});

test('startHost serves a local redirect itself, as a GET with the same headers and no body', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/redirect.cgi?local', {
    method: 'POST', body: 'a=1', headers: { Cookie: 'sid=abc', 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  t.is(response.status, 200);
  t.is(response.headers.location, undefined);
  const { env } = scriptEnv(response);
  t.like(env, {
    REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/env.cgi', PATH_INFO: '/after', QUERY_STRING: 'from=local',
    REQUEST_URI: '/cgi-bin/env.cgi/after?from=local', HTTP_COOKIE: 'sid=abc',
  });
  t.false('CONTENT_LENGTH' in env);
  t.false('CONTENT_TYPE' in env);
});

test('startHost ends a loop of local redirects with 502', async (t) => {
  const host = await startTestHost(t);
  t.is((await rawRequest(host, '/cgi-bin/redirect.cgi?loop')).status, 502);
  t.true(host.logLines.some((line) => /local redirects/.test(line)));
});

test('startHost serves Location: //host/path as a path of its own, never a redirect to another host', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/redirect.cgi?protocol-relative');
  t.is(response.status, 404);
  t.is(response.headers.location, undefined);
});

test('startHost answers 421 to a request addressed to a name that is not its own (DNS rebinding)', async (t) => {
  const host = await startTestHost(t);
  for (const name of ['attacker.example', `attacker.example:${host.port}`, 'localhost.attacker.example', '127.0.0.2']) {
    const response = await rawRequest(host, '/cgi-bin/env.cgi', { headers: { Host: name } });
    t.is(response.status, 421, name);
    t.regex(response.body.toString(), /421 Misdirected Request[\s\S]*--allowed-host NAME/);
  }
  t.is((await rawRequest(host, '/', { headers: { Host: 'attacker.example' } })).status, 421, 'the index redirect too');
  for (const name of ['localhost', `LOCALHOST:${host.port}`, 'localhost.', '127.0.0.1', `[::1]:${host.port}`]) {
    t.is((await rawRequest(host, '/cgi-bin/env.cgi', { headers: { Host: name } })).status, 200, name);
  }
});

test('startHost answers the names given in allowedHosts, and the address it listens on', async (t) => {
  const host = await startTestHost(t, { host: '127.0.0.1', allowedHosts: ['dev.example', '::1'] });
  t.is((await rawRequest(host, '/cgi-bin/env.cgi', { headers: { Host: `Dev.Example:${host.port}` } })).status, 200);
  t.is((await rawRequest(host, '/cgi-bin/env.cgi', { headers: { Host: 'other.example' } })).status, 421);
});

test('startHost redirects / to the index, also as a local redirect', async (t) => {
  const host = await startTestHost(t, { indexPath: '/cgi-bin/env.cgi' });
  const root = await rawRequest(host, '/');
  t.is(root.status, 302);
  t.is(root.headers.location, '/cgi-bin/env.cgi');
  const local = await rawRequest(host, '/cgi-bin/redirect.cgi?index');
  t.is(local.status, 200);
  t.is(scriptEnv(local).env.QUERY_STRING, 'from=redirect');
});

for (const mode of ['no-header', 'no-blank-line', 'malformed', 'no-type', 'nothing']) {
  test(`startHost answers 502 to a script printing ${mode}`, async (t) => {
    const host = await startTestHost(t);
    const response = await rawRequest(host, `/cgi-bin/bad.cgi?${mode}`);
    t.is(response.status, 502);
    t.regex(response.body.toString(), /502 Bad Gateway/);
    t.true(host.logLines.some((line) => line.startsWith('[bad.cgi] bad output')));
  });
}

test('startHost kills a hung script, with what it started, and answers 504', async (t) => {
  const host = await startTestHost(t, { timeoutSeconds: 1 });
  const response = await rawRequest(host, '/cgi-bin/hang.cgi');
  t.is(response.status, 504);
  const child = Number(await readFile(join(host.dir, 'hang.pid'), 'utf8'));
  t.true(Number.isInteger(child) && child > 0);
  t.true(await isGone(child), `the script's child ${child} was killed too`);
});

test('startHost also kills a child that left the script\'s process group (setsid), and answers 504 without waiting for it', async (t) => {
  const host = await startTestHost(t, { timeoutSeconds: 1 });
  const response = await rawRequest(host, '/cgi-bin/escape.cgi?hang');
  t.is(response.status, 504);
  const escaped = await waitForNumber(join(host.dir, 'escaped.pid'));
  t.true(await isGone(escaped), `the escaped child ${escaped} was killed too`);
});

test('startHost ends a response when the script exits, not when a child it left holding stdout does', async (t) => {
  // A time limit longer than any test: the response must not wait for it.
  const host = await startTestHost(t, { timeoutSeconds: 600 });
  const response = await rawRequest(host, '/cgi-bin/escape.cgi?answer');
  t.is(response.status, 200);
  t.false(response.aborted);
  t.is(response.body.toString(), 'answered\n');
  const escaped = await waitForNumber(join(host.dir, 'escaped.pid'));
  t.true(await isGone(escaped), `the escaped child ${escaped} holding the pipe was ended`);
});

test('startHost cuts the connection of a script that hangs after starting its answer', async (t) => {
  const host = await startTestHost(t, { timeoutSeconds: 1 });
  const response = await rawRequest(host, '/cgi-bin/slow.cgi');
  t.is(response.status, 200);
  t.true(response.aborted, 'the client can tell the body is incomplete');
  t.is(response.body.toString(), 'part of a body\n');
});

test('startHost streams a body larger than a pipe buffer', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/big.cgi');
  t.is(response.status, 200);
  t.is(response.body.length, 3_000_000);
  t.false(response.aborted);
});

test('startHost answers HEAD with the headers only', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/length.cgi', { method: 'HEAD' });
  t.is(response.status, 200);
  t.is(response.headers['content-length'], '10');
  t.is(response.body.length, 0);
  t.false(response.aborted);
});

test('startHost cuts a body longer than its Content-Length to that length', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/length.cgi?long');
  t.is(response.body.toString(), '01234');
  t.true(host.logLines.some((line) => line.startsWith('[length.cgi] body longer than its Content-Length')));
});

test('startHost cuts the connection when a body is shorter than its Content-Length', async (t) => {
  const host = await startTestHost(t);
  const response = await rawRequest(host, '/cgi-bin/length.cgi?short');
  t.true(response.aborted);
  t.is(response.body.toString(), '0123456789');
});

for (const [path, status] of [
  ['/cgi-bin/../outside.cgi', 400],
  ['/cgi-bin/%2e%2e/outside.cgi', 400],
  ['/cgi-bin/%2E%2E/outside.cgi', 400],
  ['/cgi-bin/env.cgi/../../outside.cgi', 400],
  ['/cgi-bin/..%2foutside.cgi', 404],
  ['/cgi-bin/env.cgi%00.txt', 400],
  ['/outside.cgi', 404],
  ['/cgi-bin/', 404],
  ['/cgi-bin/missing.cgi', 404],
] as const) {
  test(`startHost refuses ${path} with ${status}`, async (t) => {
    const host = await startTestHost(t);
    await writeOutside(host.base);
    const response = await rawRequest(host, path);
    t.is(response.status, status);
    t.notRegex(response.body.toString(), /outside ran/);
  });
}

test('startHost refuses a symlink pointing out of the scripts folder', async (t) => {
  const host = await startTestHost(t);
  await symlink(await writeOutside(host.base), join(host.dir, 'link.cgi'));
  const response = await rawRequest(host, '/cgi-bin/link.cgi');
  t.is(response.status, 404);
  t.notRegex(response.body.toString(), /outside ran/);
});

test('startHost refuses a file that is not executable with 403', async (t) => {
  const host = await startTestHost(t);
  await chmod(join(host.dir, 'env.cgi'), 0o644);
  t.is((await rawRequest(host, '/cgi-bin/env.cgi')).status, 403);
});

test('startHost refuses a missing scripts folder', async (t) => {
  await t.throwsAsync(startHost({ dir: '/nonexistent/cgi-bin', port: 0, log: () => {} }), { code: 'EHOSTDIR' });
});

test('startHost refuses a bad port with a TypeError', async (t) => {
  await t.throwsAsync(startHost({ port: 70000 }), { instanceOf: TypeError, message: /option port/ });
});

test('startHost kills the script of a client that went away', async (t) => {
  const host = await startTestHost(t, { timeoutSeconds: 60 });
  const req = request({ host: '127.0.0.1', port: host.port, path: '/cgi-bin/hang.cgi' });
  req.on('error', () => { /* we cut it ourselves */ });
  req.end();
  const child = await waitForNumber(join(host.dir, 'hang.pid'));
  req.destroy();
  t.true(await isGone(child));
  t.truthy(await waitForLogLine(host.logLines, '[hang.cgi] the client went away; script stopped'));
});

test('startHost close() kills scripts still running', async (t) => {
  const host = await startTestHost(t, { timeoutSeconds: 60 });
  const pending = rawRequest(host, '/cgi-bin/hang.cgi').catch(() => undefined);
  const pidFile = join(host.dir, 'hang.pid');
  const child = await waitForNumber(pidFile);
  await host.close();
  await pending;
  t.true(await isGone(child));
});

/** An executable script outside the scripts folder, which must never run. */
async function writeOutside(base: string): Promise<string> {
  const file = join(base, 'outside.cgi');
  await writeFile(file, "#!/bin/sh\nprintf 'Content-Type: text/plain\\n\\noutside ran\\n'\n");
  await chmod(file, 0o755);
  return file;
}

/** Whether a process has ended (a zombie awaiting its reaper counts as ended); polls briefly,
 * since a killed process disappears asynchronously. */
async function isGone(pid: number): Promise<boolean> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    try {
      process.kill(pid, 0);
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
      if (/^\d+ \(.*\) Z/.test(stat)) return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

async function waitForNumber(file: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const text = await readFile(file, 'utf8').catch(() => '');
    if (/^[0-9]+\n$/.test(text)) return Number(text);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${file} never held a process id`);
}
