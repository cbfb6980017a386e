// The start page (`cgi-shim serve` sends / here): links to the other scripts.
import { html, run } from 'node-cgi-shim';

run((_request, response) => {
  response.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CGI scripts</title></head>
<body><h1>CGI scripts</h1>
<ul><li><a href="hello.cgi">hello.cgi</a>: a form</li><li><a href="counter.cgi">counter.cgi</a>: a session</li></ul>
</body></html>
`);
});
