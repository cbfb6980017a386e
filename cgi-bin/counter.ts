// A visit counter kept in the session: each visitor (each browser with its own cookie) has a count
// that goes up by one per request, however many requests run at once.
import { html, openSession, run } from 'node-cgi-shim';
import { page } from './_layout.js';

run(async (request, response) => {
  const session = await openSession(request, response);
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
  response.html(page('Visit counter', html`
<p>You have visited this page <strong id="count">${count}</strong> time${count === 1 ? '' : 's'}.</p>
<p class="note">${story}</p>
<p>Reload to count again. Delete the cookie, or wait 30 minutes, and you start again at 1.</p>`));
}, { methods: ['GET'] });
