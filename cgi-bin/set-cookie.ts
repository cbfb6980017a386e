// Sets a cookie with every attribute worth knowing, and shows the exact header that did it.
import { html, run, serializeCookie, type CookieOptions } from 'node-cgi-shim';
import { page } from './_layout.js';

const FLAVORS = ['chocolate-chip', 'oatmeal', 'ginger', 'shortbread'];

run((request, response) => {
  const asked = request.query.get('flavor') ?? FLAVORS[0]!;
  const flavor = FLAVORS.includes(asked) ? asked : FLAVORS[0]!;
  const options: CookieOptions = {
    maxAgeSeconds: 3600, // One hour, then the browser forgets it.
    path: '/cgi-bin/', // Sent back to every script in cgi-bin, and nowhere else.
    httpOnly: true, // Page scripts cannot read it, so an XSS bug cannot steal it.
    sameSite: 'lax', // Not sent on cross-site POSTs: a first line against CSRF.
    secure: request.https, // Over HTTPS, never send it in clear text again.
  };
  response.setCookie('flavor', flavor, options);
  const header = serializeCookie('flavor', flavor, options);
  response.html(page('Set a cookie', html`
<p>This response carried the header:</p>
<pre id="set-cookie">Set-Cookie: ${header}</pre>
<p class="note">Your browser now keeps <code>flavor=${flavor}</code> for an hour and sends it back
with every request to a path under <code>/cgi-bin/</code>. It is <code>HttpOnly</code> (page
scripts cannot read it) and <code>SameSite=Lax</code> (other sites cannot post with it)${
  request.https ? html`, and <code>Secure</code> because you came over HTTPS` : ''}.</p>
<p>Choose another flavor: ${FLAVORS.map((f) => html`<a href="set-cookie.cgi?flavor=${f}">${f}</a> `)}</p>
<p>Then <a href="read-cookie.cgi">read it back</a>.</p>`));
});
