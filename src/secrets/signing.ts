// Signed values: HMAC-SHA256 over a value the client keeps (a cookie, a hidden field), so the
// client can read it but not change it. The key comes from CGI_SECRET or a generated key file.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeDirs, resolveDataDir } from '../base/data-dir.js';
import { CgiError, errorCode, errorMessage } from '../base/errors.js';

/** Options of the package's `createSigner`. */
export interface SignerOptions {
  /** The environment to read `CGI_SECRET` from (at least 32 characters). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The key file used when `CGI_SECRET` is unset; created (32 random bytes, mode 0600) if
   * missing. @default `<sessions folder>/.secret-key` */
  keyFile?: string;
  /** The sessions folder, for the default key file. @default resolved as for sessions */
  dir?: string;
}

/** Signs and verifies values with one key. */
export interface Signer {
  /** `value` plus its signature, safe in a cookie or URL: `<base64url value>.<base64url MAC>`. */
  sign(value: string): string;
  /** The value if `signed` carries a valid signature, else undefined (tampered or malformed). */
  verify(signed: string | undefined): string | undefined;
}

const MIN_SECRET_CHARS = 32;
const KEY_BYTES = 32;
const SIGNED_SHAPE = /^([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{43})$/;

/**
 * A {@link Signer} with the given key (at least 32 bytes).
 * @example
 * const signer = createSignerWithKey(key);
 * const ticket = signer.sign('plate=AB-123;until=1700000000');
 * signer.verify(ticket) // 'plate=AB-123;until=1700000000'
 */
export function createSignerWithKey(key: Uint8Array | string): Signer {
  const keyBytes = typeof key === 'string' ? Buffer.from(key) : Buffer.from(key);
  if (keyBytes.length < KEY_BYTES) throw new TypeError(`argument key is invalid: ${keyBytes.length} bytes, at least ${KEY_BYTES} needed`);
  const mac = (value: string) => createHmac('sha256', keyBytes).update(value).digest();
  return {
    sign(value) {
      if (typeof value !== 'string') throw new TypeError(`argument value is invalid: ${String(value)}`);
      return `${Buffer.from(value).toString('base64url')}.${mac(value).toString('base64url')}`;
    },
    verify(signed) {
      const match = typeof signed === 'string' ? SIGNED_SHAPE.exec(signed) : null;
      if (!match) return undefined;
      const value = Buffer.from(match[1]!, 'base64url').toString();
      // Re-encoding must give back the same text, so one value has exactly one signed form.
      if (Buffer.from(value).toString('base64url') !== match[1]) return undefined;
      // Compare the text of the MAC, not its decoded bytes: the last base64url character has two
      // spare bits, so four spellings decode alike, and only the canonical one may pass.
      const given = Buffer.from(match[2]!);
      const expected = Buffer.from(mac(value).toString('base64url'));
      return given.length === expected.length && timingSafeEqual(given, expected) ? value : undefined;
    },
  };
}

/** Reads the signing key from `CGI_SECRET`, or from the key file (creating it, mode 0600). */
export function loadSigningKey(env: Readonly<Record<string, string | undefined>>, keyFile: string): Buffer {
  const secret = env.CGI_SECRET;
  if (secret !== undefined && secret !== '') {
    if (secret.length < MIN_SECRET_CHARS) throw new CgiError('ESECRET', `CGI_SECRET is too short: at least ${MIN_SECRET_CHARS} characters`);
    return Buffer.from(secret);
  }
  try {
    return readKeyFile(keyFile);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw keyError(keyFile, error);
  }
  try {
    createKeyFile(keyFile);
  } catch (error) {
    // EEXIST: another process made it first; read theirs below.
    if (errorCode(error) !== 'EEXIST') throw keyError(keyFile, error);
  }
  try {
    return readKeyFile(keyFile);
  } catch (error) {
    throw keyError(keyFile, error);
  }
}

/**
 * A {@link Signer} keyed by `CGI_SECRET`, else by the key file (made on first use, mode 0600).
 * Throws CgiError `ESECRET` when the secret is too short or the key file is unusable (say, a mode
 * that lets others read it). (The package's `createSigner`, loaded on first use.)
 */
export function loadSigner(options: SignerOptions = {}): Signer {
  const env = options.env ?? process.env;
  const keyFile = options.keyFile ?? defaultKeyFile(options.dir ?? resolveDataDir(env, process.argv[1]));
  return createSignerWithKey(loadSigningKey(env, keyFile));
}

/** The default key file: `.secret-key` in the sessions folder. */
export function defaultKeyFile(dir: string): string {
  return join(dir, '.secret-key');
}

/** Writes a new key to a temporary file and links it into place: the key file appears complete
 * or not at all, so a concurrent reader never sees half a key. Throws EEXIST if one exists. */
function createKeyFile(keyFile: string): void {
  makeDirs(dirname(keyFile), 0o700);
  const temp = `${keyFile}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, randomBytes(KEY_BYTES).toString('base64url'));
    fsyncSync(fd);
    closeSync(fd);
    linkSync(temp, keyFile);
  } finally {
    try { unlinkSync(temp); } catch { /* already gone */ }
  }
}

function readKeyFile(keyFile: string): Buffer {
  const fd = openSync(keyFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new Error('not a regular file');
    if ((info.mode & 0o077) !== 0) throw new Error(`mode ${(info.mode & 0o777).toString(8)} lets others read it; chmod 600`);
    const key = Buffer.from(readFileSync(fd, 'utf8').trim(), 'base64url');
    if (key.length < KEY_BYTES) throw new Error('the key is shorter than 32 bytes');
    return key;
  } finally {
    closeSync(fd);
  }
}

function keyError(keyFile: string, error: unknown): CgiError {
  return new CgiError('ESECRET', `cannot use the signing key file ${keyFile}: ${errorMessage(error)}`, { cause: error });
}
