// The file store: one JSON file `<id>.json` per session in one folder (mode 0700, files 0600).
// Writes go to a temporary file in the same folder and are renamed over the old file, so a
// process killed at any instant leaves the old session or the new one, never a torn file.

// Synchronous file calls on purpose, as in ../base/sync-io.ts: a CGI process serves one request,
// so blocking costs nothing, while loading node:fs/promises would cost every request more.
import {
  closeSync, constants, fstatSync, fsyncSync, lstatSync, openSync, opendirSync, readFileSync, renameSync, unlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { checkDataDir, dataDirFailure, octal, prepareDataDir, processUid } from '../base/data-dir.js';
import { CgiError, errorCode, errorMessage } from '../base/errors.js';
import { writeAll } from '../base/sync-io.js';
import { isSessionId } from './id.js';
import {
  acquireLock, isLocked, LOCK_SUFFIX, removeStaleLock, resolveLockTiming, type LockTiming, type ResolvedLockTiming,
} from './lock.js';
import type { ScanOptions, ScanResult, SessionListing, SessionLock, SessionRecord, SessionStore, StoreLockOptions } from './store.js';

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
const SESSION_SUFFIX = '.json';
const SESSION_FILE_CHARS = 43 + SESSION_SUFFIX.length;
const TEMP_FILE = /^\.[A-Za-z0-9_-]{43}\.[0-9a-f]{12}\.tmp$/;
/** Directory entries read per system call while scanning: fewer calls, the same memory. */
const SCAN_BUFFER_ENTRIES = 1024;
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
  /** Whether the folder has been made (or found) and checked by this process. */
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
    if (!this.#checkDir()) return undefined;
    let text: string;
    try {
      const fd = openSync(file, READ_FLAGS);
      try {
        const info = fstatSync(fd);
        if (!info.isFile()) return this.#foreign(file, 'not a regular file');
        // Only a file this user wrote, closed to others, is a session: a folder that was open
        // once may hold files planted by someone else.
        const uid = processUid();
        if (uid !== undefined && info.uid !== uid) return this.#foreign(file, `owned by uid ${info.uid}, not by uid ${uid}`);
        if ((info.mode & 0o077) !== 0) return this.#foreign(file, `mode ${octal(info.mode)} lets others read or write it`);
        if (info.size > this.maxDataBytes + RECORD_OVERHEAD_BYTES) return this.#foreign(file, `${info.size} bytes, over the limit`);
        text = readFileSync(fd, 'utf8');
      } finally {
        closeSync(fd);
      }
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') return this.#foreign(file, 'a symbolic link');
      if (code === 'EACCES') return this.#foreign(file, 'this user may not read it');
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
    return (await this.scan({})).ids.map((id) => ({ id }));
  }

  async isLocked(id: string): Promise<boolean> {
    return isLocked(this.fileOf(id), this.timing.staleMs);
  }

  /**
   * Reads the folder once, in batches (readdirSync's one sorted array measured twice as slow on
   * a large folder: BENCHMARKS.md, notes), with a cheap test of each name first; keeps the
   * IDs or a random sample of them (reservoir sampling), and removes debris on the way:
   * temporary files of writers that died, older than `leftoverAgeMs`, and stale locks whose
   * session is gone.
   */
  async scan(options: ScanOptions): Promise<ScanResult> {
    const sample = options.sample ?? Infinity;
    if (!(sample === Infinity || (Number.isInteger(sample) && sample >= 0))) throw new TypeError(`option sample is invalid: ${sample}`);
    const result: ScanResult = { ids: [], total: 0, leftovers: 0 };
    if (!this.#checkDir()) return result;
    const debris: string[] = [];
    let dir;
    try {
      dir = opendirSync(this.dir, { bufferSize: SCAN_BUFFER_ENTRIES });
    } catch (error) {
      throw storeError(`cannot list ${this.dir}`, error);
    }
    try {
      for (let entry = dir.readSync(); entry !== null; entry = dir.readSync()) {
        const name = entry.name;
        const id = sessionIdOf(name);
        if (id !== undefined) {
          // Algorithm R: the n-th ID replaces a kept one with chance sample / n.
          const slot = result.total < sample ? result.total : Math.floor(Math.random() * (result.total + 1));
          if (slot < sample) result.ids[slot] = id;
          result.total++;
        } else if (options.leftoverAgeMs !== undefined && (name.endsWith(LOCK_SUFFIX) || name.endsWith('.tmp'))) {
          debris.push(name);
        }
      }
    } catch (error) {
      throw storeError(`cannot list ${this.dir}`, error);
    } finally {
      dir.closeSync();
    }
    if (options.leftoverAgeMs !== undefined) result.leftovers = this.#removeDebris(debris, options.leftoverAgeMs);
    return result;
  }

  /** Removes the temporary files older than `ageMs` and the stale locks of sessions that are
   * gone among `names`; resolves with how many it removed. */
  #removeDebris(names: readonly string[], ageMs: number): number {
    let removed = 0;
    const cutoff = Date.now() - ageMs;
    for (const name of names) {
      const sessionFile = name.endsWith(LOCK_SUFFIX) ? name.slice(0, -LOCK_SUFFIX.length) : '';
      if (sessionIdOf(sessionFile) !== undefined) {
        // A lock on an existing session is taken over by the next request that wants it; only a
        // stale one whose session is gone is debris, whatever its age (say, dated in the future).
        const file = join(this.dir, sessionFile);
        if (lstatOrUndefined(file) === undefined && removeStaleLock(file, this.timing.staleMs)) removed++;
      } else if (TEMP_FILE.test(name) && (lstatOrUndefined(join(this.dir, name))?.mtimeMs ?? cutoff) < cutoff) {
        try {
          unlinkSync(join(this.dir, name));
          removed++;
        } catch {
          // Gone already.
        }
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

  /** Makes (0700) and checks the folder once per process, before anything is written. */
  #ensureDir(): void {
    if (this.#dirReady) return;
    prepareDataDir(this.dir, this.#log);
    this.#dirReady = true;
  }

  /** Checks the folder before anything is read from it; false when it does not exist yet. */
  #checkDir(): boolean {
    if (this.#dirReady) return true;
    this.#dirReady = checkDataDir(this.dir);
    return this.#dirReady;
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

/** 12 hex digits that keep concurrent writers' temporary files apart. They need not be secret:
 * the folder is 0700 and the file is opened O_EXCL, so a clash fails instead of sharing a file.
 * (Math.random rather than node:crypto, whose loading would cost every request.) */
function tempSuffix(): string {
  return Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0');
}

/** The ID in a session file's name `<id>.json`, or undefined for any other name. A cheap test
 * first: a scan meets every name in the folder. */
function sessionIdOf(name: string): string | undefined {
  if (name.length !== SESSION_FILE_CHARS || !name.endsWith(SESSION_SUFFIX)) return undefined;
  const id = name.slice(0, -SESSION_SUFFIX.length);
  return isSessionId(id) ? id : undefined;
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** A failed file operation in a folder that passed its checks: 503 when it passes (a full disk,
 * the folder removed under us and made again by the next request), else the deployment's. */
function storeError(what: string, error: unknown): CgiError {
  if (errorCode(error) === 'ENOENT') return new CgiError('ESESSIONSTORE', `${what}: ${errorMessage(error)}`, { cause: error });
  return dataDirFailure(what, error);
}
