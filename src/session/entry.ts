// The public doors to sessions, CSRF and signing. Each imports its module on first call, so a
// script that never opens a session never loads proper-lockfile, graceful-fs or node:crypto:
// every CGI request is a new process, and start-up time is what visitors wait for.

import type { Form } from '../forms.js';
import type { CgiRequest } from '../request.js';
import type { CgiResponse } from '../response.js';
import type { Signer, SignerOptions } from '../signing.js';
import type { Session, SessionOptions } from './session.js';

/**
 * Opens the session of this request; see the `Session` methods. Locks it for the whole request
 * unless `{ lock: false }` (read-only); saves it, if changed, when the response finishes.
 * Throws HttpError 503 with `Retry-After` when the session stays busy.
 * @example
 * const session = await openSession(request, response);
 * session.set('visits', Number(session.get('visits') ?? 0) + 1);
 */
export async function openSession(request: CgiRequest, response: CgiResponse, options?: SessionOptions): Promise<Session> {
  const { openSession: open } = await import('./session.js');
  return open(request, response, options);
}

/**
 * The session's CSRF token for a hidden `_csrf` field or an `X-CSRF-Token` header.
 * @example html`<input type="hidden" name="_csrf" value="${await csrfToken(session)}">`
 */
export async function csrfToken(session: Session): Promise<string> {
  const csrf = await import('../csrf.js');
  return csrf.csrfToken(session);
}

/**
 * Rejects a state-changing request (POST, PUT, PATCH, DELETE…) whose CSRF token is missing or
 * wrong with HttpError 403. Pass the parsed `form` when the token came in a form field.
 * @example
 * const form = await request.form();
 * await verifyCsrf(request, session, form);
 */
export async function verifyCsrf(request: CgiRequest, session: Session, form?: Form): Promise<void> {
  const csrf = await import('../csrf.js');
  csrf.verifyCsrf(request, session, form);
}

/**
 * A signer for values the client keeps but must not change, keyed by `CGI_SECRET` or a key file
 * (`<sessions folder>/.secret-key`, made with mode 0600 on first use).
 * @example
 * const signer = await createSigner();
 * const value = signer.verify(request.cookies.ticket); // undefined if tampered with
 */
export async function createSigner(options?: SignerOptions): Promise<Signer> {
  const signing = await import('../signing.js');
  return signing.createSigner(options);
}
