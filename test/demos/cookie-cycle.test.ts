import test from 'ava';
import { randomBytes } from 'node:crypto';
import { runScript } from '../helpers/cgi.js';
import { formTokenOf, postForm } from '../helpers/demo-forms.js';
import { readWire } from '../helpers/wire.js';

const ENV = { CGI_SECRET: randomBytes(32).toString('hex') };

async function visit(cookie?: string) {
  const run = await runScript('cookie-cycle', { env: { ...ENV, ...(cookie ? { HTTP_COOKIE: cookie } : {}) } });
  return { setCookie: run.response.header('set-cookie') ?? '', text: run.response.text };
}

test('cookie-cycle.cgi sets visit 1 with Max-Age on a first visit', async (t) => {
  const first = await visit();
  t.is(first.setCookie, 'cycle=1; Max-Age=60; Path=/cgi-bin/; HttpOnly; SameSite=Lax');
  t.is(readWire(first.text).cookie, '(no Cookie header)');
  t.regex(first.text, /First visit/);
});

test('cookie-cycle.cgi counts a return visit, showing the whole Cookie header with its own cookie marked', async (t) => {
  const again = await visit('flavor=ginger; cycle=1; sid=abc');
  t.regex(again.setCookie, /^cycle=2; Max-Age=60;/);
  t.regex(again.text, /<pre id="wire-cookie">Cookie: flavor=ginger; <mark>cycle=1<\/mark>; sid=abc<\/pre>/);
  t.regex(again.text, /Return visit/);
});

test('cookie-cycle.cgi deletes the cookie with Max-Age=0 on a POST with its form token, and only then', async (t) => {
  const token = await formTokenOf('cookie-cycle', ENV);
  const deleted = await postForm('cookie-cycle', ENV, `cycle=3; ${token.cookie}`, { _csrf: token.field });
  t.deepEqual(deleted.response.headerAll('set-cookie'), ['cycle=; Max-Age=0; Path=/cgi-bin/; HttpOnly; SameSite=Lax']);
  const forged = await postForm('cookie-cycle', ENV, 'cycle=3', { _csrf: token.field });
  t.is(forged.response.status, 403);
  t.deepEqual(forged.response.headerAll('set-cookie'), []);
  const linked = await runScript('cookie-cycle', { env: { ...ENV, HTTP_COOKIE: 'cycle=3', QUERY_STRING: 'action=delete' } });
  t.regex(linked.response.header('set-cookie') ?? '', /^cycle=4;/, 'a link counts a visit and deletes nothing');
});

test('cookie-cycle.cgi restarts on a forged value, shown escaped', async (t) => {
  const forged = await visit('cycle=<script>');
  t.regex(forged.setCookie, /^cycle=1;/);
  t.regex(forged.text, /Cookie: <mark>cycle=&lt;script&gt;<\/mark>/);
  t.regex(forged.text, /cannot read as a number/);
});

test('index.cgi links every demo and the checklist', async (t) => {
  const run = await runScript('index');
  for (const demo of ['hello', 'set-cookie', 'read-cookie', 'cookie-cycle', 'counter', 'questionnaire', 'login', 'cart', 'parking', 'signed-session', 'error', 'checklist']) {
    t.regex(run.response.text, new RegExp(`href="${demo}\\.cgi"`), demo);
  }
});
