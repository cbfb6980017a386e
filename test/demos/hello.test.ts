import test from 'ava';
import { runScript } from '../helpers/cgi.js';
import { elementText } from '../helpers/wire.js';

test('hello.cgi greets the world with a valid CGI response', async (t) => {
  const run = await runScript('hello');
  t.is(run.code, 0);
  t.is(run.response.status, 200);
  t.is(run.response.header('content-type'), 'text/html; charset=utf-8');
  t.regex(run.response.text, /<h1>Hello, world!<\/h1>/);
  t.is(run.response.header('content-length'), String(run.response.body.length));
});

test('hello.cgi shows exactly the header block it printed, and links back to the index', async (t) => {
  for (const query of ['', 'name=Ada', `name=${'x'.repeat(5000)}`]) {
    const run = await runScript('hello', { env: { QUERY_STRING: query } });
    const printed = run.stdout.subarray(0, run.stdout.indexOf('\n\n')).toString();
    t.is(elementText(run.response.text, 'header-block'), printed, query.slice(0, 20));
  }
  const run = await runScript('hello');
  t.regex(run.response.text, /<a href="index\.cgi">/);
  t.regex(run.response.text, /<link rel="icon" href="data:image\/svg\+xml,/);
});

test('hello.cgi escapes the name it is given', async (t) => {
  const run = await runScript('hello', { env: { QUERY_STRING: 'name=%3Cscript%3E' } });
  t.regex(run.response.text, /Hello, &lt;script&gt;!/);
  t.notRegex(run.response.text, /<script>/);
});
