// The start page: every demo with one line about what it teaches, and the security checklist.
import { html } from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';

const DEMOS: ReadonlyArray<[script: string, title: string, about: string]> = [
  ['hello.cgi', 'Hello, world', 'The smallest CGI script: environment in, header block and HTML out.'],
  ['set-cookie.cgi', 'Set a cookie', 'Set-Cookie with a Path, Max-Age or Expires or neither, HttpOnly, SameSite and Secure.'],
  ['read-cookie.cgi', 'Read cookies', 'What the browser sends back in its Cookie header, duplicates and malformed parts included.'],
  ['cookie-cycle.cgi', 'The cookie cycle', 'First visit, return visit, expiry and deletion, request by request.'],
  ['counter.cgi', 'Visit counter', 'A server-side session: the cookie holds only a random ID, the count stays on the server; visitors told apart by cookie, not address.'],
  ['questionnaire.cgi', 'Questionnaire', 'The classic session recipe done properly: one question per page, answers in a locked session.'],
  ['login.cgi', 'Log in and out', 'Hashed passwords, a session ID renewed at log-in and destroyed at log-out.'],
  ['cart.cgi', 'Shopping cart', 'A cart kept in the session, with totals computed on the server.'],
  ['parking.cgi', 'Parking ticket', 'State kept by the client, signed by the server so it cannot be forged, and remembered when spent so it cannot be replayed.'],
  ['signed-session.cgi', 'Signed cookie or server session', 'The same data kept both ways: what the client can read, what it cannot change, how big it gets.'],
  ['error.cgi', 'A failing script', 'What the client sees when a script crashes, and what goes to the error log.'],
];

runDemo((_request, response) => {
  showPage(response, 'node-cgi-shim demos', html`
<p>Each demo is one TypeScript file in <code>cgi-bin/</code>, built into one executable CGI script.
Every page ends with what crossed the wire: the cookies your browser sent and the ones the page
set. Your browser's developer tools (Network tab) show the same headers.</p>
<ul id="demos">
${DEMOS.map(([script, title, about]) => html`<li><a href="${script}">${title}</a>: ${about}</li>\n`)}
</ul>
<p>Then walk through the <a href="checklist.cgi" id="checklist">security checklist</a>: each
practice, the demo that shows it, and what this runtime does by default.</p>`, { isIndex: true });
});
