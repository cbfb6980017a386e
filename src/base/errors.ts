// Errors a script or the runtime raises on purpose, and the page a client sees for them.
// Three kinds: misuse is a TypeError thrown at once; an operational failure is a CgiError with a
// stable `code`; a failure the client should hear about is an HttpError.

import { escapeHtml } from './html.js';

/** Reason phrases for the statuses a CGI script commonly sends (RFC 9110 §15). Kept here rather
 * than taken from `node:http`, whose import alone costs every request several milliseconds. */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content',
  301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict', 410: 'Gone',
  411: 'Length Required', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  421: 'Misdirected Request', 422: 'Unprocessable Content', 429: 'Too Many Requests', 431: 'Request Header Fields Too Large',
  500: 'Internal Server Error', 501: 'Not Implemented', 502: 'Bad Gateway',
  503: 'Service Unavailable', 504: 'Gateway Timeout',
};

/** The reason phrase for `status`, or a generic one for its class. */
export function reasonPhrase(status: number): string {
  return STATUS_REASONS[status] ?? (status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : 'Status');
}

/** Options of an {@link HttpError}. */
export interface HttpErrorOptions {
  /** Whether the message may be shown to the client. @default true for 4xx, false for 5xx */
  expose?: boolean;
  /** Extra response headers, e.g. `Allow` for 405 or `Retry-After` for 503. */
  headers?: Record<string, string>;
  /** The underlying error, logged to stderr but never shown unless debugging. */
  cause?: unknown;
}

/**
 * An error that becomes an HTTP response: throw it from a handler (or the runtime throws it for
 * bad input) and the runner answers with `status` and a small HTML page.
 * @example throw new HttpError(404, 'No such ticket.')
 */
export class HttpError extends Error {
  readonly status: number;
  readonly expose: boolean;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new TypeError(`argument status is invalid: ${status} (an HttpError is 4xx or 5xx)`);
    }
    super(message ?? reasonPhrase(status), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.expose = options.expose ?? status < 500;
    this.headers = options.headers ?? {};
  }
}

/**
 * An operational failure with a stable `code` (e.g. `ESESSIONLOCKED`), for callers that want to
 * react to it; the runner treats it as a 500 unless it is also an HttpError.
 */
export class CgiError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CgiError';
    this.code = code;
  }
}

/**
 * A deployment mistake that no retry mends: a sessions folder the script's user cannot use or
 * does not own, a relative `CGI_SESSION_DIR`, an unusable key file. The runner answers 500, not
 * 503 (waiting does not help), and logs the message as one line without a stack: the fault is
 * in the deployment, so the message says the path, what was found there, and the fix.
 */
export class ConfigError extends CgiError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ConfigError';
  }
}

/** The HTML page sent with an error status: the status, an optional message, optional details. */
export function renderErrorPage(status: number, message?: string, details?: string): string {
  const title = `${status} ${escapeHtml(reasonPhrase(status))}`;
  const text = message ? `<p>${escapeHtml(message)}</p>\n` : '';
  const pre = details ? `<pre>${escapeHtml(details)}</pre>\n` : '';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title></head>\n` +
    `<body><h1>${title}</h1>\n${text}${pre}</body></html>\n`;
}

/** The `code` of a Node-style error (`ENOENT`, `ESESSIONLOCKED`…), if it has a string one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A one-line description of a thrown value: an Error's message, else the value as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
