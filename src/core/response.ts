// The response, from the script's side of CGI/1.1 (RFC 3875 §6): status, headers and body are
// collected in memory, then serialized once as a header block, a blank line and the body.

import { reasonPhrase } from '../base/errors.js';
import { SafeHtml } from '../base/html.js';
import { ASCII_FIELD_VALUE, isToken } from '../base/http.js';
import { serializeCookie, type CookieOptions } from './cookies.js';
/** RFC 3875 §6.2.2 local-pathquery: an abs-path and a query, of RFC 3986 path and query characters.
 * Not `//…` or `/\…`, which browsers read as another host, should a server pass them on. */
const LOCAL_PATH_QUERY = /^\/(?![/\\])(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/;
const DEFAULT_CONTENT_TYPE = 'text/html; charset=utf-8';

/** Called once the handler has finished, before the response is written: `ok` is false when
 * the handler threw. */
export type FinishHook = (ok: boolean) => void | Promise<void>;

/** The hooks registered with `onFinish`, in order: for the pipeline, not for scripts. */
export let finishHooksOf: (response: CgiResponse) => readonly FinishHook[];

/**
 * What a script answers. Header names and values are checked as they are set: a CR, LF or NUL
 * (header injection) throws a TypeError, so it can never be emitted.
 */
export class CgiResponse {
  /** The HTTP status; sent as CGI's `Status:` header. @default 200 */
  status = 200;
  #headers: Array<[string, string]> = [];
  #body: Buffer | undefined;
  #localRedirect = false;
  readonly #finishHooks: FinishHook[] = [];

  /** Replaces every header of this name. */
  setHeader(name: string, value: string | number): this {
    this.removeHeader(name);
    return this.appendHeader(name, value);
  }

  /** Adds a header, keeping others of the same name (e.g. several `Set-Cookie`). */
  appendHeader(name: string, value: string | number): this {
    const text = String(value);
    if (!isToken(name)) throw new TypeError(`argument name is invalid: ${JSON.stringify(name)}`);
    if (!ASCII_FIELD_VALUE.test(text)) throw new TypeError(`argument value of header ${name} is invalid: it contains a control or non-ASCII character`);
    if (name.toLowerCase() === 'status') throw new TypeError('argument name is invalid: set response.status instead of a Status header');
    this.#headers.push([name, text]);
    return this;
  }

  /** The first value of a header, or undefined. */
  getHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    return this.#headers.find(([n]) => n.toLowerCase() === lower)?.[1];
  }

  /** Removes every header of this name. */
  removeHeader(name: string): this {
    const lower = name.toLowerCase();
    this.#headers = this.#headers.filter(([n]) => n.toLowerCase() !== lower);
    return this;
  }

  /** Adds a `Set-Cookie` header (see {@link serializeCookie} for the checks). */
  setCookie(name: string, value: string, options?: CookieOptions): this {
    return this.appendHeader('Set-Cookie', serializeCookie(name, value, options));
  }

  /** Tells the browser to delete a cookie. Give the same `path` and `domain` it was set with. */
  clearCookie(name: string, options: Omit<CookieOptions, 'maxAgeSeconds' | 'expires'> = {}): this {
    return this.setCookie(name, '', { ...options, maxAgeSeconds: 0, expires: new Date(0) });
  }

  /** Sets the body. A string is sent as UTF-8; the default type is HTML. */
  send(body: string | Uint8Array | SafeHtml): this {
    this.#body = body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : Buffer.from(String(body));
    return this;
  }

  /** Sends HTML, built with the `html` template so that input is escaped. */
  html(markup: SafeHtml): this {
    if (!(markup instanceof SafeHtml)) throw new TypeError('argument markup is invalid: build it with html`…` so input is escaped');
    this.setHeader('Content-Type', DEFAULT_CONTENT_TYPE);
    return this.send(markup);
  }

  /** Sends plain text. */
  text(body: string): this {
    this.setHeader('Content-Type', 'text/plain; charset=utf-8');
    return this.send(body);
  }

  /** Sends a value as JSON. */
  json(value: unknown): this {
    this.setHeader('Content-Type', 'application/json');
    return this.send(JSON.stringify(value));
  }

  /**
   * Redirects the client (RFC 3875 §6.2.4 client redirect). Use 303 after a POST so a reload does
   * not post again. A small HTML body links to the target for clients that do not follow.
   * @example res.redirect('/cgi-bin/cart.cgi', 303)
   */
  redirect(location: string, status: 301 | 302 | 303 | 307 | 308 = 302): this {
    this.status = status;
    this.setHeader('Location', location);
    this.#localRedirect = false;
    const href = location.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    this.setHeader('Content-Type', DEFAULT_CONTENT_TYPE);
    return this.send(`<!doctype html>\n<p>See <a href="${href}">${href}</a>.</p>\n`);
  }

  /**
   * Asks the web server to serve another local path instead (RFC 3875 §6.2.2 local redirect):
   * the client never sees it. Only a path (and query) on this server is allowed, percent-encoded
   * where needed; `//host/…`, `/\host/…` and URLs throw a TypeError. Nothing else is sent.
   * @example res.localRedirect('/static/page.html?lang=en')
   */
  localRedirect(path: string): this {
    if (typeof path !== 'string' || !LOCAL_PATH_QUERY.test(path)) {
      throw new TypeError(`argument path is invalid: ${JSON.stringify(path)} (a local redirect is a path on this server: /, then no / or \\, then path and query characters)`);
    }
    this.setHeader('Location', path);
    this.#localRedirect = true;
    return this;
  }

  /** Runs `hook` after the handler, before anything is written (sessions use this to save). */
  onFinish(hook: FinishHook): this {
    this.#finishHooks.push(hook);
    return this;
  }

  static {
    // Module-level access to the hooks, so they are no member a script could call.
    finishHooksOf = (response) => response.#finishHooks;
  }

  /**
   * The complete CGI output: header block, blank line, body. A local redirect is the `Location`
   * line alone. `omitBody` serves HEAD requests: the headers describe a body that is not sent.
   */
  toBytes(omitBody = false): Buffer {
    if (this.#localRedirect) return Buffer.from(`Location: ${this.getHeader('Location')}\n\n`);
    if (!Number.isInteger(this.status) || this.status < 100 || this.status > 999) {
      throw new TypeError(`response status is invalid: ${this.status}`);
    }
    const body = this.#body ?? Buffer.alloc(0);
    let head = `Status: ${this.status} ${reasonPhrase(this.status)}\n`;
    if (this.getHeader('Content-Type') === undefined && (body.length > 0 || this.status !== 204)) {
      head += `Content-Type: ${DEFAULT_CONTENT_TYPE}\n`;
    }
    for (const [name, value] of this.#headers) {
      if (name.toLowerCase() !== 'content-length') head += `${name}: ${value}\n`;
    }
    head += `Content-Length: ${body.length}\n\n`;
    return omitBody ? Buffer.from(head) : Buffer.concat([Buffer.from(head), body]);
  }
}
