// The contract between sessions and where they are kept. The file store and the Redis store (one
// shared by several web servers) implement it, and scripts do not change with the store. Only
// types live here, so importing this module costs nothing at run time.

/** Session data: a JSON object. Values must survive `JSON.stringify` / `JSON.parse`. */
export type SessionData = Record<string, unknown>;

/** What a store keeps for one session. Times are milliseconds since the epoch. */
export interface SessionRecord {
  /** When the session was created (or last regenerated): the absolute timeout counts from here. */
  createdAt: number;
  /** When the session was last saved or touched: the idle timeout counts from here. */
  touchedAt: number;
  /** The script's data. */
  data: SessionData;
}

/** A held lock on one session. */
export interface SessionLock {
  /** True once the lock was lost (taken over as stale, or its lock file removed). */
  readonly compromised: boolean;
  /**
   * Resolves if the lock is still certainly ours and will stay ours for a moment; otherwise
   * rejects with a CgiError `ESESSIONLOCKLOST`. Stores call it just before committing a write.
   */
  assertHeld(): Promise<void>;
  /** Releases the lock. Never rejects: a lock already lost is simply gone. Idempotent. */
  release(): Promise<void>;
}

/** Options of {@link SessionStore.lock}. */
export interface StoreLockOptions {
  /** How long to keep trying before giving up, in ms; 0 tries once. @default the store's budget */
  waitMs?: number;
}

/** One entry of {@link SessionStore.list}. */
export interface SessionListing {
  id: string;
  /** Size of the stored session in bytes, when the store knows it. */
  bytes?: number;
}

/** Options of {@link SessionStore.scan}. */
export interface ScanOptions {
  /** At most this many session IDs, chosen at random, every stored session as likely as any
   * other. @default all of them */
  sample?: number;
  /** Remove crash debris (temporary files, stale locks of sessions that are gone) on the way;
   * temporary files only once older than this, in ms. @default nothing is removed */
  leftoverAgeMs?: number;
}

/** What {@link SessionStore.scan} found. */
export interface ScanResult {
  /** The IDs: all, or the sample. */
  ids: string[];
  /** How many sessions the store holds (at the time of the scan). */
  total: number;
  /** How many pieces of debris were removed. */
  leftovers: number;
}

/**
 * A place to keep sessions. Every method receives only IDs that passed `isSessionId`, but a
 * store must still refuse others (TypeError): it is the last line before the filesystem.
 *
 * Required: `read`, `write`, `delete`, `lock`. Optional: `list` (needed by GC and the CLI),
 * `isLocked` (the CLI shows it), `scan` (what GC uses when present: one pass over the store).
 * Not found is `undefined`, never an error; unreadable or foreign data counts as not found (and is
 * logged). Operational failures reject with a CgiError carrying a stable `code`:
 * - `ESESSIONLOCKED`: the lock was not had in time;
 * - `ESESSIONLOCKLOST`: the lock was lost before the write could commit;
 * - `ESESSIONTOOLARGE`: the data is over the store's size limit;
 * - `ESESSIONSTORE`: the store failed in a way that may pass (a full disk, a server down or too
 *   slow to answer): sessions answer 503 with `Retry-After`;
 * - `ESESSIONCONFIG`, as a `ConfigError`: the store is misconfigured, which waiting will not
 *   cure (a wrong password, user or database, a certificate that does not verify, a bad store
 *   address): sessions answer 500, so clients and monitors are not told to come back for
 *   something that never passes (the file store's folder problems are ConfigError `ESESSIONDIR`).
 */
export interface SessionStore {
  /** True when the store drops expired sessions by itself (Redis key expiry): then sweeps after
   * requests and `cgi-shim gc` skip it, having nothing to do. @default false */
  readonly expiresSessions?: boolean;
  /** The session stored under `id`, or undefined. Does not lock; callers that will write lock first. */
  read(id: string): Promise<SessionRecord | undefined>;
  /**
   * Replaces the session stored under `id` all at once: a reader sees the old or the new record,
   * never a mix, even if the process dies midway. With a `lock`, the write commits only while the
   * lock is held (see {@link SessionLock.assertHeld}); without one the caller guarantees no one
   * else knows the ID (a brand-new session).
   */
  write(id: string, record: SessionRecord, lock?: SessionLock): Promise<void>;
  /** Removes the session; removing an absent one is not an error. */
  delete(id: string): Promise<void>;
  /** Takes the session's exclusive lock, retrying within the budget; rejects `ESESSIONLOCKED`. */
  lock(id: string, options?: StoreLockOptions): Promise<SessionLock>;
  /** Every stored session ID (in no particular order). */
  list?(): Promise<SessionListing[]>;
  /** Whether some process holds the session's lock now (a stale lock counts as not held). */
  isLocked?(id: string): Promise<boolean>;
  /** One pass over the store for garbage collection: every ID or a random sample of them, with
   * the debris of crashed processes removed on the way. Without it, GC uses `list`. */
  scan?(options: ScanOptions): Promise<ScanResult>;
}
