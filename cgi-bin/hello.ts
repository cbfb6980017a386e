// The classic first CGI script: answer every request with a greeting, and show the header block
// it printed before the page. The name comes from the query string, or from a form posted to it.
import { html } from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';

runDemo(async (request, response) => {
  // Greeting someone changes nothing on the server, so a posted name needs no CSRF token.
  const posted = request.method === 'POST' ? (await request.form()).fields.get('name') : undefined;
  const name = posted || request.query.get('name') || 'world';
  const source = posted
    ? html`a form from its standard input (<code>CONTENT_LENGTH</code> = <code id="length">${request.contentLength}</code> bytes)`
    : html`<code>QUERY_STRING</code> (<code id="query">${request.env.QUERY_STRING ?? ''}</code>) from its environment`;
  showPage(response, `Hello, ${name}!`, html`
<p>This page was printed by a CGI script: it read ${source} and wrote a header block, a blank
line and this HTML to its standard output. Try <a href="hello.cgi?name=Ada">hello.cgi?name=Ada</a>,
or post a name:</p>
<form method="post" action="hello.cgi"><input name="name" value="Grace"> <button>Greet</button></form>`, { headerBlock: true });
});
