import test from 'ava';
import { join } from 'node:path';
import { runScript } from '../helpers/cgi.js';
import { tempDir } from '../helpers/temp-dir.js';

test('counter.cgi starts at 1, sets a session cookie and counts up with it', async (t) => {
  const env = { CGI_SESSION_DIR: join(await tempDir(), 'sessions') };
  const first = await runScript('counter', { env });
  t.is(first.response.status, 200);
  t.regex(first.response.text, /<strong id="count">1<\/strong>/);
  t.regex(first.response.text, /new\s+session/);
  const cookie = first.response.header('set-cookie')!;
  t.regex(cookie, /^sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  const sid = cookie.slice(4, 47);
  const second = await runScript('counter', { env: { ...env, HTTP_COOKIE: `sid=${sid}` } });
  t.regex(second.response.text, /<strong id="count">2<\/strong>/);
  t.regex(second.response.text, /sent its session cookie/);
  t.is(second.response.header('set-cookie'), undefined);
  t.is(second.response.header('cache-control'), 'no-store');
});

test('counter.cgi over HTTPS uses a __Host- cookie', async (t) => {
  const env = { CGI_SESSION_DIR: join(await tempDir(), 'sessions'), HTTPS: 'on' };
  const first = await runScript('counter', { env });
  t.regex(first.response.header('set-cookie')!, /^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
});

test('counter.cgi refuses CGI_SESSION_DIR that is not absolute', async (t) => {
  const run = await runScript('counter', { env: { CGI_SESSION_DIR: 'sessions' } });
  t.is(run.response.status, 500);
  t.regex(run.stderr, /CGI_SESSION_DIR must be an absolute path/);
});
