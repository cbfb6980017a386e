// Cross-site request forgery tokens: one random token per session, put in forms, and checked on
// every request that changes state. SameSite=Lax already stops most cross-site posts; the token
// also covers older browsers and same-site attackers (a sibling subdomain).

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.js';
import type { Form } from './forms.js';
import type { CgiRequest } from './request.js';
import { CSRF_KEY, type Session } from './session/session.js';

/** The form field a token may arrive in. */
export const CSRF_FIELD = '_csrf';
/** The request header a token may arrive in (for scripts posting with fetch). */
export const CSRF_HEADER = 'x-csrf-token';
/** RFC 9110 §9.2.1: these methods do not change state, so they carry no token. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * The session's CSRF token (made and stored on first use), for a hidden form field named `_csrf`
 * or an `X-CSRF-Token` header. It changes when the session is regenerated.
 * @example html`<input type="hidden" name="_csrf" value="${csrfToken(session)}">`
 */
export function csrfToken(session: Session): string {
  const token = session.get(CSRF_KEY);
  if (typeof token === 'string' && token.length === 43) return token;
  const fresh = randomBytes(32).toString('base64url');
  session.set(CSRF_KEY, fresh);
  return fresh;
}

/**
 * Checks the CSRF token of a state-changing request (anything but GET, HEAD, OPTIONS, TRACE):
 * from `form`'s `_csrf` field if a form is given, else from the `X-CSRF-Token` header. Throws
 * HttpError 403 when it is missing or wrong. Safe methods pass unchecked.
 */
export function verifyCsrf(request: CgiRequest, session: Session, form?: Form): void {
  if (SAFE_METHODS.has(request.method)) return;
  const expected = session.get(CSRF_KEY);
  const given = form?.fields.get(CSRF_FIELD) ?? request.headers.get(CSRF_HEADER);
  if (typeof expected !== 'string' || typeof given !== 'string' || !sameSecret(given, expected)) {
    throw new HttpError(403, 'This form has expired or did not come from this site. Reload the page and try again.');
  }
}

/** Constant-time comparison of two strings of any length: compares their SHA-256 digests. */
function sameSecret(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(a), digest(b));
}
