// The security checklist for cookies and sessions, as something to walk through: each practice,
// the demo that shows it, what to look at there, and what this runtime does by default.
import { html, type SafeHtml } from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';

interface Practice {
  practice: string;
  /** The demo that shows it. */
  demo: string;
  /** What to do or look at there. */
  check: SafeHtml;
  /** What the runtime does without being asked, or what the script must do. */
  runtime: SafeHtml;
}

const PRACTICES: readonly Practice[] = [
  {
    practice: 'Random, unguessable session IDs',
    demo: 'counter.cgi',
    check: html`The <code>sid</code> in the panel is 43 characters. Send a made-up one: the count starts at 1 with a new ID.`,
    runtime: html`256 bits from the system's secure random source; an ID the server did not issue is never adopted (strict mode).`,
  },
  {
    practice: 'Tell visitors apart by cookie, not by address',
    demo: 'counter.cgi',
    check: html`Open it in a second browser: same <code>REMOTE_ADDR</code>, another session, another count.`,
    runtime: html`Sessions are keyed by the cookie's ID only.`,
  },
  {
    practice: 'HttpOnly cookies',
    demo: 'set-cookie.cgi',
    check: html`Type <code>document.cookie</code> in the developer console: none of the demos' cookies shows.`,
    runtime: html`The session cookie is always <code>HttpOnly</code>; <code>setCookie</code> takes <code>httpOnly: true</code>.`,
  },
  {
    practice: 'Secure cookies over HTTPS',
    demo: 'set-cookie.cgi',
    check: html`Served over HTTPS, the header gains <code>Secure</code>. Over plain HTTP a cookie can be read on the way.`,
    runtime: html`With <code>HTTPS=on</code> the session cookie is <code>Secure</code> and named <code>__Host-sid</code> (this host only, Path=/).`,
  },
  {
    practice: 'SameSite',
    demo: 'parking.cgi',
    check: html`Post a form to a demo from another site: the cookies stay behind and the form is refused.`,
    runtime: html`Session cookies are <code>SameSite=Lax</code> (<code>sameSite: 'strict'</code> is an option).`,
  },
  {
    practice: 'CSRF tokens on every change',
    demo: 'questionnaire.cgi',
    check: html`Every form carries a hidden <code>_csrf</code>; send one without it and get 403. Starting the questionnaire is a form too, never a link.`,
    runtime: html`<code>csrfToken</code> and <code>verifyCsrf</code> for sessions (the script calls them); without a session the demos use a signed double-submit cookie (parking, set-cookie, cookie-cycle).`,
  },
  {
    practice: 'A new session ID at log-in',
    demo: 'login.cgi',
    check: html`The members' page shows the ID before and after logging in: they differ, and the old one names nothing.`,
    runtime: html`<code>session.regenerate()</code> (the script calls it): new ID, old file deleted, new CSRF token.`,
  },
  {
    practice: 'Destroy the session at log-out',
    demo: 'login.cgi',
    check: html`Log out, then send the old ID again: the members' page answers 401.`,
    runtime: html`<code>session.destroy()</code>: the file is deleted and the cookie expired.`,
  },
  {
    practice: 'Idle and absolute timeouts',
    demo: 'questionnaire.cgi',
    check: html`Leave it for 30 minutes mid-way: the answers are gone and the page says so.`,
    runtime: html`30 minutes idle, 8 hours in all; an expired session is never loaded. <code>cgi-shim gc</code> deletes the files from cron.`,
  },
  {
    practice: 'Escape all output',
    demo: 'questionnaire.cgi',
    check: html`Answer <code>&lt;script&gt;alert(1)&lt;/script&gt;</code>: the results show it as text.`,
    runtime: html`The <code>html</code> tag escapes every value; <code>response.html</code> takes nothing else.`,
  },
  {
    practice: 'Validate input on the server',
    demo: 'cart.cgi',
    check: html`Edit a form's item id or quantity: the server refuses it, and prices never come from the form.`,
    runtime: html`Malformed bodies get 400, 413 or 415 before the script runs; what the values mean, the script checks.`,
  },
  {
    practice: 'Lock the session across read-modify-write',
    demo: 'counter.cgi',
    check: html`Reload fast, in several tabs: no visit is lost (the tests send 100 at once).`,
    runtime: html`Each request holds the session's lock until its response is written; a lock held too long answers 503 with <code>Retry-After</code>.`,
  },
  {
    practice: 'Sign what the client keeps',
    demo: 'signed-session.cgi',
    check: html`Send the edited cookie value: refused. Decode the part before the dot: readable.`,
    runtime: html`<code>createSigner()</code>: HMAC-SHA256 with a key from <code>CGI_SECRET</code> or a key file made on first use.`,
  },
  {
    practice: 'Use client-held state only once',
    demo: 'parking.cgi',
    check: html`Keep a copy of the ticket, leave, put it back: refused as spent.`,
    runtime: html`Nothing by default: a signature cannot tell a copy. The script remembers spent ids (the demo, beside its sessions).`,
  },
  {
    practice: 'Keep cookies small',
    demo: 'signed-session.cgi',
    check: html`Add notes until the signed cookie stops growing at 4 KB; the session cookie stays 47 bytes.`,
    runtime: html`<code>serializeCookie</code> refuses a cookie over the 4096 bytes browsers keep.`,
  },
];

runDemo((_request, response) => {
  showPage(response, 'Security checklist', html`
<p>Each line is a practice for cookies and sessions, a demo where you can see it, what to do there,
and what this runtime does about it by default, or what a script has to do itself.</p>
<table id="checklist">
<tr><th>practice</th><th>see it in</th><th>what to do there</th><th>by default</th></tr>
${PRACTICES.map((p) => html`<tr><td>${p.practice}</td><td><a href="${p.demo}">${p.demo}</a></td><td>${p.check}</td><td>${p.runtime}</td></tr>\n`)}
</table>
<p class="note">Two more belong to the server rather than to a script: serve everything over
HTTPS, so no cookie crosses the network in clear text; and keep the sessions folder outside
every document root, readable by the server's user alone.</p>`);
});
