import test from 'ava';
import { startTestHost } from '../helpers/host.js';
import { WebClient } from '../helpers/web-client.js';

test('WebClient keeps cookies from Set-Cookie and sends them back', async (t) => {
  const host = await startTestHost(t);
  const client = new WebClient(host.url);
  const first = await client.get('/cgi-bin/status.cgi');
  t.deepEqual(first.setCookies, ['a=1; Path=/', 'b=2; HttpOnly']);
  const second = await client.get('/cgi-bin/env.cgi');
  // b has the default path /cgi-bin, longer than a's /, so it comes first (RFC 6265 §5.4).
  t.is((JSON.parse(second.text) as { env: Record<string, string> }).env.HTTP_COOKIE, 'b=2; a=1');
});

test('WebClient follows a 303 as a GET and records the redirect', async (t) => {
  const host = await startTestHost(t);
  const client = new WebClient(host.url);
  const page = await client.post('/cgi-bin/redirect.cgi?see-other', { a: '1' });
  t.is(page.status, 200);
  t.is(page.url, new URL('/cgi-bin/env.cgi', host.url).href);
  t.deepEqual(page.redirects, [new URL('/cgi-bin/redirect.cgi?see-other', host.url).href]);
  t.is((JSON.parse(page.text) as { env: Record<string, string> }).env.REQUEST_METHOD, 'GET');
});
