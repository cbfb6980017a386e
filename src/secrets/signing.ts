// Signed values: HMAC-SHA256 over a value the client keeps (a cookie, a hidden field), so the
// client can read it but not change it. The key comes from CGI_SECRET or a generated key file.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDirFailure, makeDirs, octal, prepareDataDir, processUid, resolveDataDir } from '../base/data-dir.js';
import { ConfigError, errorCode, errorMessage, HttpError } from '../base/errors.js';
import { writeAll } from '../base/sync-io.js';

/** Options of the package's `createSigner`. */
export interface SignerOptions {
  /** The environment to read `CGI_SECRET` from (at least 32 characters). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** The key file used when `CGI_SECRET` is unset; created if missing: 32 random bytes as 43
   * base64url characters, mode 0600, owned by the script's user. A file that is not exactly
   * that is refused. @default `<sessions folder>/.secret-key` */
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
/** 43 characters and a line break. */
const KEY_FILE_MAX_BYTES = 44;
const SIGNED_SHAPE = /^([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]{43})$/;
/** A key file's text: what createKeyFile writes (base64url of KEY_BYTES), with a final line
 * break allowed for one written by hand. */
const KEY_FILE_TEXT = /^([A-Za-z0-9_-]{43})\n?$/;

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

/**
 * A {@link Signer} keyed by `CGI_SECRET`, else by the key file (made on first use, mode 0600).
 * Throws ConfigError `ESECRET` when the secret is too short or the key file is not exactly what
 * the runtime writes (say, a mode that lets others read it), and HttpError 503 when the disk is
 * too full to make one. (The package's `createSigner`, loaded on first use.)
 */
export function loadSigner(options: SignerOptions = {}): Signer {
  const env = options.env ?? process.env;
  try {
    return createSignerWithKey(secretOf(env) ?? loadKeyFile(options.keyFile ?? defaultKeyFile(checkedDataDir(env, options.dir))));
  } catch (error) {
    if (errorCode(error) !== 'ESESSIONSTORE') throw error;
    // A full disk: the client can only wait, as for a session that cannot be saved.
    throw new HttpError(503, 'This page is unavailable for a moment. Please try again later.', { expose: true, headers: { 'Retry-After': '10' }, cause: error });
  }
}

/** Reads the key file, or makes it (mode 0600) if there is none. */
function loadKeyFile(keyFile: string): Buffer {
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

/** The default key file: `.secret-key` in the sessions folder. */
export function defaultKeyFile(dir: string): string {
  return join(dir, '.secret-key');
}

/** `CGI_SECRET` as key bytes, if set; too short a secret is refused. */
function secretOf(env: Readonly<Record<string, string | undefined>>): Buffer | undefined {
  const secret = env.CGI_SECRET;
  if (secret === undefined || secret === '') return undefined;
  if (secret.length < MIN_SECRET_CHARS) {
    throw new ConfigError('ESECRET', `CGI_SECRET is ${secret.length} characters, too short; fix: set it to ${MIN_SECRET_CHARS} random characters or more`);
  }
  return Buffer.from(secret);
}

/** The sessions folder, made and checked as the session store does: the key file lives there. */
function checkedDataDir(env: Readonly<Record<string, string | undefined>>, dir: string | undefined): string {
  const resolved = dir ?? resolveDataDir(env, process.argv[1]);
  prepareDataDir(resolved, (line) => writeAll(2, `${line}\n`));
  return resolved;
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

/** Reads a key file that must be exactly what createKeyFile writes: a regular file of this user,
 * closed to others, holding 32 bytes in canonical base64url. Anything else (a session file renamed
 * to it, say) is refused, not decoded into some key. */
function readKeyFile(keyFile: string): Buffer {
  const fd = openSync(keyFile, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new BadKeyFile('it is not a regular file');
    const uid = processUid();
    if (uid !== undefined && info.uid !== uid) {
      throw new BadKeyFile(`it is owned by uid ${info.uid}, not by uid ${uid} that runs this script`, `chown ${uid} ${keyFile}, or ${REMOVE_KEY}`);
    }
    if ((info.mode & 0o077) !== 0) throw new BadKeyFile(`its mode ${octal(info.mode)} lets others read or write it`, `chmod 600 ${keyFile}`);
    const shape = `not ${KEY_BYTES} bytes as 43 base64url characters, as the runtime writes a key`;
    if (info.size > KEY_FILE_MAX_BYTES) throw new BadKeyFile(`it holds ${info.size} bytes, ${shape}`);
    const match = KEY_FILE_TEXT.exec(readFileSync(fd, 'latin1'));
    const key = match ? Buffer.from(match[1]!, 'base64url') : undefined;
    if (key === undefined || key.toString('base64url') !== match![1]) throw new BadKeyFile(`it holds ${shape}`);
    return key;
  } finally {
    closeSync(fd);
  }
}

const REMOVE_KEY = 'remove it and the next request makes a new one (values signed with the old key stop verifying), or set CGI_SECRET';

/** What is wrong with a key file, and what fixes it. */
class BadKeyFile extends Error {
  constructor(found: string, readonly fix = REMOVE_KEY) {
    super(found);
  }
}

/** A key file's error: ENOSPC and the like pass (see dataDirFailure); anything else is the
 * deployment's to fix, and the message says how. */
function keyError(keyFile: string, error: unknown): Error {
  if (errorCode(error) === 'ELOOP') return keyError(keyFile, new BadKeyFile('it is a symbolic link')); // O_NOFOLLOW
  if (!(error instanceof BadKeyFile)) return dataDirFailure(`cannot use the signing key file ${keyFile}`, error, 'ESECRET');
  return new ConfigError('ESECRET', `cannot use the signing key file ${keyFile}: ${error.message}; fix: ${error.fix}`);
}
