import test from 'ava';
import { runScript } from '../helpers/cgi.js';

test('error.cgi answers a 500 page in the demos\' frame and reports the stack on stderr', async (t) => {
  const run = await runScript('error');
  t.is(run.code, 1);
  t.is(run.response.status, 500);
  t.is(run.response.header('cache-control'), 'no-store');
  t.regex(run.response.text, /<h1>500 Internal Server Error<\/h1>/);
  t.regex(run.response.text, /<a href="index\.cgi">/, 'a way back');
  t.notRegex(run.response.text, /price list|<pre|\bat /);
  t.regex(run.stderr, /^cgi-shim: GET \/cgi-bin\/error\.cgi: Error: price list unavailable/);
  t.regex(run.stderr, /\n\s+at /);
});

test('error.cgi shows the details in the page with CGI_DEBUG=1', async (t) => {
  const run = await runScript('error', { env: { CGI_DEBUG: '1' } });
  t.is(run.response.status, 500);
  t.regex(run.response.text, /<pre id="error-details">Error: price list unavailable[^<]*\n\s+at /);
});

test('a demo\'s 405 is framed too, with Allow', async (t) => {
  const run = await runScript('counter', { env: { REQUEST_METHOD: 'DELETE' } });
  t.is(run.response.status, 405);
  t.is(run.response.header('allow'), 'GET, HEAD');
  t.regex(run.response.text, /<h1>405 Method Not Allowed<\/h1>[\s\S]*<a href="index\.cgi">/);
});
