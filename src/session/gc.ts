// Garbage collection: removes expired sessions with bounded work. A session whose lock is held is
// in use and is never deleted; an expired one is deleted only under its own lock, after a re-read.
// The store is read once per sweep (its `scan`), whether the sweep examines all of it (cron) or
// a random few (the occasional sweep after a request).

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
  /** Most sessions examined in one sweep, chosen at random. @default all */
  maxSessions?: number;
  /** Also remove crash debris: temporary files older than this, in ms, and stale locks of
   * sessions that are gone. @default 3600000 (1 h) */
  leftoverAgeMs?: number;
  /** Told how far the sweep is after each session examined (for a progress display). */
  onProgress?: (examined: number, total: number) => void;
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
  const { ids, leftovers } = await candidates(store, options);
  const result: SweepResult = { examined: 0, removed: 0, locked: 0, leftovers };
  for (const id of ids) {
    const outcome = await removeIfExpired(store, id, options);
    result.examined++;
    if (outcome === 'removed') result.removed++;
    else if (outcome === 'locked') result.locked++;
    options.onProgress?.(result.examined, ids.length);
  }
  return result;
}

/** The IDs to examine, from one pass over the store (its `scan`), else from `list`. */
async function candidates(store: SessionStore, options: SweepOptions): Promise<{ ids: string[]; leftovers: number }> {
  const sample = options.maxSessions;
  if (store.scan !== undefined) return store.scan({ sample, leftoverAgeMs: options.leftoverAgeMs ?? DEFAULT_LEFTOVER_AGE_MS });
  if (store.list === undefined) throw new TypeError('argument store is invalid: sweeping needs a store with scan() or list()');
  const ids = (await store.list()).map((entry) => entry.id);
  // A partial Fisher–Yates shuffle: the first `sample` places hold a random choice.
  const count = Math.min(sample ?? ids.length, ids.length);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (ids.length - i));
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
  }
  return { ids: ids.slice(0, count), leftovers: 0 };
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
