import test from 'ava';
import { runScript } from '../helpers/cgi.js';

async function visit(cookie?: string, query = '') {
  const run = await runScript('cookie-cycle', { env: { QUERY_STRING: query, ...(cookie ? { HTTP_COOKIE: cookie } : {}) } });
  return { setCookie: run.response.header('set-cookie') ?? '', text: run.response.text };
}

test('cookie-cycle.cgi sets visit 1 with Max-Age on a first visit', async (t) => {
  const first = await visit();
  t.is(first.setCookie, 'cycle=1; Max-Age=60; Path=/cgi-bin/; HttpOnly; SameSite=Lax');
  t.regex(first.text, /<pre id="sent">\(no cycle cookie\)<\/pre>/);
  t.regex(first.text, /First visit/);
});

test('cookie-cycle.cgi counts a return visit from the cookie sent back', async (t) => {
  const again = await visit('cycle=1');
  t.regex(again.setCookie, /^cycle=2; Max-Age=60;/);
  t.regex(again.text, /<pre id="sent">Cookie: cycle=1<\/pre>/);
  t.regex(again.text, /Return visit/);
});

test('cookie-cycle.cgi deletes the cookie with Max-Age=0', async (t) => {
  const deleted = await visit('cycle=3', 'action=delete');
  t.regex(deleted.setCookie, /^cycle=; Max-Age=0;/);
});

test('cookie-cycle.cgi restarts on a forged value, shown escaped', async (t) => {
  const forged = await visit('cycle=<script>');
  t.regex(forged.setCookie, /^cycle=1;/);
  t.regex(forged.text, /Cookie: cycle=&lt;script&gt;/);
  t.regex(forged.text, /cannot read as a number/);
});

test('index.cgi links every demo', async (t) => {
  const run = await runScript('index');
  for (const demo of ['hello', 'set-cookie', 'read-cookie', 'cookie-cycle', 'counter', 'questionnaire', 'login', 'cart', 'parking']) {
    t.regex(run.response.text, new RegExp(`href="${demo}\\.cgi`), demo);
  }
});
