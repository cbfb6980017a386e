// The "on the wire" panel of every demo page: the Cookie header this request brought, exactly as
// received, every Set-Cookie the response sends, and for session demos the session before and
// after this request, with secrets masked. A module of the demos.
import {
  html, openSession, rawHtml, type CgiRequest, type CgiResponse, type SafeHtml, type Session, type SessionOptions,
} from 'node-cgi-shim';

/** What a demo adds to its panel. */
export interface WireOptions {
  /** What changed on the wire and why, in one to three sentences. @default said from the headers */
  story?: SafeHtml;
  /** Names of the cookies the demo is about, marked in the panel. */
  mark?: readonly string[];
}

/** A session as it was when the request opened it. */
interface Before {
  session: Session;
  /** Whether the browser sent a session cookie at all. */
  cookieSent: boolean;
  /** The ID and masked data of the live session the cookie named, if it named one. */
  id?: string;
  data?: string;
}

/** The session cookie's names: the default, and its HTTPS form. */
const SESSION_COOKIES = ['sid', '__Host-sid'];
/** Session keys whose values the panel hides: the CSRF token, anything like a password. */
const SECRET_KEY = /^_csrf$|password|hash|secret/i;

const BEFORE = new WeakMap<CgiResponse, Before>();

/** Opens the session (see openSession) and remembers what it held before this request. */
export async function openDemoSession(request: CgiRequest, response: CgiResponse, options?: SessionOptions): Promise<Session> {
  const session = await openSession(request, response, options);
  if (!BEFORE.has(response)) {
    const cookieSent = SESSION_COOKIES.some((name) => request.cookies[name] !== undefined);
    BEFORE.set(response, session.isNew ? { session, cookieSent } : { session, cookieSent, id: session.id, data: describeData(session.data) });
  }
  return session;
}

/** The panel, from the request and the response's final headers (see runDemo). */
export function renderWire(request: CgiRequest, response: CgiResponse, options: WireOptions): SafeHtml {
  const cookie = request.env.HTTP_COOKIE;
  const setCookies = response.getHeaderValues('Set-Cookie');
  const mark = options.mark ?? [];
  const before = BEFORE.get(response);
  return html`<section class="wire" id="wire">
<h2>On the wire</h2>
<table>
<tr><th>Your browser sent</th></tr>
<tr><td><pre id="wire-cookie">${cookie === undefined ? '(no Cookie header)' : html`Cookie: ${markPairs(cookie, mark)}`}</pre></td></tr>
<tr><th>This response sends</th></tr>
<tr><td><pre id="wire-set-cookie">${setCookies.length === 0 ? '(no Set-Cookie header)' : lines(setCookies.map((line) => html`Set-Cookie: ${markPairs(line, mark, true)}`))}</pre></td></tr>
</table>
${before === undefined ? '' : html`<table>
<tr><th>The session before this request</th><th>The session after it</th></tr>
<tr><td><pre id="session-before">${describeBefore(before)}</pre></td><td><pre id="session-after">${describeAfter(before.session)}</pre></td></tr>
</table>`}
<p id="wire-story">${options.story ?? defaultStory(setCookies, before)}</p>
<p><small>These demo pages print your cookies back so that you can see them. A real site should
not: a cookie printed into the page is readable by any script on it, which undoes
<code>HttpOnly</code>. CSRF tokens are hidden here for the same reason.</small></p>
</section>`;
}

/** `id` shortened for reading: its first 8 characters. */
export function shortId(id: string): string {
  return `${id.slice(0, 8)}…`;
}

/** A session's data as JSON, its secrets replaced by a word on what they are. */
export function describeData(data: unknown): string {
  return JSON.stringify(data, (key, value: unknown) => {
    if (key === '' || !SECRET_KEY.test(key)) return value;
    return key === '_csrf' ? '(CSRF token, hidden)' : '(hidden)';
  }, 2);
}

function describeBefore(before: Before): string {
  if (before.id !== undefined) return `id ${shortId(before.id)}\n${before.data}`;
  return before.cookieSent ? '(none: the cookie named no live session)' : '(none: your browser sent no session cookie)';
}

function describeAfter(session: Session): string {
  return session.isNew ? '(none: nothing was stored, so no file and no cookie)' : `id ${shortId(session.id)}\n${describeData(session.data)}`;
}

function defaultStory(setCookies: readonly string[], before: Before | undefined): SafeHtml {
  const cookies = setCookies.length === 0
    ? html`This response sets no cookie, so your browser keeps the ones it has and sends the same
<code>Cookie</code> header with its next request here.`
    : html`This response sets ${setCookies.length} cookie${setCookies.length === 1 ? '' : 's'}: your
browser stores each (or deletes it, for <code>Max-Age=0</code>) and sends it back with the
requests whose path it matches.`;
  if (before === undefined) return cookies;
  const { session } = before;
  const change = session.isNew
    ? html`Nothing was stored in the session, so no session file was made and no session cookie set.`
    : before.id === undefined
      ? html`A new session: its random ID goes to your browser in <code>Set-Cookie</code>, its data stays on the server.`
      : before.id === session.id
        ? html`The same session: your browser sent its ID, and the server locked the session's file, read it, and saved what changed.`
        : html`The session got a new ID: the old one names nothing now.`;
  return html`${cookies} ${change}`;
}

/**
 * `header` (a Cookie header, or a Set-Cookie line with `setCookie`) as it is, with the pairs
 * named in `mark` marked; only the first pair of a Set-Cookie line is a cookie.
 */
function markPairs(header: string, mark: readonly string[], setCookie = false): SafeHtml {
  const parts = header.split(';');
  return lines(parts.map((part, i) => {
    const name = part.trim().split('=', 1)[0] ?? '';
    if ((setCookie && i > 0) || !mark.includes(name)) return html`${part}`;
    const start = part.length - part.trimStart().length;
    return html`${part.slice(0, start)}<mark>${part.slice(start)}</mark>`;
  }), ';');
}

/** Markup pieces joined by `separator` (a newline by default), which must be plain text. */
function lines(pieces: readonly SafeHtml[], separator = '\n'): SafeHtml {
  return rawHtml(pieces.map(String).join(separator));
}
