// A visit counter kept in the session: each visitor (each browser with its own cookie) has a count
// that goes up by one per request, however many requests run at once. Beside it, the address the
// request came from: visitors are told apart by their cookie, never by their address.
import { html } from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';
import { openDemoSession, shortId } from './_wire.js';

runDemo(async (request, response) => {
  const session = await openDemoSession(request, response);
  const previous = Number(session.get('visits') ?? 0);
  const count = Number.isSafeInteger(previous) && previous >= 0 ? previous + 1 : 1;
  session.set('visits', count);
  const story = session.isNew
    ? html`Your browser sent no session cookie (or one naming no live session), so this is a new
session: the server made a fresh random ID, stored <code>{"visits": 1}</code> under it and sends the
ID back in a <code>Set-Cookie</code> header.`
    : html`Your browser sent its session cookie; the server locked that session, read
<code>{"visits": ${previous}}</code>, stored <code>{"visits": ${count}}</code> and released the lock.
No new cookie was needed.`;
  showPage(response, 'Visit counter', html`
<p>You have visited this page <strong id="count">${count}</strong> time${count === 1 ? '' : 's'}.</p>
<p>Reload to count again. Delete the cookie, or wait 30 minutes, and you start again at 1.</p>
<h2>Visitors, not addresses</h2>
<table id="visitor">
<tr><th>your address (<code>REMOTE_ADDR</code>)</th><td id="remote-addr">${request.remoteAddr || '(not given)'}</td></tr>
<tr><th>your session</th><td id="session-id">${shortId(session.id)}</td></tr>
</table>
<p class="note">Open this page in a second browser, or a private window, on the same machine: the
address stays the same, the session and the count do not. Everyone behind one home router, office
proxy or mobile carrier shares an address too, and one visitor's address can change mid-visit. So
the server tells visitors apart by the random ID their browser sends back, never by where the
request came from.</p>`, { story });
}, { methods: ['GET'] });
