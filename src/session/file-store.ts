// The file store: one JSON file `<id>.json` per session in one folder (mode 0700, files 0600).
// Writes go to a temporary file in the same folder and are renamed over the old file, so a
// process killed at any instant leaves the old session or the new one, never a torn file.

// A request's changes to files block or not as the store is told (./file-calls.ts); its reads,
// the folder's checks (once per store), scans and garbage collection, which run off a FastCGI
// process's request path, stay synchronous.
import { closeSync, constants, fstatSync, lstatSync, opendirSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { checkDataDir, dataDirFailure, octal, prepareDataDir, processUid } from '../base/data-dir.js';
import { CgiError, errorCode, errorMessage } from '../base/errors.js';
import { writeAll } from '../base/sync-io.js';
import { BLOCKING_CALLS, readText, THREAD_POOL_CALLS, type FileCalls } from './file-calls.js';
import { isSessionId } from './id.js';
import { acquireLock, isLocked, LOCK_SUFFIX, removeStaleLock } from './lock.js';
import { resolveLockTiming, type LockTiming, type ResolvedLockTiming } from './lock-timing.js';
import { parseRecord, RECORD_OVERHEAD_BYTES, resolveMaxDataBytes, serializeRecord } from './record.js';
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
  /** Make the calls that change files (the lock file, the temporary file, its flush and
   * rename) in the event loop's thread pool rather than blocking, so that a process serving many
   * requests at once (FastCGI) goes on with the others while one waits on the disk. Reads block
   * either way: the page cache answers them in microseconds, less than a hand-over to the pool
   * costs (BENCHMARKS.md). A CGI process serves one request: blocking calls cost it less.
   * @default false */
  threadPool?: boolean;
}

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
  /** Whether a request's changes to files go to the thread pool (option `threadPool`). */
  readonly threadPool: boolean;
  readonly #log: (line: string) => void;
  readonly #fs: FileCalls;
  /** Whether the folder has been made (or found) and checked by this process. */
  #dirReady = false;

  constructor(options: FileStoreOptions) {
    if (typeof options?.dir !== 'string' || options.dir === '') throw new TypeError(`option dir is invalid: ${String(options?.dir)}`);
    this.dir = options.dir;
    this.maxDataBytes = resolveMaxDataBytes(options.maxDataBytes);
    this.timing = resolveLockTiming(options);
    if (options.durable !== undefined && typeof options.durable !== 'boolean') throw new TypeError(`option durable is invalid: ${String(options.durable)}`);
    this.durable = options.durable ?? true;
    this.#log = options.log ?? ((line) => writeAll(2, `${line}\n`));
    if (options.threadPool !== undefined && typeof options.threadPool !== 'boolean') throw new TypeError(`option threadPool is invalid: ${String(options.threadPool)}`);
    this.threadPool = options.threadPool ?? false;
    this.#fs = this.threadPool ? THREAD_POOL_CALLS : BLOCKING_CALLS;
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
      // Blocking in both modes: see the threadPool option.
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
        text = readText(fd, info.size);
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
    const text = serializeRecord(record, this.maxDataBytes);
    this.#ensureDir();
    const temp = join(this.dir, `.${id}.${tempSuffix()}.tmp`);
    const fs = this.#fs;
    try {
      const fd = await fs.open(temp, CREATE_FLAGS, 0o600);
      try {
        await fs.writeText(fd, text);
        if (this.durable) await fs.fsync(fd); // The bytes are on disk before the name points at them.
      } finally {
        await fs.close(fd);
      }
      if (lock !== undefined) await lock.assertHeld();
      await fs.rename(temp, file);
      if (this.durable) await this.#syncDir(); // The rename itself survives a power cut.
    } catch (error) {
      await fs.unlink(temp).catch(() => undefined); // Never created, or already renamed.
      if (error instanceof CgiError) throw error;
      throw storeError(`cannot save session file ${file}`, error);
    }
  }

  async delete(id: string): Promise<void> {
    const file = this.fileOf(id);
    try {
      await this.#fs.unlink(file);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw storeError(`cannot delete ${file}`, error);
    }
  }

  async lock(id: string, options: StoreLockOptions = {}): Promise<SessionLock> {
    const file = this.fileOf(id);
    this.#ensureDir();
    const timing = options.waitMs === undefined ? this.timing : { ...this.timing, waitMs: options.waitMs };
    return acquireLock(file, timing, this.#log, this.#fs.blocking);
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

  async #syncDir(): Promise<void> {
    const fd = await this.#fs.open(this.dir, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      await this.#fs.fsync(fd);
    } finally {
      await this.#fs.close(fd);
    }
  }

  #foreign(file: string, why: string): undefined {
    this.#log(`cgi-shim: ignoring session file ${file}: ${why}; treated as no session`);
    return undefined;
  }
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
