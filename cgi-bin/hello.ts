// The classic first CGI script: answer every request with a greeting.
import { html, run } from 'node-cgi-shim';

run((request, response) => {
  const name = request.query.get('name') || 'world';
  response.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello, ${name}!</h1>
<p>This page was printed by a CGI script: it read <code>QUERY_STRING</code> from its environment
and wrote a header block, a blank line and this HTML to its standard output.</p></body></html>
`);
});
