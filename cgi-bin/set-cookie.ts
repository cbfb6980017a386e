// Sets a cookie with the attributes you choose (its Path, and Max-Age, Expires or neither) and
// shows the exact header that did it. Setting a cookie changes what your browser holds, so it is
// a POST with a form token; the answer is a page, not a redirect, so you can see its Set-Cookie.
import { html, HttpError, serializeCookie, type CgiRequest, type CookieOptions } from 'node-cgi-shim';
import { checkFormToken, tokenField } from './_form-token.js';
import { runDemo, showPage } from './_layout.js';

const FLAVORS = ['chocolate-chip', 'oatmeal', 'ginger', 'shortbread'];
/** Where the cookie goes back to: every demo, or one script. */
const PATHS = ['/cgi-bin/', '/cgi-bin/read-cookie.cgi'];
/** How long it lives: the choices, with what each one adds to the header. */
const LIFETIMES = {
  'max-age': 'Max-Age=3600: one hour from now, counted by the browser',
  expires: 'Expires: an HTTP date one hour from now, judged by the browser\'s clock',
  session: 'neither: a browser-session cookie, gone when the browser closes',
  delete: 'Max-Age=0: delete the cookie of that name and path',
} as const;
const LIFETIME_SECONDS = 3600;

type Lifetime = keyof typeof LIFETIMES;

runDemo(async (request, response) => {
  let sent: string | undefined;
  let chosen: readonly string[] = [FLAVORS[0]!, PATHS[0]!, 'max-age'];
  if (request.method === 'POST') {
    const form = await request.form();
    await checkFormToken(request, form);
    const flavor = choice(form.fields.get('flavor'), FLAVORS, 'flavor');
    const path = choice(form.fields.get('path'), PATHS, 'path');
    const lifetime = choice(form.fields.get('lifetime'), Object.keys(LIFETIMES) as Lifetime[], 'lifetime');
    const options = cookieOptions(request, path, lifetime);
    sent = serializeCookie('flavor', lifetime === 'delete' ? '' : flavor, options);
    response.appendHeader('Set-Cookie', sent);
    chosen = [flavor, path, lifetime];
  }
  const radio = (name: string, value: string) => html`<input type="radio" name="${name}" value="${value}"${chosen.includes(value) ? html` checked` : ''}>`;
  const host = request.env.SERVER_NAME ?? 'this host';
  showPage(response, 'Set a cookie', html`
${sent === undefined ? '' : html`<p>This response carried the header:</p>
<pre id="set-cookie">Set-Cookie: ${sent}</pre>
<p class="note">Now see which requests bring it back: <a href="read-cookie.cgi">read-cookie.cgi</a>
and <a href="cookie-cycle.cgi">cookie-cycle.cgi</a>. Reloading this page sends the form again,
which sets the same cookie again: harmless, so this POST is answered with a page rather than a
redirect.</p>`}
<form method="post" action="set-cookie.cgi" id="choose">
${await tokenField(request, response)}
<fieldset><legend>Flavor</legend>
${FLAVORS.map((f) => html`<label>${radio('flavor', f)} ${f}</label> `)}
</fieldset>
<fieldset><legend>Path: which URLs get it back</legend>
${PATHS.map((p) => html`<label>${radio('path', p)} <code>${p}</code></label> `)}
</fieldset>
<fieldset><legend>Lifetime</legend>
${Object.entries(LIFETIMES).map(([value, label]) => html`<label>${radio('lifetime', value)} ${label}</label><br>`)}
</fieldset>
<button type="submit" id="set">Set the cookie</button>
</form>
<h2>What the attributes do</h2>
<ul>
<li><strong>Path</strong>: the browser sends a cookie only to URLs whose path starts with it.
<code>/cgi-bin/</code> reaches every demo; <code>/cgi-bin/read-cookie.cgi</code> only that one.
Set both and read-cookie.cgi gets two <code>flavor</code> cookies, the longer path first, while
cookie-cycle.cgi gets one.</li>
<li><strong>Max-Age or Expires</strong>: Max-Age counts seconds from when the browser got the
cookie; Expires names a moment, so a wrong clock on either side shifts it. With neither, the
cookie is a <em>browser-session</em> cookie, kept until the browser closes; with one, it is
<em>persistent</em> and outlives a restart. Max-Age=0 (or an Expires in the past) deletes it:
give the same name and Path, or the browser deletes nothing.</li>
<li><strong>Domain</strong>: left out, so every cookie here is <em>host-only</em>: sent to
<code>${host}</code> alone. With <code>Domain=example.org</code> a cookie would go to
example.org and every subdomain of it. A site may name only its own domain or a parent of it,
never a public suffix like <code>.com</code>, and on an IP address only the address itself.</li>
<li><strong>HttpOnly</strong>: page scripts cannot read it (<code>document.cookie</code> does not
show it), so a cross-site scripting bug cannot steal it. <strong>SameSite=Lax</strong>: not sent
with requests other sites start, except following a link. <strong>Secure</strong>: over HTTPS
only${request.https ? html` (added here: you came over HTTPS)` : ' (left out here: this is plain HTTP)'}.</li>
</ul>`, {
    mark: ['flavor'],
    story: sent === undefined
      ? html`Nothing is set until you send the form: a GET only shows it. The <code>csrf</code> cookie
(if you see one being set) holds this form's token, so that another site cannot post it for you.`
      : html`The browser stores this <code>flavor</code> cookie under its name, host and Path,
replacing one with the same three. The browser never sends the attributes back: the
<code>Cookie</code> header holds only names and values.`,
  });
}, { methods: ['GET', 'POST'] });

function cookieOptions(request: CgiRequest, path: string, lifetime: Lifetime): CookieOptions {
  const options: CookieOptions = { path, httpOnly: true, sameSite: 'lax', secure: request.https };
  if (lifetime === 'max-age') options.maxAgeSeconds = LIFETIME_SECONDS;
  if (lifetime === 'expires') options.expires = new Date(Date.now() + LIFETIME_SECONDS * 1000);
  if (lifetime === 'delete') options.maxAgeSeconds = 0;
  return options;
}

/** `value` if it is one of `allowed`; anything else is refused, never echoed into a header. */
function choice<T extends string>(value: string | null, allowed: readonly T[], name: string): T {
  if (value !== null && (allowed as readonly string[]).includes(value)) return value as T;
  throw new HttpError(400, `Choose a ${name} from the form.`);
}
