// CSRF tokens for demos that have no session (parking, set-cookie, cookie-cycle): a signed double
// submit. The token is a random value signed by the server, kept in a cookie and copied into each
// form; a POST counts only when the form's copy equals the cookie and the signature holds. Another
// site can make the browser post a form but can neither read the cookie nor, since the cookie is
// SameSite=Lax, get it sent with a cross-site POST. A module of the demos.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createSigner, html, HttpError, type CgiRequest, type CgiResponse, type Form, type SafeHtml } from 'node-cgi-shim';
import { demoCookieOptions } from './_layout.js';

/** The cookie holding the token; a browser-session cookie (no Max-Age). */
export const FORM_TOKEN_COOKIE = 'csrf';
/** The form field carrying the copy. */
const FIELD = '_csrf';

/** This visitor's token, made (and its cookie set) when the browser brought no valid one. */
export async function formToken(request: CgiRequest, response: CgiResponse): Promise<string> {
  const signer = await createSigner();
  const held = request.cookies[FORM_TOKEN_COOKIE];
  if (held !== undefined && signer.verify(held) !== undefined) return held;
  const token = signer.sign(randomBytes(18).toString('base64url'));
  response.setCookie(FORM_TOKEN_COOKIE, token, demoCookieOptions(request));
  return token;
}

/** The hidden field that carries the token in a form. */
export async function tokenField(request: CgiRequest, response: CgiResponse): Promise<SafeHtml> {
  return html`<input type="hidden" name="${FIELD}" value="${await formToken(request, response)}">`;
}

/** Refuses, with 403, a POST whose form token is missing, differs from the cookie, or is unsigned. */
export async function checkFormToken(request: CgiRequest, form: Form): Promise<void> {
  const held = request.cookies[FORM_TOKEN_COOKIE];
  const given = form.fields.get(FIELD);
  const [a, b] = [Buffer.from(held ?? ''), Buffer.from(given ?? '')];
  const same = held !== undefined && a.length === b.length && timingSafeEqual(a, b);
  if (!same || (await createSigner()).verify(held) === undefined) {
    throw new HttpError(403, 'This form did not come from this site, or its token is gone: reload the page and try again.');
  }
}
