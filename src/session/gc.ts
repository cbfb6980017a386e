// Garbage collection: removes expired sessions with bounded work. A session whose lock is held is
// in use and is never deleted; an expired one is deleted only under its own lock, after a re-read.

import { errorCode } from '../base/errors.js';
import type { SessionRecord, SessionStore } from './store.js';

/** The two timeouts, in milliseconds. */
export interface Timeouts {
  /** Longest time between two requests of a session. */
  idleMs: number;
  /** Longest life of a session, however active. */
  absoluteMs: number;
}

/** Options of {@link sweepSessions}. */
export interface SweepOptions extends Timeouts {
  /** The time now, ms since the epoch. */
  now: number;
  /** Most sessions examined in one sweep; a random window of the folder is taken. @default all */
  maxSessions?: number;
  /** Also remove crash debris (temporary files, orphaned locks) older than this, in ms.
   * @default 3600000 (1 h) */
  leftoverAgeMs?: number;
}

/** What a sweep did. */
export interface SweepResult {
  examined: number;
  removed: number;
  /** Expired sessions left alone because their lock was held. */
  locked: number;
  /** Temporary files and orphaned locks removed. */
  leftovers: number;
}

const DEFAULT_LEFTOVER_AGE_MS = 60 * 60 * 1000;

/** Whether a session is past its idle or absolute timeout at `now`. */
export function isExpired(record: SessionRecord, now: number, timeouts: Timeouts): boolean {
  return now - record.touchedAt > timeouts.idleMs || now - record.createdAt > timeouts.absoluteMs;
}

/**
 * Deletes expired sessions from `store` (which must implement `list`). Each candidate is locked
 * without waiting — a held lock means the session is in use, so it is skipped — then re-read, and
 * deleted only if still expired.
 */
export async function sweepSessions(store: SessionStore, options: SweepOptions): Promise<SweepResult> {
  if (store.list === undefined) throw new TypeError('argument store is invalid: sweeping needs a store with list()');
  const ids = (await store.list()).map((entry) => entry.id);
  const max = Math.min(options.maxSessions ?? ids.length, ids.length);
  const start = max < ids.length ? Math.floor(Math.random() * ids.length) : 0;
  const result: SweepResult = { examined: 0, removed: 0, locked: 0, leftovers: 0 };
  for (let i = 0; i < max; i++) {
    const id = ids[(start + i) % ids.length]!;
    result.examined++;
    const outcome = await removeIfExpired(store, id, options);
    if (outcome === 'removed') result.removed++;
    else if (outcome === 'locked') result.locked++;
  }
  if (store.removeLeftovers !== undefined) {
    result.leftovers = await store.removeLeftovers(options.leftoverAgeMs ?? DEFAULT_LEFTOVER_AGE_MS);
  }
  return result;
}

async function removeIfExpired(store: SessionStore, id: string, options: SweepOptions): Promise<'kept' | 'removed' | 'locked'> {
  const before = await store.read(id);
  if (before === undefined || !isExpired(before, options.now, options)) return 'kept';
  let lock;
  try {
    lock = await store.lock(id, { waitMs: 0 });
  } catch (error) {
    if (errorCode(error) === 'ESESSIONLOCKED') return 'locked';
    throw error;
  }
  try {
    const record = await store.read(id);
    if (record === undefined || !isExpired(record, options.now, options)) return 'kept';
    await store.delete(id);
    return 'removed';
  } finally {
    await lock.release();
  }
}
