// A small browser stand-in for walking pages through the local host: a real cookie jar
// (tough-cookie), redirects followed as a browser does, and urlencoded form posts.

import { CookieJar } from 'tough-cookie';

/** One page as the client ended up with it, after any redirects. */
export interface Page {
  status: number;
  /** The URL of the final response. */
  url: string;
  headers: Headers;
  /** Every Set-Cookie of the final response, kept apart. */
  setCookies: string[];
  text: string;
  /** The URLs redirected through, in order (not the final one). */
  redirects: string[];
}

/** Options of one {@link WebClient.request}. */
export interface PageRequest {
  /** @default 'GET', or 'POST' with a form */
  method?: string;
  /** Form fields, sent urlencoded. */
  form?: Record<string, string> | Array<[string, string]>;
  headers?: Record<string, string>;
  /** Follow 3xx answers as a browser does (303/302/301 become GET). @default true */
  followRedirects?: boolean;
}

const MAX_REDIRECTS = 10;

/**
 * A client with a cookie jar, bound to a host's base URL.
 * @example
 * const client = new WebClient(host.url);
 * const page = await client.post('/cgi-bin/cart.cgi', { add: 'apple' });
 */
export class WebClient {
  readonly jar = new CookieJar();
  readonly baseUrl: string;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  /** GETs a path (or absolute URL). */
  get(path: string, options: Omit<PageRequest, 'method' | 'form'> = {}): Promise<Page> {
    return this.request(path, { ...options, method: 'GET' });
  }

  /** POSTs a form to a path (or absolute URL). */
  post(path: string, form: PageRequest['form'], options: Omit<PageRequest, 'method' | 'form'> = {}): Promise<Page> {
    return this.request(path, { ...options, method: 'POST', form });
  }

  /** Sends a request, storing cookies from every response on the way. */
  async request(path: string, options: PageRequest = {}): Promise<Page> {
    let url = new URL(path, this.baseUrl).href;
    let method = options.method ?? (options.form === undefined ? 'GET' : 'POST');
    let body = options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
    const redirects: string[] = [];
    for (;;) {
      const headers: Record<string, string> = { ...options.headers };
      const cookie = await this.jar.getCookieString(url);
      if (cookie !== '') headers.Cookie = cookie;
      if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(url, { method, headers, body, redirect: 'manual' });
      const setCookies = response.headers.getSetCookie();
      for (const line of setCookies) await this.jar.setCookie(line, url, { ignoreError: true });
      const location = response.headers.get('location');
      if (options.followRedirects === false || location === null || response.status < 300 || response.status > 399) {
        return { status: response.status, url, headers: response.headers, setCookies, text: await response.text(), redirects };
      }
      await response.arrayBuffer();
      if (redirects.length >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects from ${path}`);
      redirects.push(url);
      url = new URL(location, url).href;
      if (response.status !== 307 && response.status !== 308) {
        method = 'GET';
        body = undefined;
      }
    }
  }
}
