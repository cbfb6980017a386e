// Session IDs: 256 bits from the operating system's CSPRNG, written in base64url, and the exact
// shape check that every ID taken from a request must pass before it may name a file.
// node:crypto is imported only when an ID is made: loading it costs a request noticeably
// (BENCHMARKS.md), and a request that brings a live session never needs a new ID.

/** Random bytes in an ID: 256 bits, four times OWASP's 64-bit minimum. */
export const SESSION_ID_BYTES = 32;

/** base64url of 32 bytes, unpadded: exactly 43 characters of the URL-safe alphabet (RFC 4648 §5).
 * Anchored and fixed-length, so no `/`, `.`, NUL or other path syntax can ever pass. */
const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Makes a new session ID: 32 bytes from `crypto.randomBytes`, base64url-encoded (43 characters).
 * @example await createSessionId() // 'q3Z0…' (43 characters)
 */
export async function createSessionId(): Promise<string> {
  const { randomBytes } = await import('node:crypto');
  return randomBytes(SESSION_ID_BYTES).toString('base64url');
}

/**
 * Whether `value` has the exact shape of an ID made by {@link createSessionId}. Anything else —
 * a path, a NUL byte, a long or short string, another alphabet — is no session at all.
 */
export function isSessionId(value: unknown): value is string {
  return typeof value === 'string' && SESSION_ID_SHAPE.test(value);
}
