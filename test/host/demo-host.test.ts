import test from 'ava';
import { startDemoHost, waitForLogLine } from '../helpers/host.js';
import { WebClient } from '../helpers/web-client.js';

test('startDemoHost serves the built hello.cgi through the host', async (t) => {
  const host = await startDemoHost(t);
  const page = await new WebClient(host.url).get('/cgi-bin/hello.cgi?name=Ada');
  t.is(page.status, 200);
  t.regex(page.text, /<h1>Hello, Ada!<\/h1>/);
  t.truthy(await waitForLogLine(host.logLines, /^GET \/cgi-bin\/hello\.cgi\?name=Ada 200 [0-9]+ms$/));
});

test('startDemoHost redirects / to the index page', async (t) => {
  const host = await startDemoHost(t);
  const page = await new WebClient(host.url).get('/', { followRedirects: false });
  t.is(page.status, 302);
  t.is(page.headers.get('location'), '/cgi-bin/index.cgi');
});
