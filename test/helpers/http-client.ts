// An HTTP client for walking a site as a browser would, minus the rendering: a tough-cookie jar
// that stores every Set-Cookie and sends the cookies back. Redirects are not followed, so tests
// see each step (status, Location, cookies) themselves.

import type { ExecutionContext } from 'ava';
import { request as httpRequest } from 'node:http';
import { CookieJar } from 'tough-cookie';

/** Options of {@link CookieClient.request}. */
export interface ClientRequestOptions {
  /** @default 'GET' */
  method?: string;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  /** A raw body; give `headers['content-type']` with it. */
  body?: string | Uint8Array;
  headers?: Record<string, string>;
}

/** A client with its own cookie jar, bound to one server. */
export class CookieClient {
  /** The cookies this client holds. */
  readonly jar = new CookieJar();
  readonly baseUrl: string;
  /** The Cookie header of the last request (undefined when it sent none). */
  lastCookieSent: string | undefined;

  /** @param baseUrl e.g. `http://127.0.0.1:8080` */
  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  /** Sends a request to `path` with the jar's cookies and stores the cookies of the answer. */
  async request(path: string, options: ClientRequestOptions = {}): Promise<Response> {
    const url = new URL(path, this.baseUrl).href;
    const headers = new Headers(options.headers);
    const cookie = await this.jar.getCookieString(url);
    if (cookie) headers.set('cookie', cookie);
    this.lastCookieSent = cookie || undefined;
    let body = options.body;
    if (options.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(options.form).toString();
    }
    const response = await send(url, options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body);
    for (const setCookie of response.headers.getSetCookie()) await this.jar.setCookie(setCookie, url);
    return response;
  }

  /** GET `path`. */
  get(path: string, headers?: Record<string, string>): Promise<Response> {
    return this.request(path, { headers });
  }

  /** POST a form to `path`. */
  post(path: string, form: Record<string, string>): Promise<Response> {
    return this.request(path, { method: 'POST', form });
  }

  /** The value of a cookie the jar would send to `path`, or undefined. */
  async cookie(name: string, path = '/'): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(new URL(path, this.baseUrl).href);
    return cookies.find((cookie) => cookie.key === name)?.value;
  }
}

/** Options of {@link fetchOnce}: the subset of fetch's that the tests use. */
export interface FetchOnceInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Ignored: redirects are never followed (as with fetch's 'manual', but the status is real). */
  redirect?: 'manual';
}

/** Like fetch, on a connection of its own (see {@link send}), never following redirects. */
export function fetchOnce(url: string, init: FetchOnceInit = {}): Promise<Response> {
  return send(url, init.method ?? 'GET', new Headers(init.headers), init.body);
}

/**
 * One request on a connection of its own. fetch would reuse kept-alive connections, and a server
 * closing an idle one just as the next request goes out fails that request ("fetch failed"), a
 * race that turns up under load; a browser would retry, a test must not guess.
 */
function send(url: string, method: string, headers: Headers, body: string | Uint8Array | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method, headers: Object.fromEntries(headers), agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(incoming.headers)) {
          for (const one of Array.isArray(value) ? value : [value ?? '']) responseHeaders.append(name, one);
        }
        const status = incoming.statusCode ?? 0;
        const noBody = status === 204 || status === 304 || method === 'HEAD';
        resolve(new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: incoming.statusMessage ?? '', headers: responseHeaders }));
      });
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Sends a request with `send` as a client honouring Retry-After does: a 503 (a session busy for
 * longer than a request's waitMs, having written nothing) is sent again after the seconds it
 * names, checked to be 1–60, up to 3 tries in all. `onRetry` is called for each retry.
 */
export async function honouringRetryAfter(t: ExecutionContext, send: () => Promise<Response>, onRetry: () => void): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await send();
    if (response.status !== 503 || attempt === 3) return response;
    onRetry();
    await response.arrayBuffer();
    const seconds = Number(response.headers.get('retry-after'));
    t.true(seconds > 0 && seconds <= 60, `503 with Retry-After: ${response.headers.get('retry-after')}`);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  }
}
