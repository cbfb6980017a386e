// The frame every demo shares: runDemo() runs a demo with framed error pages, and the page it
// chose with showPage() is rendered last, when the response's headers are final (after the
// session is saved), so its "on the wire" panel can show them. A module of the demos (the
// leading _ keeps the build from treating it as a script).
import {
  html, rawHtml, reasonPhrase, run, type CgiRequest, type CgiResponse, type CookieOptions, type Handler, type RunOptions, type SafeHtml,
} from 'node-cgi-shim';
import { renderWire, type WireOptions } from './_wire.js';

/** Options of {@link showPage}. */
export interface PageOptions extends WireOptions {
  /** Print the whole header block this response sends in the page (hello.cgi). */
  headerBlock?: boolean;
  /** The start page: no link to itself. */
  isIndex?: boolean;
}

interface ChosenPage {
  title: string;
  body: SafeHtml;
  options: PageOptions;
}

/** The page each response will show, chosen by the handler and rendered after it. */
const CHOSEN = new WeakMap<CgiResponse, ChosenPage>();

// Markup of our own, so it is passed through as it is.
const STYLE = rawHtml(`body{font:16px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:14px ui-monospace,monospace;background:#f4f4f4;border-radius:3px}
pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:.3rem 0}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
.note{background:#eef6ff;border-left:4px solid #48c;padding:.5rem .8rem}
.error{background:#fff0f0;border-left:4px solid #c44;padding:.5rem .8rem}
.wire{border:1px solid #c9c9c9;border-radius:6px;padding:.2rem 1rem .6rem;margin-top:2rem;background:#fcfcfa}
.wire h2{font-size:1.1rem}.wire table{width:100%;table-layout:fixed}mark{background:#ffe58a}
form.inline{display:inline}fieldset{border:1px solid #ccc;margin:.5rem 0}
nav{margin-bottom:1rem}`);

/** A cookie drawn as an SVG, inline, so no page makes the browser ask for /favicon.ico. */
const ICON = rawHtml(`<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='%23d39b5a'/%3E%3Ccircle cx='5.5' cy='5.5' r='1.2' fill='%234a2c12'/%3E%3Ccircle cx='10' cy='7' r='1' fill='%234a2c12'/%3E%3Ccircle cx='7' cy='10.5' r='1.1' fill='%234a2c12'/%3E%3C/svg%3E">`);

/**
 * Runs a demo: `run` with the demos' error pages and `Cache-Control: no-store` (every page
 * shows the cookies it was sent), and the page chosen with {@link showPage} rendered last.
 */
export function runDemo(handler: Handler, options: RunOptions = {}): void {
  run(async (request, response) => {
    response.setHeader('Cache-Control', 'no-store');
    await handler(request, response);
    // Registered after the handler, so it runs after the session's own finish hook has saved
    // the session and added its Set-Cookie.
    response.onFinish((ok) => {
      const chosen = CHOSEN.get(response);
      if (ok && chosen !== undefined) renderPage(request, response, chosen);
    });
  }, { errorPage: framedErrorPage, ...options });
}

/** Chooses this response's page; it is rendered once the handler is done (see runDemo). */
export function showPage(response: CgiResponse, title: string, body: SafeHtml, options: PageOptions = {}): void {
  CHOSEN.set(response, { title, body, options });
}

/** The demos' cookie attributes: back to every script in /cgi-bin/, hidden from page scripts, not
 * sent with cross-site POSTs, and Secure over HTTPS. */
export function demoCookieOptions(request: CgiRequest): CookieOptions {
  return { path: '/cgi-bin/', httpOnly: true, sameSite: 'lax', secure: request.https };
}

/** An amount in cents as dollars. */
export function money(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}

function renderPage(request: CgiRequest, response: CgiResponse, { title, body, options }: ChosenPage): void {
  const render = (headerBlock: string) => frame(title, html`${body}
${options.headerBlock ? html`<h2>The header block this script printed</h2>
<pre id="header-block">${headerBlock.trimEnd()}</pre>
<p class="note">Then a blank line, then this page. The web server turned <code>Status:</code> into
the response's status line and added headers of its own (<code>Date</code>, <code>Server</code>):
compare the response headers in your browser's developer tools.</p>` : ''}
${renderWire(request, response, options)}`, options.isIndex);
  if (!options.headerBlock) {
    response.html(render(''));
    return;
  }
  // The block names the body's length, and the body prints the block: render until they agree
  // (a few rounds at most, since only the digits of Content-Length can change).
  let block = '';
  for (let round = 0; round < 8; round++) {
    response.html(render(block));
    const next = response.toBytes(true).toString('latin1');
    if (next === block) return;
    block = next;
  }
  throw new Error('the header block did not settle');
}

/** A whole page around `body`; `isIndex` leaves out the link to the index itself. */
function frame(title: string, body: SafeHtml, isIndex = false): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title>${ICON}<style>${STYLE}</style></head>
<body>${isIndex ? '' : html`<nav><a href="index.cgi">← all demos</a></nav>`}
<h1>${title}</h1>
${body}
</body></html>
`;
}

/** The runtime's error pages (a 403, a 405, a crash) in the demos' frame. */
function framedErrorPage(status: number, message: string | undefined, details: string | undefined): SafeHtml {
  return frame(`${status} ${reasonPhrase(status)}`, html`
${message ? html`<p class="error" id="error-message">${message}</p>` : ''}
${details ? html`<pre id="error-details">${details}</pre>` : ''}
<p class="note">The runtime answered this request with an error page: the status, and a message
only when it is meant for you. What went wrong inside a script goes to the server's error log,
never into the page (unless <code>CGI_DEBUG=1</code> while learning).</p>
<p><a href="index.cgi">Back to all demos</a></p>`);
}
