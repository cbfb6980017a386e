import test from 'ava';
import { startDemoHost } from '../helpers/host.js';
import { WebClient } from '../helpers/web-client.js';

test('startDemoHost serves the built hello.cgi through the host', async (t) => {
  const host = await startDemoHost(t);
  const page = await new WebClient(host.url).get('/cgi-bin/hello.cgi?name=Ada');
  t.is(page.status, 200);
  t.regex(page.text, /<h1>Hello, Ada!<\/h1>/);
  t.true(host.logLines.some((line) => /^GET \/cgi-bin\/hello\.cgi\?name=Ada 200 [0-9]+ms$/.test(line)));
});

test('startDemoHost redirects / to the index page', async (t) => {
  const host = await startDemoHost(t);
  const page = await new WebClient(host.url).get('/', { followRedirects: false });
  t.is(page.status, 302);
  t.is(page.headers.get('location'), '/cgi-bin/index.cgi');
});
