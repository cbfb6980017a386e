// Session locks: proper-lockfile's lock `<file>.lock`, kept fresh while held, taken over once stale
// (a crashed holder, or a date in the future), and tried with jittered backoff for a bounded time
// (./lock-timing.ts) so a busy session answers 503 long before the web server's CGI timeout gives
// up on us. Everything the project knows about proper-lockfile is here (and, for bundling, in
// src/build/bundle.ts).
//
// The lock is an empty file made with O_CREAT|O_EXCL where proper-lockfile makes a directory
// (through its `fs` option): as atomic, and it holds no data block, so taking and dropping it does
// not allocate and free one on every request (BENCHMARKS.md, FastCGI notes). Either kind excludes
// the other (each fails with EEXIST on the other), and a stale lock of either kind is removed.

import {
  closeSync, constants, lstatSync, open, openSync, rmdirSync, statSync, unlink, unlinkSync, utimes, utimesSync, type Stats,
} from 'node:fs';
import { dirname } from 'node:path';
import { lock as lockAsync, lockSync, type LockOptions } from 'proper-lockfile';
import { dataDirFailure } from '../base/data-dir.js';
import { CgiError, errorCode, errorMessage } from '../base/errors.js';
import { withLazyTimers } from './lazy-timers.js';
import { lockRetries, type ResolvedLockTiming } from './lock-timing.js';
import type { SessionLock } from './store.js';

/** The lock of `<file>` is the empty file `<file>` + this (a directory in releases up to 0.2.0). */
export const LOCK_SUFFIX = '.lock';
/** O_EXCL fails on anything already there, a symbolic link included. */
const LOCK_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Locks `file` (which need not exist) through the empty file `<file>.lock`. Retries with jittered
 * exponential backoff until `waitMs` is spent, then rejects with CgiError `ESESSIONLOCKED`.
 * Other failures (say, EACCES) reject with `ESESSIONSTORE` at once.
 * The returned lock never throws from a timer: losing it only marks it `compromised`, and the
 * store's write then refuses to commit.
 * `blocking` chooses proper-lockfile's synchronous API, for a process that serves one request;
 * otherwise its file calls go to the thread pool, so other requests go on meanwhile.
 */
export async function acquireLock(file: string, timing: ResolvedLockTiming, log: (line: string) => void, blocking: boolean): Promise<SessionLock> {
  const retry = lockRetries(timing.waitMs);
  const held = new HeldLock(file, timing.staleMs, log, blocking);
  const options: LockOptions = {
    // The session file may not exist yet (a new or regenerated session); and so the guarded fs
    // needs no realpath.
    realpath: false,
    stale: timing.staleMs,
    update: timing.updateMs,
    onCompromised: (error) => held.markCompromised(error),
    fs: held.guardedFs,
  };
  for (;;) {
    try {
      // The synchronous API: an attempt is a few system calls, and run synchronously they skip
      // the callback, nextTick and promise hops of the asynchronous API, which measured slower
      // in a CGI process (BENCHMARKS.md, start-up notes). Waiting between attempts stays
      // asynchronous, and the refresh timer is made only once the event loop turns.
      const release = blocking ? withLazyTimers(() => lockSync(file, options)) : await lockAsync(file, options);
      await held.start(release);
      return held;
    } catch (error) {
      // EACCES and the like: the deployment's to fix (500); a full disk passes (503).
      if (errorCode(error) !== 'ELOCKED') throw dataDirFailure(`cannot lock ${file} in ${dirname(file)}`, error);
      if (!(await retry())) {
        throw new CgiError('ESESSIONLOCKED', `session lock ${file}.lock still held after ${timing.waitMs} ms`, { cause: error });
      }
    }
  }
}

/** Whether a live process holds the lock of `file` now (a stale lock counts as not held). */
export function isLocked(file: string, staleMs: number): boolean {
  const info = lockInfo(file);
  return info !== undefined && !isStaleLock(info.mtimeMs, staleMs);
}

/**
 * Whether a lock last refreshed at `mtimeMs` has no live holder at `now`: refreshed
 * longer than `staleMs` ago, or dated further ahead than `staleMs`, which no holder's refresh
 * does (a clock set back, a copied folder) and which would otherwise hold the session until
 * that date. Within `staleMs` ahead it may be a holder whose clock runs ahead of ours (a
 * network file system), so it stays held.
 */
export function isStaleLock(mtimeMs: number, staleMs: number, now = Date.now()): boolean {
  return mtimeMs < now - staleMs || mtimeMs > now + staleMs;
}

/** Removes the lock of `file` if it is stale (see {@link isStaleLock}): the debris of a process
 * that died holding it. Returns whether it removed one. */
export function removeStaleLock(file: string, staleMs: number): boolean {
  const info = lockInfo(file);
  if (info === undefined || !(info.isFile() || info.isDirectory()) || !isStaleLock(info.mtimeMs, staleMs)) return false;
  try {
    removeLockSync(file + LOCK_SUFFIX);
    return true;
  } catch {
    return false; // Gone already.
  }
}

function lockInfo(file: string): Stats | undefined {
  try {
    return lstatSync(file + LOCK_SUFFIX);
  } catch {
    return undefined;
  }
}

/** Removes a lock: our empty file, or an older release's directory. */
function removeLockSync(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (!isDirectoryError(errorCode(error))) throw error;
    rmdirSync(path);
  }
}

/** Whether unlink failed for meeting a directory: EISDIR on Linux, EPERM as POSIX has it. */
function isDirectoryError(code: string | undefined): boolean {
  return code === 'EISDIR' || code === 'EPERM';
}

/** A lock we hold, with enough of its file's identity to tell if someone replaced it. */
class HeldLock implements SessionLock {
  #compromised = false;
  #released = false;
  #release: (() => void | Promise<void>) | undefined;
  /** Whether this process made the lock file (in this attempt or an earlier one). */
  #made = false;
  #ino = 0;
  #birthtimeMs = 0;
  /** When assertHeld last found the lock ours and fresh (0: never). */
  #verifiedAt = 0;
  readonly #lockPath: string;

  constructor(readonly file: string, readonly staleMs: number, readonly log: (line: string) => void, readonly blocking: boolean) {
    this.#lockPath = file + LOCK_SUFFIX;
    Object.setPrototypeOf(this.guardedFs, precisionCache(dirname(file)));
  }

  get compromised(): boolean {
    return this.#compromised;
  }

  /**
   * The file system proper-lockfile uses for this lock: the `…Sync` methods for its synchronous
   * API (also from its refresh timer, and to remove the lock at exit), the callback ones for its
   * asynchronous API, of which only the calls that change the folder go to the thread pool (its
   * stats block, as the store's reads do). Not graceful-fs: its EMFILE queue is of no use here.
   * Its `mkdir` and `rmdir` make and remove the lock file (see the top of this module). Two
   * additions:
   * - The `stat` proper-lockfile makes of the lock it has just made (to learn the mtime
   *   precision) is kept as the lock's identity, which saves a stat of our own.
   * - Removing our lock first checks it is still ours: proper-lockfile removes it
   *   blindly on release and at exit, which would delete the lock of a process that took ours
   *   over as stale. (A check-then-remove race of microseconds remains; the write itself is
   *   guarded by assertHeld.)
   */
  readonly guardedFs = {
    mkdirSync: (path: string) => {
      closeQuietly(openSync(path, LOCK_FLAGS, 0o600));
      this.#madeLock(path);
    },
    statSync: (path: string) => this.#seen(path, statSync(path)),
    utimesSync: (path: string, atime: Date, mtime: Date) => utimesSync(path, atime, mtime),
    rmdirSync: (path: string) => {
      if (this.#mayRemove(path, () => statSync(path))) removeLockSync(path);
    },
    mkdir: (path: string, done: (error: Error | null) => void) => open(path, LOCK_FLAGS, 0o600, (error, fd) => {
      if (error !== null) return done(error);
      closeQuietly(fd); // Never throws here, in a callback: that would end the process.
      this.#madeLock(path);
      done(null);
    }),
    // Blocking, as the store's reads are (file-calls.ts): a stat is answered from memory.
    stat: (path: string, done: (error: Error | null, info?: Stats) => void) => {
      let info: Stats;
      try {
        info = statSync(path);
      } catch (error) {
        return done(error as Error);
      }
      done(null, this.#seen(path, info));
    },
    utimes: (path: string, atime: Date, mtime: Date, done: (error: Error | null) => void) => utimes(path, atime, mtime, done),
    rmdir: (path: string, done: (error: Error | null) => void) => {
      let mayRemove: boolean;
      try {
        mayRemove = this.#mayRemove(path, () => statSync(path));
      } catch (error) {
        return done(error as Error);
      }
      if (!mayRemove) return done(null);
      unlink(path, (error) => {
        if (!isDirectoryError(error?.code)) return done(error);
        try {
          rmdirSync(path); // An older release's lock, found stale: empty, so as quick as a stat.
        } catch (rmdirError) {
          return done(rmdirError as Error);
        }
        done(null);
      });
    },
  };

  #madeLock(path: string): void {
    if (path === this.#lockPath) this.#made = true;
  }

  /** What proper-lockfile is shown of a stat of `path`. */
  #seen(path: string, info: Stats): Stats {
    if (path !== this.#lockPath) return info;
    if (this.#made && this.#ino === 0) this.#remember(info);
    // proper-lockfile counts only a lock older than `stale` as stale; one dated in the future
    // would hold the session until that date. Shown to it as old, it is taken over.
    if (!this.#made && isStaleLock(info.mtimeMs, this.staleMs)) return datedLongAgo(info);
    return info;
  }

  #mayRemove(path: string, statNow: () => Stats): boolean {
    return path !== this.#lockPath || this.#ino === 0 || this.#justVerified() || this.#isOurs(statNow());
  }

  /** Whether assertHeld found the lock ours and fresh so recently that no one can have taken it
   * over since: no one may before it is staleMs old, and it was at most three quarters of that. */
  #justVerified(): boolean {
    return Date.now() - this.#verifiedAt < this.staleMs * 0.25;
  }

  #remember(info: Stats): void {
    this.#ino = info.ino;
    this.#birthtimeMs = info.birthtimeMs;
  }

  #isOurs(info: Stats): boolean {
    return info.ino === this.#ino && info.birthtimeMs === this.#birthtimeMs;
  }

  async start(release: () => void | Promise<void>): Promise<void> {
    this.#release = release;
    keepPrecision(this.guardedFs);
    if (this.#ino === 0) this.#remember(statSync(this.#lockPath)); // Should proper-lockfile not have stat'ed it.
  }

  markCompromised(error: Error): void {
    if (this.#released) return;
    this.#compromised = true;
    this.log(`cgi-shim: session lock ${this.file}.lock was lost (${error.message}); the session will not be saved`);
  }

  async assertHeld(): Promise<void> {
    if (this.#compromised || this.#released) throw lost(this.file, this.#released ? 'it was released' : 'it was compromised');
    let info;
    try {
      info = statSync(this.#lockPath); // Blocking in both modes, as the store's reads are (file-calls.ts).
    } catch (error) {
      throw lost(this.file, errorMessage(error));
    }
    // proper-lockfile notices a takeover only at its next refresh. Check now: the same file
    // (not removed and made again by another process), and fresh enough that no one may take it
    // over in the moment before our rename. A quarter of staleMs (≥ 500 ms) is that moment.
    if (!this.#isOurs(info)) throw lost(this.file, 'another process took it over');
    const now = Date.now();
    if (now - info.mtimeMs > this.staleMs * 0.75) throw lost(this.file, 'it was not refreshed in time');
    this.#verifiedAt = now;
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    if (this.#compromised || this.#release === undefined) return;
    try {
      await (this.blocking ? withLazyTimers(this.#release) : this.#release()); // It clears the refresh timer.
    } catch (error) {
      // ERELEASED/ENOTACQUIRED: already gone. Anything else leaves a lock that goes stale.
      const code = errorCode(error);
      if (code !== 'ERELEASED' && code !== 'ENOTACQUIRED') this.log(`cgi-shim: releasing ${this.file}.lock failed: ${errorMessage(error)}`);
    }
  }
}

/**
 * proper-lockfile learns a folder's mtime precision with a utimes and a stat of each new lock,
 * and caches the answer on the fs object it is given; each lock has a guarded fs of its own, so
 * the answer is kept on a prototype the locks of one folder share (one folder, one file system).
 * Its asynchronous API only: the synchronous one copies the fs object's own methods and caches on
 * the copy, which a CGI process, taking one lock, does not miss.
 */
const precisionCaches = new Map<string, object>();

function precisionCache(folder: string): object {
  let cache = precisionCaches.get(folder);
  if (cache === undefined) precisionCaches.set(folder, (cache = {}));
  return cache;
}

/** Copies what proper-lockfile cached on `fs` (its only symbol-keyed property) to the folder's cache. */
function keepPrecision(fs: object): void {
  const cache = Object.getPrototypeOf(fs) as object;
  for (const key of Object.getOwnPropertySymbols(fs)) {
    if (!Object.prototype.hasOwnProperty.call(cache, key)) Object.defineProperty(cache, key, { value: (fs as Record<symbol, unknown>)[key] });
  }
}

/** `info` with its mtime at the epoch, for proper-lockfile's staleness test. */
function datedLongAgo(info: Stats): Stats {
  return Object.defineProperties(Object.create(info) as Stats, { mtime: { value: new Date(0) }, mtimeMs: { value: 0 } });
}

function lost(file: string, why: string): CgiError {
  return new CgiError('ESESSIONLOCKLOST', `session lock ${file}.lock is no longer held (${why}); nothing was written`);
}

/** Closes the descriptor of a lock file just made. The lock is made either way: an empty file has
 * nothing to write back, and on Linux the descriptor is gone even when close reports an error. */
function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // See above.
  }
}
