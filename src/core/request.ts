// The request, from the script's side of CGI/1.1 (RFC 3875 §4): built from a plain map of
// meta-variables and a byte source for the body, so that all of it is testable with literal maps.

import { HttpError } from '../base/errors.js';
import { TOKEN } from '../base/http.js';
import { readChunks, type ByteSource } from '../base/sync-io.js';
import { parseCookies } from './cookies.js';
import { parseForm, type Form, type FormOptions } from './forms.js';

/** The CGI meta-variables, as `process.env` holds them. */
export type CgiEnv = Readonly<Record<string, string | undefined>>;

/** Options for reading a request. */
export interface RequestOptions {
  /** Largest request body accepted, in bytes; a larger `CONTENT_LENGTH` answers 413. @default 1 MiB */
  maxBodyBytes?: number;
  /** Limits for {@link CgiRequest.form}. */
  form?: FormOptions;
}

const DIGITS = /^[0-9]+$/;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * An HTTP request as a CGI script sees it. Cheap to build: the query, cookies and body are
 * parsed only when first asked for.
 */
export class CgiRequest {
  /** The meta-variables this request was built from, less `HTTP_PROXY` (httpoxy). In a CGI
   * process, that is `process.env` itself. */
  readonly env: CgiEnv;
  /** `REQUEST_METHOD`; `GET` when unset, as in a shell run. */
  readonly method: string;
  /** `SCRIPT_NAME`: the script's URL path, e.g. `/cgi-bin/hello.cgi`. */
  readonly scriptName: string;
  /** `PATH_INFO`: the URL path after the script name, as the server decoded it. Untrusted. */
  readonly pathInfo: string;
  /** `QUERY_STRING`, undecoded. */
  readonly queryString: string;
  /** Whether the request came over TLS (`HTTPS` is `on` or `1`). */
  readonly https: boolean;
  /** `REMOTE_ADDR`, the client's (or last proxy's) address. */
  readonly remoteAddr: string;
  /** `CONTENT_LENGTH` in bytes; 0 when absent, which means no body (RFC 3875 §4.1.2), except
   * for a chunked body passed on by Apache, which comes without it (see {@link body}). */
  readonly contentLength: number;
  /** `CONTENT_TYPE`, if the request has one. */
  readonly contentType: string | undefined;

  readonly #source: ByteSource;
  /** For a body of unknown length (chunked): the most bytes read before answering 413. */
  readonly #untilEndMax: number | undefined;
  readonly #formOptions: FormOptions | undefined;
  #query: URLSearchParams | undefined;
  #cookies: Record<string, string> | undefined;
  #headers: ReadonlyMap<string, string> | undefined;
  #body: Buffer | undefined;
  #bodyRead = false;

  /** Use {@link requestFromEnv}, which validates the environment first. `untilEndMax`: read a
   * body of unknown length to its end, up to that many bytes. */
  constructor(env: CgiEnv, source: ByteSource, contentLength: number, formOptions?: FormOptions, untilEndMax?: number) {
    this.env = env;
    this.method = env.REQUEST_METHOD || 'GET';
    this.scriptName = env.SCRIPT_NAME ?? '';
    this.pathInfo = env.PATH_INFO ?? '';
    this.queryString = env.QUERY_STRING ?? '';
    this.https = /^(on|1)$/i.test(env.HTTPS ?? '');
    this.remoteAddr = env.REMOTE_ADDR ?? '';
    this.contentLength = contentLength;
    this.contentType = env.CONTENT_TYPE || undefined;
    this.#source = source;
    this.#formOptions = formOptions;
    this.#untilEndMax = untilEndMax;
  }

  /** Request headers by lower-case name, recovered from `HTTP_*`, `CONTENT_TYPE`, `CONTENT_LENGTH`. */
  get headers(): ReadonlyMap<string, string> {
    // Built on first use: it walks the whole environment, and most scripts never ask.
    this.#headers ??= headersFromEnv(this.env);
    return this.#headers;
  }

  /** The query string's parameters (repeated names kept, in order). */
  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.queryString);
    return this.#query;
  }

  /** Cookies from `HTTP_COOKIE`, parsed leniently (see {@link parseCookies}). */
  get cookies(): Readonly<Record<string, string>> {
    this.#cookies ??= parseCookies(this.env.HTTP_COOKIE);
    return this.#cookies;
  }

  /** The request URI: `REQUEST_URI` if the server sets it, else rebuilt from its parts. */
  get url(): string {
    if (this.env.REQUEST_URI) return this.env.REQUEST_URI;
    return this.scriptName + this.pathInfo + (this.queryString ? `?${this.queryString}` : '');
  }

  /** Whether the body has been read (by {@link body}, {@link form} or the runner's drain). */
  get bodyRead(): boolean {
    return this.#bodyRead;
  }

  /**
   * The whole body: exactly `CONTENT_LENGTH` bytes. Throws HttpError 400 when the input ends
   * early. Without `CONTENT_LENGTH` but with `HTTP_TRANSFER_ENCODING` naming chunked (Apache
   * passes a chunked body on stdin so), stdin to its end, and HttpError 413 past `maxBodyBytes`.
   * Later calls return the same bytes.
   */
  async body(): Promise<Buffer> {
    if (this.#body === undefined) this.#body = Buffer.concat([...this.#chunks()]);
    return this.#body;
  }

  /**
   * The body parsed as a form (urlencoded or multipart). Throws HttpError 415 for another
   * content type, 400 for a malformed body, 413 past a limit.
   */
  async form(): Promise<Form> {
    const chunks = this.#body === undefined ? this.#chunks() : [this.#body];
    return parseForm(this.contentType, chunks, this.#formOptions);
  }

  /** Reads and discards an unread body, so a server writing it to us never blocks. Throws
   * HttpError 400, as reading does, when the input ends early. */
  drainBody(): void {
    if (!this.#bodyRead) for (const _ of this.#chunks()) { /* discard */ }
  }

  *#chunks(): Generator<Buffer> {
    if (this.#bodyRead) throw new TypeError('the request body has been read already: call body() once and keep the result');
    this.#bodyRead = true;
    let got = 0;
    const max = this.#untilEndMax;
    for (const chunk of readChunks(this.#source, max === undefined ? this.contentLength : max + 1)) {
      got += chunk.length;
      if (max !== undefined && got > max) throw new HttpError(413, `The request body is over the limit of ${max} bytes.`);
      yield chunk;
    }
    if (got < this.contentLength) {
      throw new HttpError(400, `The request body ended after ${got} of ${this.contentLength} bytes.`);
    }
  }
}

/**
 * Builds a {@link CgiRequest} from meta-variables and a body source (a file descriptor, or bytes).
 * Throws HttpError 400 for a malformed `REQUEST_METHOD` or `CONTENT_LENGTH`, 413 when the body is
 * larger than `maxBodyBytes`.
 * @example requestFromEnv({ REQUEST_METHOD: 'GET', QUERY_STRING: 'a=1' }, Buffer.alloc(0))
 */
export function requestFromEnv(env: CgiEnv, source: ByteSource, options: RequestOptions = {}): CgiRequest {
  const method = env.REQUEST_METHOD;
  if (method !== undefined && method !== '' && !TOKEN.test(method)) {
    throw new HttpError(400, 'The request method is malformed.');
  }
  const contentLength = parseContentLength(env.CONTENT_LENGTH);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (contentLength > maxBodyBytes) {
    throw new HttpError(413, `The request body is ${contentLength} bytes; the limit is ${maxBodyBytes}.`);
  }
  // httpoxy: a client's `Proxy:` header must not reach the script as HTTP_PROXY. The CGI adapter
  // has deleted it from the process's environment already, which is then used as it is: copying
  // process.env asks Node's C++ side for every variable (BENCHMARKS.md, start-up notes).
  const safeEnv = env === process.env && env.HTTP_PROXY === undefined ? env : withoutProxy(env);
  const untilEnd = (env.CONTENT_LENGTH ?? '').trim() === '' && isChunked(env.HTTP_TRANSFER_ENCODING);
  return new CgiRequest(safeEnv, source, contentLength, options.form, untilEnd ? maxBodyBytes : undefined);
}

/** Whether a Transfer-Encoding value (RFC 9112 §6.1, a list of codings) ends in chunked: the
 * body is then delimited by its end, not by a length. */
function isChunked(value: string | undefined): boolean {
  return value !== undefined && /(?:^|,)[ \t]*chunked[ \t]*$/i.test(value);
}

function parseContentLength(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 0;
  const trimmed = value.trim();
  if (!DIGITS.test(trimmed)) throw new HttpError(400, 'The Content-Length of the request is malformed.');
  // Digits too many for a safe integer are larger than any limit: Infinity answers 413.
  return trimmed.length > 15 ? Infinity : Number(trimmed);
}

function withoutProxy(env: CgiEnv): CgiEnv {
  const { HTTP_PROXY: _proxy, ...rest } = env;
  return rest;
}

function headersFromEnv(env: CgiEnv): Map<string, string> {
  const headers = new Map<string, string>();
  for (const key of Object.keys(env)) {
    const value = env[key];
    if (value === undefined || !key.startsWith('HTTP_') || key === 'HTTP_PROXY') continue;
    headers.set(key.slice(5).toLowerCase().replaceAll('_', '-'), value);
  }
  if (env.CONTENT_TYPE) headers.set('content-type', env.CONTENT_TYPE);
  if (env.CONTENT_LENGTH) headers.set('content-length', env.CONTENT_LENGTH);
  return headers;
}
