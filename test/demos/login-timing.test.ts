// The log-in demo's promise: an unknown user name costs the same work and the same delay as a
// wrong password, so neither the answer nor its timing tells which names exist. Checked by
// tracing the work itself (scrypt calls, long timers) rather than by timing the requests.
import test from 'ava';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runScript } from '../helpers/cgi.js';

const TRACER = join(ROOT, 'test', 'fixtures', 'trace-password-work.cjs');

/** Logs in as `username` with `password` from a fresh session; resolves with the answer and the trace. */
async function attempt(username: string, password: string) {
  const work = await mkdtemp(join(tmpdir(), 'cgi-shim-login-'));
  const env = { CGI_SESSION_DIR: join(work, 'sessions') };
  const page = await runScript('login', { env });
  const cookie = page.response.headerAll('set-cookie').map((header) => header.split(';', 1)[0]).join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(page.response.text)?.[1] ?? '';
  const body = new URLSearchParams({ _csrf: token, action: 'login', username, password }).toString();
  const trace = join(work, 'trace');
  const run = await runScript('login', {
    env: {
      ...env, REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: String(body.length),
      HTTP_COOKIE: cookie, NODE_OPTIONS: `--require ${TRACER}`, CGI_SHIM_TRACE: trace,
    },
    stdin: body,
  });
  const text = await readFile(trace, 'utf8').catch(() => '');
  return { run, trace: text.trim().split('\n') };
}

test('login.cgi does the same work and waits the same for an unknown user as for a wrong password', async (t) => {
  const unknown = await attempt('nobody-such', 'analytical-engine');
  const wrong = await attempt('ada', 'not-her-password');
  t.is(unknown.run.response.status, 401, unknown.run.stderr);
  t.is(wrong.run.response.status, 401, wrong.run.stderr);
  t.regex(wrong.trace.join('\n'), /^scrypt N=16384 r=8 p=1 keylen=32 salt=16$/m);
  t.regex(wrong.trace.join('\n'), /^timer [0-9]+$/m);
  t.deepEqual(unknown.trace, wrong.trace);
  const message = (text: string) => /id="error">([^<]*)</.exec(text)?.[1];
  t.is(message(unknown.run.response.text), message(wrong.run.response.text));
});
