// How long session locks live and how long a request waits for one: the options, their defaults
// and the backoff between attempts, shared by the file store's locks (lock.ts) and the Redis
// store's (redis/lock.ts), so both stores take the same options with the same defaults.

/** Timing of session locks. Every process locking a store must use the same `staleMs`/`updateMs`
 * (proper-lockfile's rule, and the Redis lock's expiry): pass the same options everywhere, or
 * keep the defaults. */
export interface LockTiming {
  /** A lock not refreshed for this long belongs to a dead process and is taken over (files) or
   * expires (Redis). proper-lockfile raises anything under 2000 to 2000, so both stores require
   * at least that. @default 10000 */
  staleMs?: number;
  /** How often a holder refreshes its lock; at most staleMs / 2. @default staleMs / 2 */
  updateMs?: number;
  /** Total time to keep trying for a busy lock before answering 503. Apache's default CGI
   * `Timeout` is 60 s and lighttpd's 360 s read timeout is longer; 8 s leaves the request time
   * to finish well inside both. @default 8000 */
  waitMs?: number;
}

/** The timing with defaults filled in. */
export type ResolvedLockTiming = Required<LockTiming>;

/** The defaults of {@link LockTiming}, for help texts; `updateMs` is half of `staleMs`. */
export const LOCK_DEFAULTS = { staleMs: 10_000, waitMs: 8000 } as const;

const MIN_STALE_MS = 2000;
const FIRST_BACKOFF_MS = 5;
const MAX_BACKOFF_MS = 200;

/** Fills in and checks lock timing; a bad value is a TypeError naming the option. */
export function resolveLockTiming(timing: LockTiming = {}): ResolvedLockTiming {
  const staleMs = timing.staleMs ?? LOCK_DEFAULTS.staleMs;
  if (!Number.isFinite(staleMs) || staleMs < MIN_STALE_MS) {
    throw new TypeError(`option staleMs is invalid: ${staleMs} (at least ${MIN_STALE_MS})`);
  }
  const updateMs = timing.updateMs ?? staleMs / 2;
  if (!Number.isFinite(updateMs) || updateMs < 1000 || updateMs > staleMs / 2) {
    throw new TypeError(`option updateMs is invalid: ${updateMs} (between 1000 and staleMs / 2)`);
  }
  const waitMs = timing.waitMs ?? LOCK_DEFAULTS.waitMs;
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new TypeError(`option waitMs is invalid: ${waitMs}`);
  return { staleMs, updateMs, waitMs };
}

/**
 * The pauses between attempts at a busy lock until `waitMs` is spent: jittered exponential
 * backoff (5 ms doubling up to 200 ms, each pause a random part of that, so a crowd of waiters
 * spreads out instead of retrying in step).
 * @example
 * const retry = lockRetries(timing.waitMs);
 * while (!tryLock()) if (!(await retry())) throw new CgiError('ESESSIONLOCKED', '…');
 */
export function lockRetries(waitMs: number): () => Promise<boolean> {
  const deadline = Date.now() + waitMs;
  let backoffMs = FIRST_BACKOFF_MS;
  return async () => {
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise((resolve) => setTimeout(resolve, Math.min(left, Math.random() * backoffMs + 1)));
    backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
    return true;
  };
}
