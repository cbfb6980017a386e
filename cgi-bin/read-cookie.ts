// Reads the cookies the browser sent in its Cookie header (CGI's HTTP_COOKIE) and lists them,
// saying so when there are none or when part of the header was malformed.
import { html, run, type CgiRequest } from 'node-cgi-shim';
import { page } from './_layout.js';

run((request, response) => {
  const raw = request.env.HTTP_COOKIE ?? '';
  const names = Object.keys(request.cookies);
  const skipped = malformedPairs(raw);
  response.html(page('Read cookies', html`
<p>The browser sent ${raw ? html`this <code>Cookie</code> header:` : html`no <code>Cookie</code> header at all.`}</p>
${raw ? html`<pre id="cookie-header">Cookie: ${raw}</pre>` : ''}
${names.length ? html`<table id="cookies"><tr><th>name</th><th>value</th></tr>
${names.map((name) => html`<tr><td>${name}</td><td>${request.cookies[name]}</td></tr>`)}</table>` : ''}
${skipped.length ? html`<p class="error" id="malformed">${skipped.length} malformed part(s) of the header
were ignored: ${skipped.map((pair) => html`<code>${pair}</code> `)}. The others still count.</p>` : ''}
<p class="note">${flavorNote(request)}</p>
<p><a href="set-cookie.cgi">Set the flavor cookie</a> and come back.</p>`));
});

function flavorNote(request: CgiRequest) {
  const flavor = request.cookies.flavor;
  if (flavor === undefined) {
    return html`There is no <code>flavor</code> cookie: it was never set, has expired, or was set for
another path.`;
  }
  return html`Your <code>flavor</code> cookie says <strong id="flavor">${flavor}</strong>. The server
remembered nothing: your browser stored it and sent it back.`;
}

/** Pairs of the header the parser had to skip: no `=`, or an empty name. */
function malformedPairs(header: string): string[] {
  return header.split(';').map((pair) => pair.trim()).filter((pair) => pair !== '' && (!pair.includes('=') || pair.startsWith('=')));
}
