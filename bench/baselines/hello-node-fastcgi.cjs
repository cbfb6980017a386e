// Baseline for the FastCGI benchmark: cgi-bin/hello.ts's page from node-fastcgi 2.0.0, the library
// as shipped, as its README shows it. The benchmark bundles this file (with the library) and
// runs it as a daemon: node hello-node-fastcgi.cjs <socket path>.
'use strict';
const fcgi = require('node-fastcgi');

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escape = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

fcgi.createServer((req, res) => {
  const name = new URLSearchParams(req.cgiParams.QUERY_STRING ?? '').get('name') || 'world';
  const body = Buffer.from(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>
<body><h1>Hello, ${escape(name)}!</h1>
<p>This page was printed by a CGI script: it read <code>QUERY_STRING</code> from its environment
and wrote a header block, a blank line and this HTML to its standard output.</p></body></html>
`);
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': body.length });
  res.end(body);
}).listen(process.argv[2]);
