// node-cgi-shim's public API, the only door scripts use. Sessions, CSRF tokens and signing are
// reached through the small functions below, which import their modules on first call: a script
// that never opens a session never loads proper-lockfile or node:crypto, and every CGI request is
// a new process whose start-up time is what visitors wait for.

import type { Form } from './core/forms.js';
import type { CgiRequest } from './core/request.js';
import type { CgiResponse } from './core/response.js';
import type { Signer, SignerOptions } from './secrets/signing.js';
import type { Session, SessionOptions } from './session/session.js';

export { run, type Handler, type RunOptions } from './adapters/cgi.js';
export { CgiRequest, requestFromEnv, type CgiEnv, type RequestOptions } from './core/request.js';
export { CgiResponse, type FinishHook } from './core/response.js';
export { parseCookies, serializeCookie, type CookieOptions } from './core/cookies.js';
export { parseForm, type Form, type FormOptions, type UploadedFile } from './core/forms.js';
export { html, rawHtml, escapeHtml, SafeHtml } from './base/html.js';
export { HttpError, CgiError, ConfigError, renderErrorPage, reasonPhrase, type HttpErrorOptions } from './base/errors.js';
export type { ByteSink, ByteSource } from './base/sync-io.js';
export { hashPassword, verifyPassword } from './secrets/passwords.js';
export { createSessionId, isSessionId } from './session/id.js';
export type { Session, SessionOptions } from './session/session.js';
export type { SessionStore, SessionRecord, SessionData, SessionLock, SessionListing, StoreLockOptions, ScanOptions, ScanResult } from './session/store.js';
export type { Signer, SignerOptions } from './secrets/signing.js';

/**
 * Opens the session of this request; see the `Session` methods. Locks it for the whole request
 * unless `{ lock: false }` (read-only); saves it, if changed, when the response finishes.
 * Throws HttpError 503 with `Retry-After` when the session stays busy.
 * @example
 * const session = await openSession(request, response);
 * session.set('visits', Number(session.get('visits') ?? 0) + 1);
 */
export async function openSession(request: CgiRequest, response: CgiResponse, options?: SessionOptions): Promise<Session> {
  const { beginSession } = await import('./session/session.js');
  return beginSession(request, response, options);
}

/**
 * The session's CSRF token (made and stored on first use), for a hidden `_csrf` form field or an
 * `X-CSRF-Token` header. It changes when the session is regenerated.
 * @example html`<input type="hidden" name="_csrf" value="${await csrfToken(session)}">`
 */
export async function csrfToken(session: Session): Promise<string> {
  const { issueCsrfToken } = await import('./session/csrf.js');
  return issueCsrfToken(session);
}

/**
 * Rejects a state-changing request (anything but GET, HEAD, OPTIONS, TRACE) whose CSRF token is
 * missing or wrong with HttpError 403. Pass the parsed `form` when the token came in a form field;
 * without it, the `X-CSRF-Token` header is checked.
 * @example
 * const form = await request.form();
 * await verifyCsrf(request, session, form);
 */
export async function verifyCsrf(request: CgiRequest, session: Session, form?: Form): Promise<void> {
  const { checkCsrfToken } = await import('./session/csrf.js');
  return checkCsrfToken(request, session, form);
}

/**
 * A signer for values the client keeps but must not change, keyed by `CGI_SECRET` or a key file
 * (`<sessions folder>/.secret-key`, made with mode 0600 on first use). Throws CgiError `ESECRET`
 * when the secret is too short or the key file is unusable.
 * @example
 * const signer = await createSigner();
 * const value = signer.verify(request.cookies.ticket); // undefined if tampered with
 */
export async function createSigner(options?: SignerOptions): Promise<Signer> {
  const { loadSigner } = await import('./secrets/signing.js');
  return loadSigner(options);
}
