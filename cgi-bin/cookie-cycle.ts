// The cookie cycle, request by request: the whole Cookie header the browser sent, with this
// demo's own cookie marked, what the script answered in Set-Cookie, and why. The cookie holds a
// visit number, so each step is visible. Counting a visit is what a GET is for; deleting the
// cookie is a change you ask for, so it is a POST with a form token.
import { html, serializeCookie, type SafeHtml } from 'node-cgi-shim';
import { checkFormToken, tokenField } from './_form-token.js';
import { demoCookieOptions, runDemo, showPage } from './_layout.js';

const NAME = 'cycle';
const LIFETIME_SECONDS = 60;

runDemo(async (request, response) => {
  const sent = request.cookies[NAME];
  const options = demoCookieOptions(request);
  let story: SafeHtml;
  if (request.method === 'POST') {
    await checkFormToken(request, await request.form());
    response.appendHeader('Set-Cookie', serializeCookie(NAME, '', { ...options, maxAgeSeconds: 0 }));
    story = html`You asked to delete the cookie. The script answered with <code>Max-Age=0</code>: a
lifetime already over, so the browser drops it. Your next request will send no <code>${NAME}</code>.`;
  } else {
    const visit = sent !== undefined && /^[1-9][0-9]{0,8}$/.test(sent) ? Number(sent) + 1 : 1;
    response.appendHeader('Set-Cookie', serializeCookie(NAME, String(visit), { ...options, maxAgeSeconds: LIFETIME_SECONDS }));
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
  showPage(response, 'The cookie cycle', html`
<p class="note" id="story">${story}</p>
<p><a href="cookie-cycle.cgi" id="again">Visit again</a></p>
<form method="post" action="cookie-cycle.cgi">${await tokenField(request, response)}<button type="submit" id="delete">Delete the cookie</button></form>
<p>Every step is one HTTP request: the server keeps nothing between them. Below, the whole
<code>Cookie</code> header your browser sent, with this demo's <code>${NAME}</code> cookie
marked among the others, and what this response set. The browser sends <code>${NAME}</code> back
with each request whose path starts with <code>/cgi-bin/</code>, until it expires or is deleted.</p>`, {
    mark: [NAME],
    story: html`The marked cookie is this demo's. The others belong to other demos under the same
Path (the browser sends every cookie that matches the URL) and this script ignores them.`,
  });
}, { methods: ['GET', 'POST'] });
