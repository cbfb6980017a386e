// The classic first CGI script: answer every request with a greeting, and show the header block
// it printed before the page.
import { html } from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';

runDemo((request, response) => {
  const name = request.query.get('name') || 'world';
  showPage(response, `Hello, ${name}!`, html`
<p>This page was printed by a CGI script: it read <code>QUERY_STRING</code>
(<code id="query">${request.env.QUERY_STRING ?? ''}</code>) from its environment and wrote a header
block, a blank line and this HTML to its standard output. Try
<a href="hello.cgi?name=Ada">hello.cgi?name=Ada</a>.</p>`, { headerBlock: true });
});
