// The file store: one JSON file `<id>.json` per session in one folder (mode 0700, files 0600).
// Writes go to a temporary file in the same folder and are renamed over the old file, so a
// process killed at any instant leaves the old session or the new one, never a torn file.

// Synchronous file calls on purpose, as in ../base/sync-io.ts: a CGI process serves one request,
// so blocking costs nothing, while loading node:fs/promises would cost every request more.
import {
  chmodSync, closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, readdirSync,
  readFileSync, renameSync, rmdirSync, statSync, unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeDirs } from '../base/data-dir.js';
import { CgiError, errorCode, errorMessage } from '../base/errors.js';
import { writeAll } from '../base/sync-io.js';
import { isSessionId } from './id.js';
import { acquireLock, isLocked, LOCK_SUFFIX, resolveLockTiming, type LockTiming, type ResolvedLockTiming } from './lock.js';
import type { SessionListing, SessionLock, SessionRecord, SessionStore, StoreLockOptions } from './store.js';

/** Options of {@link FileSessionStore}. */
export interface FileStoreOptions extends LockTiming {
  /** The sessions folder; created (mode 0700) on first write. Required. */
  dir: string;
  /** Largest session data, in bytes of JSON; a bigger save fails with `ESESSIONTOOLARGE`. @default 65536 */
  maxDataBytes?: number;
  /** Where diagnostics go (one line each). @default stderr */
  log?: (line: string) => void;
  /**
   * Flush every save to the disk before answering (fsync the file, and the folder after the
   * rename), so that it survives a power cut or a kernel crash. Without it, a killed process
   * still leaves the old or the new session (the rename is atomic), but a power cut may undo the
   * last saves, or, on filesystems other than ext4, leave an empty file, which reads as no
   * session. On by default: a session is promised never to be lost once its request was
   * answered. PHP's and Perl's session files do without it; `false` does the same, saving the two
   * flushes' time on every save (BENCHMARKS.md) at the price of that promise.
   * @default true
   */
  durable?: boolean;
}

const FORMAT_VERSION = 1;
const DEFAULT_MAX_DATA_BYTES = 64 * 1024;
/** Room for the record's own fields around the data. */
const RECORD_OVERHEAD_BYTES = 256;
const SESSION_FILE = /^([A-Za-z0-9_-]{43})\.json$/;
const TEMP_FILE = /^\.[A-Za-z0-9_-]{43}\.[0-9a-f]{12}\.tmp$/;
// O_NOFOLLOW: a symlink planted in the folder is refused (ELOOP), never followed. O_NONBLOCK: a
// FIFO planted there cannot hang the open; fstat then refuses anything but a regular file.
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Keeps sessions as files in one folder. See {@link SessionStore} for the contract. */
export class FileSessionStore implements SessionStore {
  /** The sessions folder. */
  readonly dir: string;
  /** The largest session data accepted, in bytes. */
  readonly maxDataBytes: number;
  /** Lock timing, defaults filled in. */
  readonly timing: ResolvedLockTiming;
  /** Whether saves are flushed to the disk (option `durable`). */
  readonly durable: boolean;
  readonly #log: (line: string) => void;
  #dirReady = false;

  constructor(options: FileStoreOptions) {
    if (typeof options?.dir !== 'string' || options.dir === '') throw new TypeError(`option dir is invalid: ${String(options?.dir)}`);
    const maxDataBytes = options.maxDataBytes ?? DEFAULT_MAX_DATA_BYTES;
    if (!Number.isInteger(maxDataBytes) || maxDataBytes < 1) throw new TypeError(`option maxDataBytes is invalid: ${maxDataBytes}`);
    this.dir = options.dir;
    this.maxDataBytes = maxDataBytes;
    this.timing = resolveLockTiming(options);
    if (options.durable !== undefined && typeof options.durable !== 'boolean') throw new TypeError(`option durable is invalid: ${String(options.durable)}`);
    this.durable = options.durable ?? true;
    this.#log = options.log ?? ((line) => writeAll(2, `${line}\n`));
  }

  /** The file of session `id`. Throws a TypeError for anything not shaped like an ID. */
  fileOf(id: string): string {
    if (!isSessionId(id)) throw new TypeError('argument id is invalid: not a session ID');
    return join(this.dir, `${id}.json`);
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    const file = this.fileOf(id);
    let text: string;
    try {
      const fd = openSync(file, READ_FLAGS);
      try {
        const info = fstatSync(fd);
        if (!info.isFile()) return this.#foreign(file, 'not a regular file');
        if (info.size > this.maxDataBytes + RECORD_OVERHEAD_BYTES) return this.#foreign(file, `${info.size} bytes, over the limit`);
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') return this.#foreign(file, 'a symbolic link');
      throw storeError(`cannot read ${file}`, error);
    }
    return parseRecord(text) ?? this.#foreign(file, 'not a session record');
  }

  async write(id: string, record: SessionRecord, lock?: SessionLock): Promise<void> {
    const file = this.fileOf(id);
    const text = this.#serialize(record);
    this.#ensureDir();
    const temp = join(this.dir, `.${id}.${tempSuffix()}.tmp`);
    try {
      const fd = openSync(temp, CREATE_FLAGS, 0o600);
      try {
        writeAll(fd, text); // writeSync, which the response needs anyway: one less fs function to compile.
        if (this.durable) fsyncSync(fd); // The bytes are on disk before the name points at them.
      } finally {
        closeSync(fd);
      }
      if (lock !== undefined) await lock.assertHeld();
      renameSync(temp, file);
      if (this.durable) this.#syncDir(); // The rename itself survives a power cut.
    } catch (error) {
      try {
        unlinkSync(temp);
      } catch {
        // Never created, or already renamed.
      }
      if (error instanceof CgiError) throw error;
      throw storeError(`cannot save session file ${file}`, error);
    }
  }

  async delete(id: string): Promise<void> {
    const file = this.fileOf(id);
    try {
      unlinkSync(file);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw storeError(`cannot delete ${file}`, error);
    }
  }

  async lock(id: string, options: StoreLockOptions = {}): Promise<SessionLock> {
    const file = this.fileOf(id);
    this.#ensureDir();
    const timing = options.waitMs === undefined ? this.timing : { ...this.timing, waitMs: options.waitMs };
    return acquireLock(file, timing, this.#log);
  }

  async list(): Promise<SessionListing[]> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw storeError(`cannot list ${this.dir}`, error);
    }
    const out: SessionListing[] = [];
    for (const name of names) {
      const match = SESSION_FILE.exec(name);
      if (match) out.push({ id: match[1]! });
    }
    return out;
  }

  async isLocked(id: string): Promise<boolean> {
    return isLocked(this.fileOf(id), this.timing.staleMs);
  }

  async removeLeftovers(ageMs: number): Promise<number> {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return 0;
      throw storeError(`cannot list ${this.dir}`, error);
    }
    let removed = 0;
    const cutoff = Date.now() - ageMs;
    for (const name of names) {
      const lockOf = name.endsWith(LOCK_SUFFIX) ? SESSION_FILE.exec(name.slice(0, -LOCK_SUFFIX.length)) : null;
      if (!TEMP_FILE.test(name) && !lockOf) continue;
      const path = join(this.dir, name);
      const info = lstatOrUndefined(path);
      if (info === undefined || info.mtimeMs >= cutoff) continue;
      try {
        if (lockOf) {
          // Only a lock that is stale (its holder died) and whose session is gone is debris;
          // a lock on an existing session is taken over by the next request that wants it.
          if (!info.isDirectory() || info.mtimeMs >= Date.now() - this.timing.staleMs) continue;
          if (lstatOrUndefined(join(this.dir, `${lockOf[1]}.json`)) !== undefined) continue;
          rmdirSync(path);
        } else {
          unlinkSync(path);
        }
        removed++;
      } catch {
        // Gone already, or taken by someone: nothing to clean.
      }
    }
    return removed;
  }

  #serialize(record: SessionRecord): string {
    const data = JSON.stringify(record.data);
    const dataBytes = Buffer.byteLength(data);
    if (dataBytes > this.maxDataBytes) {
      throw new CgiError('ESESSIONTOOLARGE',
        `session data is ${dataBytes} bytes of JSON, over the limit of ${this.maxDataBytes} (option maxDataBytes); nothing was saved`);
    }
    return `{"v":${FORMAT_VERSION},"createdAt":${Math.trunc(record.createdAt)},"touchedAt":${Math.trunc(record.touchedAt)},"data":${data}}\n`;
  }

  #ensureDir(): void {
    if (this.#dirReady) return;
    try {
      prepareDir(this.dir);
    } catch (error) {
      throw storeError(`cannot use the sessions folder ${this.dir}`, error);
    }
    this.#dirReady = true;
  }

  #syncDir(): void {
    const fd = openSync(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  #foreign(file: string, why: string): undefined {
    this.#log(`cgi-shim: ignoring session file ${file}: ${why}; treated as no session`);
    return undefined;
  }
}

/** Parses a session file; undefined for anything that is not exactly a record of ours. */
export function parseRecord(text: string): SessionRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text); // Only JSON: reading a session never runs code.
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { v, createdAt, touchedAt, data } = value as Record<string, unknown>;
  if (v !== FORMAT_VERSION || !Number.isFinite(createdAt) || !Number.isFinite(touchedAt)) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  // A prototype-less copy: a key such as "__proto__" stays a plain key.
  const clean: Record<string, unknown> = Object.assign(Object.create(null), data);
  return { createdAt: createdAt as number, touchedAt: touchedAt as number, data: clean };
}

/** Creates the folder (0700) if missing, and narrows an existing one we own to 0700. */
function prepareDir(dir: string): void {
  makeDirs(dir, 0o700);
  const info = statSync(dir);
  if (!info.isDirectory()) throw new Error(`${dir} is not a folder`);
  const ours = typeof process.getuid !== 'function' || info.uid === process.getuid();
  if (ours && (info.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** 12 hex digits that keep concurrent writers' temporary files apart. They need not be secret:
 * the folder is 0700 and the file is opened O_EXCL, so a clash fails instead of sharing a file.
 * (Math.random rather than node:crypto, whose loading would cost every request.) */
function tempSuffix(): string {
  return Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function storeError(what: string, error: unknown): CgiError {
  return new CgiError('ESESSIONSTORE', `${what}: ${errorMessage(error)}`, { cause: error });
}
