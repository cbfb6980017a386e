import test from 'ava';
import { readdir, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { CgiError } from '../../src/base/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { isExpired, sweepSessions } from '../../src/session/gc.js';
import { createSessionId } from '../../src/session/id.js';
import type { ScanOptions, SessionRecord, SessionStore } from '../../src/session/store.js';
import { countFsCalls } from '../helpers/fs-calls.js';
import { plantLock } from '../helpers/planted-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const timeouts = { idleMs: 1000, absoluteMs: 10_000 };

test('isExpired applies both the idle and the absolute timeout', (t) => {
  t.false(isExpired({ createdAt: 0, touchedAt: 0, data: {} }, 1000, timeouts));
  t.true(isExpired({ createdAt: 0, touchedAt: 0, data: {} }, 1001, timeouts));
  t.false(isExpired({ createdAt: 0, touchedAt: 9500, data: {} }, 10_000, timeouts));
  t.true(isExpired({ createdAt: 0, touchedAt: 9500, data: {} }, 10_001, timeouts));
});

test('sweepSessions removes expired sessions and keeps live ones', async (t) => {
  const dir = await tempDir();
  const store = new FileSessionStore({ dir });
  const live = (await createSessionId());
  const idle = (await createSessionId());
  const old = (await createSessionId());
  await store.write(live, { createdAt: 50_000, touchedAt: 59_500, data: {} });
  await store.write(idle, { createdAt: 50_000, touchedAt: 58_000, data: {} });
  await store.write(old, { createdAt: 40_000, touchedAt: 59_900, data: {} });
  const result = await sweepSessions(store, { ...timeouts, now: 60_000 });
  t.like(result, { examined: 3, removed: 2, locked: 0 });
  t.deepEqual(await readdir(dir), [`${live}.json`]);
});

test('sweepSessions never deletes a session whose lock is held', async (t) => {
  const dir = await tempDir();
  const store = new FileSessionStore({ dir });
  const busy = (await createSessionId());
  await store.write(busy, { createdAt: 0, touchedAt: 0, data: {} });
  const lock = await store.lock(busy);
  try {
    const result = await sweepSessions(store, { ...timeouts, now: 60_000 });
    t.like(result, { removed: 0, locked: 1 });
    t.truthy(await store.read(busy));
  } finally {
    await lock.release();
  }
  t.like(await sweepSessions(store, { ...timeouts, now: 60_000 }), { removed: 1 });
});

test('sweepSessions examines at most maxSessions', async (t) => {
  const dir = await tempDir();
  const store = new FileSessionStore({ dir });
  for (let i = 0; i < 10; i++) await store.write((await createSessionId()), { createdAt: 0, touchedAt: 0, data: {} });
  t.like(await sweepSessions(store, { ...timeouts, now: 60_000, maxSessions: 4 }), { examined: 4, removed: 4 });
  t.is((await store.list()).length, 6);
});

test('sweepSessions removes a lock dated in the future whose session is gone, at any age', async (t) => {
  const dir = await tempDir();
  const store = new FileSessionStore({ dir });
  const gone = await createSessionId();
  const live = await createSessionId();
  await store.write(live, { createdAt: 59_000, touchedAt: 59_000, data: {} });
  const future = new Date(Date.now() + 30 * 24 * 3600_000);
  for (const id of [gone, live]) {
    await plantLock(join(dir, `${id}.json.lock`));
    await utimes(join(dir, `${id}.json.lock`), future, future);
  }
  t.like(await sweepSessions(store, { ...timeouts, now: 60_000 }), { leftovers: 1 });
  // The live session's lock is taken over by its next request, not by GC.
  t.deepEqual((await readdir(dir)).sort(), [`${live}.json`, `${live}.json.lock`].sort());
});

test.serial('sweepSessions reads the folder once, for all sessions or a sample', async (t) => {
  const dir = await tempDir();
  const store = new FileSessionStore({ dir });
  for (let i = 0; i < 10; i++) await store.write(await createSessionId(), { createdAt: 59_000, touchedAt: 59_000, data: {} });
  t.is(await countFsCalls(['readdirSync', 'opendirSync'], async () => { await sweepSessions(store, { ...timeouts, now: 60_000 }); }), 1);
  t.is(await countFsCalls(['readdirSync', 'opendirSync'], async () => {
    await sweepSessions(store, { ...timeouts, now: 60_000, maxSessions: 3 });
  }), 1);
});

test('sweepSessions tells its progress after each session', async (t) => {
  const dir = await tempDir();
  const store = new FileSessionStore({ dir });
  for (let i = 0; i < 3; i++) await store.write(await createSessionId(), { createdAt: 0, touchedAt: 0, data: {} });
  const steps: Array<[number, number]> = [];
  await sweepSessions(store, { ...timeouts, now: 60_000, onProgress: (examined, total) => steps.push([examined, total]) });
  t.deepEqual(steps, [[1, 3], [2, 3], [3, 3]]);
});

/** A store in memory offering `list` but not `scan`, as a store of another kind might; `reads`
 * names every ID read, and `onLocked` runs once a lock is taken. */
function listStore(records: Map<string, SessionRecord>, onLocked: (id: string) => void = () => {}) {
  const reads: string[] = [];
  const store: SessionStore = {
    read: async (id) => { reads.push(id); return records.get(id); },
    write: async (id, record) => { records.set(id, record); },
    delete: async (id) => { records.delete(id); },
    lock: async (id) => {
      onLocked(id);
      return { compromised: false, assertHeld: async () => {}, release: async () => {} };
    },
    list: async () => [...records.keys()].map((id) => ({ id })),
  };
  return { store, reads };
}

const expired = { createdAt: 0, touchedAt: 0, data: {} };

test('sweepSessions with a store that only lists examines a random sample of maxSessions distinct sessions', async (t) => {
  const ids = await Promise.all(Array.from({ length: 5 }, () => createSessionId()));
  const records = new Map(ids.map((id) => [id, { createdAt: 59_000, touchedAt: 59_000, data: {} }]));
  const { store, reads } = listStore(records);
  const chosen = new Set<string>();
  for (let i = 0; i < 100; i++) {
    reads.length = 0;
    t.like(await sweepSessions(store, { ...timeouts, now: 60_000, maxSessions: 2 }), { examined: 2, removed: 0 });
    t.is(new Set(reads).size, 2);
    for (const id of reads) chosen.add(id);
  }
  t.deepEqual([...chosen].sort(), [...ids].sort(), 'each session can be drawn'); // Each is missed 100 times with chance 0.6^100.
  records.set(ids[0]!, expired);
  t.like(await sweepSessions(store, { ...timeouts, now: 60_000, maxSessions: 9 }), { examined: 5, removed: 1 });
  t.like(await sweepSessions(store, { ...timeouts, now: 60_000 }), { examined: 4, removed: 0 });
});

test('sweepSessions keeps a session renewed between its first read and the lock', async (t) => {
  const id = await createSessionId();
  const records = new Map([[id, expired]]);
  const { store } = listStore(records, () => records.set(id, { createdAt: 59_000, touchedAt: 60_000, data: {} }));
  t.like(await sweepSessions(store, { ...timeouts, now: 60_000 }), { examined: 1, removed: 0 });
  t.true(records.has(id));
});

test('sweepSessions stops at a lock that fails for any reason but being busy', async (t) => {
  const id = await createSessionId();
  const { store } = listStore(new Map([[id, expired]]));
  store.lock = () => Promise.reject(new CgiError('ESESSIONSTORE', 'cannot lock: EIO'));
  await t.throwsAsync(sweepSessions(store, { ...timeouts, now: 60_000 }), { instanceOf: CgiError, message: 'cannot lock: EIO' });
});

test('sweepSessions needs a store with scan or list, and asks scan to clear debris over an hour old', async (t) => {
  const { store } = listStore(new Map());
  delete store.list;
  await t.throwsAsync(sweepSessions(store, { ...timeouts, now: 0 }),
    { instanceOf: TypeError, message: 'argument store is invalid: sweeping needs a store with scan() or list()' });
  const asked: ScanOptions[] = [];
  store.scan = async (options) => { asked.push(options); return { ids: [], total: 0, leftovers: 0 }; };
  await sweepSessions(store, { ...timeouts, now: 0, maxSessions: 3 });
  t.deepEqual(asked, [{ sample: 3, leftoverAgeMs: 3_600_000 }]);
});
