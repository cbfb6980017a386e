// Reads the cookies the browser sent in its Cookie header (CGI's HTTP_COOKIE) and lists every
// pair in the order it came, duplicates and malformed parts included, with the one the parser
// keeps for each name.
import { html, parseCookies, type SafeHtml } from 'node-cgi-shim';
import { runDemo, showPage } from './_layout.js';

runDemo((request, response) => {
  const raw = request.env.HTTP_COOKIE ?? '';
  const pairs = raw.split(';').map((pair) => pair.trim()).filter((pair) => pair !== '');
  const skipped = pairs.filter((pair) => !pair.includes('=') || pair.startsWith('='));
  const seen = new Set<string>();
  const rows = pairs.filter((pair) => !skipped.includes(pair)).map((pair) => {
    const name = pair.slice(0, pair.indexOf('='));
    const first = !seen.has(name);
    seen.add(name);
    // Each pair parsed alone: the value as request.cookies gives it (percent-decoded).
    const value = parseCookies(pair)[name];
    return html`<tr><td>${name}</td><td>${value}</td><td>${first ? 'kept' : 'ignored: the first of this name wins'}</td></tr>\n`;
  });
  const flavors = pairs.filter((pair) => pair.startsWith('flavor=')).length;
  showPage(response, 'Read cookies', html`
<p>The browser sent ${raw ? html`this <code>Cookie</code> header:` : html`no <code>Cookie</code> header at all.`}</p>
${raw ? html`<pre id="cookie-header">Cookie: ${raw}</pre>` : ''}
${rows.length ? html`<table id="cookies"><tr><th>name</th><th>value</th><th>request.cookies</th></tr>
${rows}</table>` : ''}
${skipped.length ? html`<p class="error" id="malformed">${skipped.length} malformed part(s) of the header
were ignored: ${skipped.map((pair) => html`<code>${pair}</code> `)}. The others still count.</p>` : ''}
<p class="note" id="flavor-note">${flavorNote(request.cookies.flavor, flavors)}</p>
<p>The header holds names and values only: no Path, no expiry, no flags. The browser chose which
cookies to send, by this URL's host and path, and left out the expired ones. A cookie whose Path
is <code>/cgi-bin/read-cookie.cgi</code> comes here and nowhere else.</p>
<p><a href="set-cookie.cgi">Set a flavor cookie</a> and come back.</p>`, { mark: ['flavor'] });
});

function flavorNote(flavor: string | undefined, count: number): SafeHtml {
  if (flavor === undefined) {
    return html`There is no <code>flavor</code> cookie: it was never set, has expired, or was set
for another path.`;
  }
  const twice = count > 1
    ? html` The browser sent ${count} of them, cookies of one name with different Paths: the one
with the longer Path comes first (RFC 6265 §5.4), and the first is the one a parser keeps.` : '';
  return html`Your <code>flavor</code> cookie says <strong id="flavor">${flavor}</strong>. The
server remembered nothing: your browser stored it and sent it back.${twice}`;
}
