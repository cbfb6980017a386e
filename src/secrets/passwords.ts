// Password hashing with scrypt (RFC 7914), in a self-describing encoding, so stored hashes keep
// working when the cost parameters are raised later.

import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt's cost: N = 2^14 with r = 8 takes ~16 MiB and tens of ms, the interactive-login
 * figure of RFC 7914 §2 and OWASP's minimum; raise `N` as machines get faster. */
const DEFAULT_COST = { N: 16384, r: 8, p: 1 };
const KEY_BYTES = 32;
const SALT_BYTES = 16;
const ENCODED = /^scrypt:([0-9]{1,7}):([0-9]{1,3}):([0-9]{1,3}):([A-Za-z0-9_-]{16,64}):([A-Za-z0-9_-]{43})$/;
/** Never spend more than this on one check, whatever a stored hash claims (a tampered file). */
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;

/**
 * Hashes a password with a fresh random salt: `scrypt:N:r:p:<salt>:<hash>` (base64url).
 * @example await hashPassword('correct horse') // 'scrypt:16384:8:1:…:…'
 */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, DEFAULT_COST);
  const { N, r, p } = DEFAULT_COST;
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64url')}:${hash.toString('base64url')}`;
}

/**
 * Whether `password` matches an encoded hash from {@link hashPassword}, compared in constant
 * time. A malformed hash matches nothing. Pass `undefined` for an unknown user: the same work is
 * done, so timing does not tell unknown users from wrong passwords.
 */
export async function verifyPassword(password: string, encoded: string | undefined): Promise<boolean> {
  const match = ENCODED.exec(encoded ?? '');
  const [N, r, p] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [DEFAULT_COST.N, DEFAULT_COST.r, DEFAULT_COST.p];
  const salt = match ? Buffer.from(match[4]!, 'base64url') : Buffer.alloc(SALT_BYTES);
  const cost = { N, r, p };
  if (128 * N * r > MAX_MEMORY_BYTES || p > 4) return false;
  let actual: Buffer;
  try {
    actual = await derive(password, salt, cost);
  } catch {
    return false; // N not a power of two, and the like: a malformed hash.
  }
  const expected = match ? Buffer.from(match[5]!, 'base64url') : Buffer.alloc(KEY_BYTES);
  return timingSafeEqual(actual, expected) && match !== null;
}

function derive(password: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_BYTES, { ...cost, maxmem: MAX_MEMORY_BYTES + 1024 * 1024 }, (error, key) => {
      if (error) reject(error);
      else resolve(key);
    });
  });
}
