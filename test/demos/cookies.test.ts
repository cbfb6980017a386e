import test from 'ava';
import { randomBytes } from 'node:crypto';
import { parseCookies } from '../../src/core/cookies.js';
import { runScript } from '../helpers/cgi.js';
import { formTokenOf, postForm } from '../helpers/demo-forms.js';
import { readWire } from '../helpers/wire.js';

const ENV = { CGI_SECRET: randomBytes(32).toString('hex') };
const CHOICE = { flavor: 'ginger', path: '/cgi-bin/', lifetime: 'max-age' };

async function setFlavor(choice: Record<string, string>, env: Record<string, string> = {}) {
  const token = await formTokenOf('set-cookie', { ...ENV, ...env });
  return postForm('set-cookie', { ...ENV, ...env }, token.cookie, { ...choice, _csrf: token.field });
}

test('set-cookie.cgi shows its form on GET and sets no flavor', async (t) => {
  const run = await runScript('set-cookie', { env: ENV });
  t.is(run.response.status, 200);
  t.deepEqual(run.response.headerAll('set-cookie').map((c) => c.split('=')[0]), ['csrf']);
  t.regex(run.response.text, /<form method="post" action="set-cookie\.cgi" id="choose">/);
});

test('set-cookie.cgi sets the flavor cookie with the chosen attributes and shows the header', async (t) => {
  const run = await setFlavor(CHOICE);
  t.is(run.response.status, 200);
  const header = run.response.headerAll('set-cookie').find((c) => c.startsWith('flavor='));
  t.is(header, 'flavor=ginger; Max-Age=3600; Path=/cgi-bin/; HttpOnly; SameSite=Lax');
  t.regex(run.response.text, /<pre id="set-cookie">Set-Cookie: flavor=ginger; Max-Age=3600/);
  t.regex(run.response.text, /<pre id="wire-set-cookie">Set-Cookie: <mark>flavor=ginger<\/mark>; Max-Age=3600/);
  t.regex(run.response.text, /value="ginger" checked/, 'the form keeps the choice');
});

test('set-cookie.cgi: Expires, a browser-session cookie, one script\'s Path, deletion, and Secure over HTTPS', async (t) => {
  const flavor = async (choice: Record<string, string>, env?: Record<string, string>) =>
    (await setFlavor({ ...CHOICE, ...choice }, env)).response.headerAll('set-cookie').find((c) => c.startsWith('flavor='));
  t.regex((await flavor({ lifetime: 'expires' }))!, /^flavor=ginger; Path=\/cgi-bin\/; Expires=\w{3}, \d{2} \w{3} \d{4} [\d:]{8} GMT; HttpOnly; SameSite=Lax$/);
  t.is(await flavor({ lifetime: 'session', path: '/cgi-bin/read-cookie.cgi' }), 'flavor=ginger; Path=/cgi-bin/read-cookie.cgi; HttpOnly; SameSite=Lax');
  t.regex((await flavor({ lifetime: 'delete' }))!, /^flavor=; Max-Age=0; Path=\/cgi-bin\/;/);
  t.regex((await flavor({}, { HTTPS: 'on' }))!, /; Secure/);
});

test('set-cookie.cgi refuses a POST without its form token, and choices not on the form', async (t) => {
  const token = await formTokenOf('set-cookie', ENV);
  const bare = await postForm('set-cookie', ENV, '', { ...CHOICE });
  t.is(bare.response.status, 403);
  const wrong = await postForm('set-cookie', ENV, token.cookie, { ...CHOICE, _csrf: `${token.field}x` });
  t.is(wrong.response.status, 403);
  const unsigned = await postForm('set-cookie', ENV, 'csrf=made-up', { ...CHOICE, _csrf: 'made-up' });
  t.is(unsigned.response.status, 403, 'a cookie and field that agree but were not signed here');
  const odd = await postForm('set-cookie', ENV, token.cookie, { ...CHOICE, flavor: '<script>', _csrf: token.field });
  t.is(odd.response.status, 400);
  t.deepEqual(odd.response.headerAll('set-cookie'), []);
  t.notRegex(odd.response.text, /<script>/);
});

test('read-cookie.cgi lists every pair, duplicates with the one kept, and says which flavor wins', async (t) => {
  const run = await runScript('read-cookie', { env: { HTTP_COOKIE: 'flavor=oatmeal; session=12345; flavor=ginger' } });
  t.is(run.response.status, 200);
  t.regex(run.response.text, /<td>session<\/td><td>12345<\/td><td>kept<\/td>/);
  t.regex(run.response.text, /<td>flavor<\/td><td>ginger<\/td><td>ignored: the first of this name wins<\/td>/);
  t.regex(run.response.text, /<strong id="flavor">oatmeal<\/strong>/);
  t.regex(run.response.text, /sent 2 of them/);
  t.is(readWire(run.response.text).cookie, 'Cookie: flavor=oatmeal; session=12345; flavor=ginger');
});

test('read-cookie.cgi reads back what set-cookie.cgi set', async (t) => {
  const set = await setFlavor({ ...CHOICE, flavor: 'oatmeal' });
  const pair = set.response.headerAll('set-cookie').find((c) => c.startsWith('flavor='))!.split(';')[0]!;
  const read = await runScript('read-cookie', { env: { HTTP_COOKIE: pair } });
  t.is(parseCookies(pair).flavor, 'oatmeal');
  t.regex(read.response.text, /<strong id="flavor">oatmeal<\/strong>/);
});

test('read-cookie.cgi says so when no cookie was sent', async (t) => {
  const run = await runScript('read-cookie');
  t.regex(run.response.text, /no <code>Cookie<\/code> header at all/);
  t.is(readWire(run.response.text).cookie, '(no Cookie header)');
});

test('read-cookie.cgi reports malformed pairs and keeps the others, escaped', async (t) => {
  const run = await runScript('read-cookie', { env: { HTTP_COOKIE: '<b>junk</b>; flavor=<i>x</i>; =nameless' } });
  t.is(run.response.status, 200);
  t.regex(run.response.text, /id="malformed">2 malformed part/);
  t.regex(run.response.text, /<code>&lt;b&gt;junk&lt;\/b&gt;<\/code>/);
  t.regex(run.response.text, /<strong id="flavor">&lt;i&gt;x&lt;\/i&gt;<\/strong>/);
  t.notRegex(run.response.text, /<i>x<\/i>/);
});
