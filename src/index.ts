// node-cgi-shim's public API. Scripts import from here only.

export { run, type Handler, type RunOptions } from './run.js';
export { CgiRequest, requestFromEnv, type CgiEnv, type RequestOptions } from './request.js';
export { CgiResponse, type FinishHook } from './response.js';
export { parseCookies, serializeCookie, type CookieOptions } from './cookies.js';
export { parseForm, type Form, type FormOptions, type UploadedFile } from './forms.js';
export { html, rawHtml, escapeHtml, SafeHtml } from './html.js';
export { HttpError, CgiError, renderErrorPage, reasonPhrase } from './errors.js';
export { hashPassword, verifyPassword } from './passwords.js';
export { openSession, csrfToken, verifyCsrf, createSigner } from './session/entry.js';
export { createSessionId, isSessionId } from './session/id.js';
export type { Session, SessionOptions } from './session/session.js';
export type { SessionStore, SessionRecord, SessionData, SessionLock, SessionListing, StoreLockOptions } from './session/store.js';
export type { Signer, SignerOptions } from './signing.js';
