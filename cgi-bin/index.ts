// The start page: every demo with one line about what it teaches.
import { html, run } from 'node-cgi-shim';
import { page } from './_layout.js';

const DEMOS: ReadonlyArray<[script: string, title: string, about: string]> = [
  ['hello.cgi', 'Hello, world', 'The smallest CGI script: environment in, header block and HTML out.'],
  ['set-cookie.cgi', 'Set a cookie', 'A Set-Cookie header with Max-Age, Path, HttpOnly, SameSite and Secure.'],
  ['read-cookie.cgi', 'Read cookies', 'What the browser sends back in its Cookie header, malformed parts included.'],
  ['cookie-cycle.cgi', 'The cookie cycle', 'First visit, return visit, expiry and deletion, request by request.'],
  ['counter.cgi', 'Visit counter', 'A server-side session: the cookie holds only a random ID, the count stays on the server.'],
  ['questionnaire.cgi?start=1', 'Questionnaire', 'The classic session recipe done properly: one question per page, answers in a locked session.'],
  ['login.cgi', 'Log in and out', 'Hashed passwords, a session renewed at log-in and destroyed at log-out.'],
  ['cart.cgi', 'Shopping cart', 'A cart kept in the session, with totals computed on the server.'],
  ['parking.cgi', 'Parking ticket', 'State kept by the client but signed by the server, so it cannot be forged.'],
  ['error.cgi', 'A failing script', 'What the client sees when a script crashes, and what goes to the error log.'],
];

run((_request, response) => {
  response.html(page('node-cgi-shim demos', html`
<p>Each demo is one TypeScript file in <code>cgi-bin/</code>, built into one executable CGI script.
Open your browser's developer tools (Network tab) to watch the headers go back and forth.</p>
<ul id="demos">
${DEMOS.map(([script, title, about]) => html`<li><a href="${script}">${title}</a>: ${about}</li>\n`)}
</ul>`, true));
});
