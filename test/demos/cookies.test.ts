import test from 'ava';
import { parseCookies } from '../../src/core/cookies.js';
import { runScript } from '../helpers/cgi.js';

test('set-cookie.cgi sets the flavor cookie with its attributes and shows the header', async (t) => {
  const run = await runScript('set-cookie', { env: { QUERY_STRING: 'flavor=ginger' } });
  const header = run.response.header('set-cookie');
  t.is(header, 'flavor=ginger; Max-Age=3600; Path=/cgi-bin/; HttpOnly; SameSite=Lax');
  t.regex(run.response.text, /<pre id="set-cookie">Set-Cookie: flavor=ginger; Max-Age=3600/);
});

test('set-cookie.cgi adds Secure over HTTPS', async (t) => {
  const run = await runScript('set-cookie', { env: { HTTPS: 'on' } });
  t.regex(run.response.header('set-cookie') ?? '', /; Secure/);
});

test('set-cookie.cgi only sets flavors it knows', async (t) => {
  const run = await runScript('set-cookie', { env: { QUERY_STRING: 'flavor=%3Cscript%3E' } });
  t.is(run.response.header('set-cookie')?.split(';')[0], 'flavor=chocolate-chip');
  t.notRegex(run.response.text, /<script>/);
});

test('read-cookie.cgi names the cookie it was sent', async (t) => {
  const run = await runScript('read-cookie', { env: { HTTP_COOKIE: 'session=12345' } });
  t.is(run.response.status, 200);
  t.regex(run.response.text, /<td>session<\/td><td>12345<\/td>/);
  t.regex(run.response.text, /There is no <code>flavor<\/code> cookie/);
});

test('read-cookie.cgi reads back what set-cookie.cgi set', async (t) => {
  const set = await runScript('set-cookie', { env: { QUERY_STRING: 'flavor=oatmeal' } });
  const pair = set.response.header('set-cookie')!.split(';')[0]!;
  const read = await runScript('read-cookie', { env: { HTTP_COOKIE: pair } });
  t.is(parseCookies(pair).flavor, 'oatmeal');
  t.regex(read.response.text, /<strong id="flavor">oatmeal<\/strong>/);
});

test('read-cookie.cgi says so when no cookie was sent', async (t) => {
  const run = await runScript('read-cookie');
  t.regex(run.response.text, /no <code>Cookie<\/code> header at all/);
});

test('read-cookie.cgi reports malformed pairs and keeps the others, escaped', async (t) => {
  const run = await runScript('read-cookie', { env: { HTTP_COOKIE: '<b>junk</b>; flavor=<i>x</i>; =nameless' } });
  t.is(run.response.status, 200);
  t.regex(run.response.text, /id="malformed">2 malformed part/);
  t.regex(run.response.text, /<code>&lt;b&gt;junk&lt;\/b&gt;<\/code>/);
  t.regex(run.response.text, /<strong id="flavor">&lt;i&gt;x&lt;\/i&gt;<\/strong>/);
  t.notRegex(run.response.text, /<i>x<\/i>/);
});
