// Cross-site request forgery tokens: one random token per session, put in forms, and checked on
// every request that changes state. SameSite=Lax already stops most cross-site posts; the token
// also covers older browsers and same-site attackers (a sibling subdomain).
// node:crypto is imported when a token is made or checked, not when sessions load: a return
// visit that only reads its session never pays for it.

import { HttpError } from '../base/errors.js';
import type { Form } from '../core/forms.js';
import type { CgiRequest } from '../core/request.js';

/** What of a session the tokens need: a Session is one. */
export interface TokenStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** The session key under which a session's token is kept (renewed by `regenerate`). */
export const CSRF_KEY = '_csrf';
/** The form field a token may arrive in. */
export const CSRF_FIELD = '_csrf';
/** The request header a token may arrive in (for scripts posting with fetch). */
export const CSRF_HEADER = 'x-csrf-token';
/** RFC 9110 §9.2.1: these methods do not change state, so they carry no token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** base64url of 32 random bytes. */
const TOKEN_CHARS = 43;

/** The session's token, made and stored on first use (see `csrfToken` in the package's API). */
export async function issueCsrfToken(session: TokenStore): Promise<string> {
  const token = session.get(CSRF_KEY);
  if (typeof token === 'string' && token.length === TOKEN_CHARS) return token;
  const { randomBytes } = await import('node:crypto');
  const fresh = randomBytes(32).toString('base64url');
  session.set(CSRF_KEY, fresh);
  return fresh;
}

/**
 * Checks the token of a state-changing request (see `verifyCsrf` in the package's API): from
 * `form`'s `_csrf` field if a form is given, else from the `X-CSRF-Token` header. Throws
 * HttpError 403 when it is missing or wrong, or when the session holds no token at all.
 */
export async function checkCsrfToken(request: CgiRequest, session: TokenStore, form?: Form): Promise<void> {
  if (SAFE_METHODS.has(request.method)) return;
  const expected = session.get(CSRF_KEY);
  const given = form?.fields.get(CSRF_FIELD) ?? request.headers.get(CSRF_HEADER);
  if (typeof expected !== 'string' || typeof given !== 'string' || !(await sameSecret(given, expected))) {
    throw new HttpError(403, 'This form has expired or did not come from this site. Reload the page and try again.');
  }
}

/** Constant-time comparison of two strings of any length: compares their SHA-256 digests. */
async function sameSecret(a: string, b: string): Promise<boolean> {
  const { createHash, timingSafeEqual } = await import('node:crypto');
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}
