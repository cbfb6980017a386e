// The cookie cycle, request by request: what the browser sent in `Cookie`, what the script
// answered in `Set-Cookie`, and why. The cookie holds a visit number, so each step is visible.
import { html, run, serializeCookie, type CookieOptions } from 'node-cgi-shim';
import { page } from './_layout.js';

const NAME = 'cycle';
const LIFETIME_SECONDS = 60;

run((request, response) => {
  const sent = request.cookies[NAME];
  const action = request.query.get('action');
  const options: CookieOptions = { path: '/cgi-bin/', httpOnly: true, sameSite: 'lax', secure: request.https };
  let setCookie: string;
  let story;
  if (action === 'delete') {
    setCookie = serializeCookie(NAME, '', { ...options, maxAgeSeconds: 0 });
    story = html`You asked to delete the cookie. The script answered with <code>Max-Age=0</code>: a
lifetime already over, so the browser drops it. Your next request will send no <code>${NAME}</code>.`;
  } else {
    const visit = sent !== undefined && /^[1-9][0-9]{0,8}$/.test(sent) ? Number(sent) + 1 : 1;
    setCookie = serializeCookie(NAME, String(visit), { ...options, maxAgeSeconds: LIFETIME_SECONDS });
    story = sent === undefined
      ? html`<strong>First visit</strong> (or the cookie expired): the browser sent no <code>${NAME}</code>
cookie, so the script starts at 1 and sets it with <code>Max-Age=${LIFETIME_SECONDS}</code>.`
      : visit === 1
        ? html`The browser sent a <code>${NAME}</code> cookie the script cannot read as a number, so it
starts again at 1. Never trust a cookie's value: anyone can edit it.`
        : html`<strong>Return visit</strong>: the browser sent <code>${NAME}=${sent}</code> back, so the
script answers with visit ${visit} and a fresh ${LIFETIME_SECONDS} seconds. Wait a minute without
reloading and the browser will stop sending it: that is expiry.`;
  }
  response.appendHeader('Set-Cookie', setCookie);
  response.setHeader('Cache-Control', 'no-store');
  response.html(page('The cookie cycle', html`
<table>
<tr><th>the browser sent</th><td><pre id="sent">${sent === undefined ? '(no cycle cookie)' : `Cookie: ${NAME}=${sent}`}</pre></td></tr>
<tr><th>the script answered</th><td><pre id="answered">Set-Cookie: ${setCookie}</pre></td></tr>
</table>
<p class="note" id="story">${story}</p>
<p><a href="cookie-cycle.cgi">Visit again</a> · <a href="cookie-cycle.cgi?action=delete">Delete the cookie</a></p>
<p>Every step is one HTTP request: the server keeps nothing between them. The browser stores the
cookie and sends it back with each request whose path starts with <code>/cgi-bin/</code>, until
it expires or is deleted.</p>`));
});
