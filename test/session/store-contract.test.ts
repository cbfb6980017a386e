// The store contract (src/session/store.ts) as one table of tests, run against both stores: the
// file store (blocking, and through the thread pool), and the Redis store on a real
// redis-server. Each store's own file tests what only it does (file-store.test.ts, lock.test.ts,
// redis/store.test.ts).
import test, { type ExecutionContext, type TestFn } from 'ava';
import { mkdir, readFile, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CgiError, errorCode } from '../../src/base/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { createSessionId } from '../../src/session/id.js';
import { RedisClient } from '../../src/session/redis/client.js';
import { RedisSessionStore } from '../../src/session/redis/store.js';
import type { SessionStore } from '../../src/session/store.js';
import { secondGetsItOnceReleased } from '../helpers/lock-order.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { redisTest } from '../helpers/redis-test.js';
import { tempDir } from '../helpers/temp-dir.js';
import { rejection } from '../helpers/rejection.js';
import { plantLock } from '../helpers/planted-lock.js';

/** What a test may set on the store it gets. */
interface StoreSettings {
  maxDataBytes?: number;
  staleMs?: number;
  updateMs?: number;
}

/** One store under test, and the ways to reach past it into what it keeps. */
interface Subject {
  store: SessionStore;
  /** The lines it logged. */
  lines: string[];
  /** What is kept for `id`, as stored; undefined when nothing is. */
  raw(id: string): Promise<string | undefined>;
  /** Stores `text` as session `id`'s record, behind the store's back. */
  plant(id: string, text: string): Promise<void>;
  /** Entries beside the sessions that are not sessions (files, keys). */
  plantForeignEntries(id: string): Promise<void>;
  /** Another process takes session `id`'s lock (ours expired or was judged stale). */
  stealLock(id: string): Promise<void>;
  /** A lock on `id` left by a process that died. */
  plantDeadLock(id: string): Promise<void>;
  close(): Promise<void>;
}

interface StoreKind {
  name: string;
  test: TestFn;
  make(settings?: StoreSettings): Promise<Subject>;
}

/** The file store, blocking (as in a CGI process) or with its calls in the thread pool (FastCGI). */
const fileKind = (threadPool: boolean): StoreKind => ({
  name: threadPool ? 'FileSessionStore (thread pool)' : 'FileSessionStore',
  test,
  async make(settings = {}) {
    const dir = join(await tempDir(), 'sessions');
    const lines: string[] = [];
    const store = new FileSessionStore({ dir, log: (line) => lines.push(line), threadPool, ...settings });
    const file = (id: string) => join(dir, `${id}.json`);
    return {
      store,
      lines,
      raw: (id) => readFile(file(id), 'utf8').catch((error: unknown) => (errorCode(error) === 'ENOENT' ? undefined : Promise.reject(error))),
      async plant(id, text) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(file(id), text, { mode: 0o600 }); // As the store writes them: only the content is wrong.
      },
      async plantForeignEntries(id) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeFile(join(dir, 'notes.txt'), 'x');
        await writeFile(join(dir, `.${id}.0123456789ab.tmp`), 'x');
        await plantLock(join(dir, `${id}.json.lock`));
      },
      async stealLock(id) {
        await unlink(`${file(id)}.lock`);
        await plantLock(`${file(id)}.lock`);
      },
      async plantDeadLock(id) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await plantLock(`${file(id)}.lock`);
        const past = new Date(Date.now() - 60_000);
        await utimes(`${file(id)}.lock`, past, past);
      },
      close: async () => {},
    };
  },
});

/** One redis-server for every Redis case of this file, started by the first and stopped at the end. */
let redis: Promise<RedisServer> | undefined;
let storesMade = 0;
const withRedis = redisTest();
withRedis.after.always(async () => {
  await (await redis)?.dispose();
});

const redisKind: StoreKind = {
  name: 'RedisSessionStore',
  test: withRedis,
  async make(settings = {}) {
    const server = await (redis ??= startRedis());
    const prefix = `t${++storesMade}:`; // Each case its own keys.
    const lines: string[] = [];
    const client = new RedisClient({ port: server.port });
    const store = new RedisSessionStore({ server: client, prefix, log: (line) => lines.push(line), ...settings });
    const key = (kind: string, id: string) => `${prefix}${kind}:${id}`;
    return {
      store,
      lines,
      raw: async (id) => (await client.command(['GET', key('sess', id)]) as string | null) ?? undefined,
      plant: async (id, text) => void await client.command(['SET', key('sess', id), text]),
      async plantForeignEntries(id) {
        await client.command(['SET', `${prefix}sess:not-an-id`, '{}']);
        await client.command(['SET', `${prefix}notes`, 'x']);
        await client.command(['SET', key('lock', id), 'someone']);
      },
      stealLock: async (id) => void await client.command(['SET', key('lock', id), 'another-process', 'PX', 10_000]),
      plantDeadLock: async (id) => void await client.command(['SET', key('lock', id), 'a-dead-process', 'PX', 300]),
      close: () => client.close(),
    };
  },
};

/** A record made now: the Redis store drops (or never writes) an expired one. */
const record = (data: Record<string, unknown>) => ({ createdAt: Date.now(), touchedAt: Date.now(), data });

for (const kind of [fileKind(false), fileKind(true), redisKind]) {
  const { name } = kind;
  /** A test with a fresh store, closed afterwards. */
  const storeTest = (title: string, body: (t: ExecutionContext, subject: Subject) => Promise<void>, settings?: StoreSettings) =>
    kind.test(`${name}: ${title}`, async (t) => {
      const subject = await kind.make(settings);
      t.teardown(() => subject.close());
      await body(t, subject);
    });

  storeTest('read of a session never written is undefined', async (t, { store }) => {
    t.is(await store.read(await createSessionId()), undefined);
  });

  storeTest('write then read gives the record back, stored as one line of the record format', async (t, { store, raw }) => {
    const id = await createSessionId();
    const now = Date.now();
    await store.write(id, { createdAt: now - 999.3, touchedAt: now, data: { visits: 3, name: 'é', list: ['x'] } });
    t.is(await raw(id), `{"v":1,"createdAt":${now - 1000},"touchedAt":${now},"data":{"visits":3,"name":"é","list":["x"]}}\n`);
    const back = await store.read(id);
    t.is(back?.createdAt, now - 1000);
    t.is(back?.touchedAt, now);
    t.deepEqual({ ...back?.data }, { visits: 3, name: 'é', list: ['x'] });
    t.is(Object.getPrototypeOf(back!.data), null);
  });

  storeTest('write replaces the whole record', async (t, { store }) => {
    const id = await createSessionId();
    await store.write(id, record({ a: 1, b: 2 }));
    await store.write(id, record({ c: 3 }));
    t.deepEqual({ ...(await store.read(id))?.data }, { c: 3 });
  });

  storeTest('delete removes a session; deleting an absent one is not an error', async (t, { store, raw }) => {
    const id = await createSessionId();
    await store.write(id, record({ a: 1 }));
    await store.delete(id);
    t.is(await store.read(id), undefined);
    t.is(await raw(id), undefined);
    await t.notThrowsAsync(store.delete(id));
  });

  storeTest('every method refuses what is not a session ID with a TypeError', async (t, { store }) => {
    for (const bad of ['../../etc/passwd', '/etc/passwd', `${'a'.repeat(42)}\0`, `${'a'.repeat(42)}*`, `${'a'.repeat(42)}\n`, 'a'.repeat(44), 'a'.repeat(42)]) {
      await t.throwsAsync(store.read(bad), { instanceOf: TypeError }, bad);
      await t.throwsAsync(store.write(bad, record({})), { instanceOf: TypeError }, bad);
      await t.throwsAsync(store.delete(bad), { instanceOf: TypeError }, bad);
      await t.throwsAsync(store.lock(bad), { instanceOf: TypeError }, bad);
      await t.throwsAsync(store.isLocked!(bad), { instanceOf: TypeError }, bad);
    }
  });

  storeTest('read treats foreign or malformed data as no session, and logs each', async (t, { store, plant, lines }) => {
    const cases = ['[]', '{"v":2,"createdAt":1,"touchedAt":1,"data":{}}', '{"v":1,"createdAt":"1","touchedAt":1,"data":{}}',
      '{"v":1,"createdAt":1,"touchedAt":1,"data":[]}', 'a:1:{s:4:"evil";}', '{"v":1,',
      JSON.stringify({ v: 1, createdAt: 1, touchedAt: 1, data: { x: 'y'.repeat(500) } })]; // Over the 100-byte limit.
    for (const text of cases) {
      const id = await createSessionId();
      await plant(id, text);
      t.is(await store.read(id), undefined, text);
    }
    t.is(lines.length, cases.length);
    t.false(lines.some((line) => /mode|owned by/.test(line)), lines.join('\n'));
  }, { maxDataBytes: 100 });

  storeTest('write refuses data over maxDataBytes with ESESSIONTOOLARGE and changes nothing', async (t, { store, raw }) => {
    const id = await createSessionId();
    await store.write(id, record({ small: 1 }));
    const before = await raw(id);
    const error = await rejection<CgiError>(store.write(id, record({ big: 'x'.repeat(200) })));
    t.true(error instanceof CgiError);
    t.is(error.code, 'ESESSIONTOOLARGE');
    t.regex(error.message, /over the limit of 100 \(option maxDataBytes\)/);
    t.is(await raw(id), before);
    await t.notThrowsAsync(store.write(id, record({ fits: 'x'.repeat(50) })));
  }, { maxDataBytes: 100 });

  storeTest('list names every session once, and nothing else', async (t, { store, plantForeignEntries }) => {
    t.deepEqual(await store.list!(), []);
    const ids = [await createSessionId(), await createSessionId(), await createSessionId()];
    for (const id of ids) await store.write(id, record({}));
    await plantForeignEntries(ids[0]!);
    t.deepEqual((await store.list!()).map((entry) => entry.id).sort(), [...ids].sort());
  });

  storeTest('a second lock waits for the first and gets it once released', async (t, { store }) => {
    const id = await createSessionId();
    const first = await store.lock(id);
    t.true(await store.isLocked!(id));
    const lock = await secondGetsItOnceReleased(t, first, () => store.lock(id, { waitMs: 30_000 }));
    await lock.release();
    t.false(await store.isLocked!(id));
    await t.notThrowsAsync(first.release()); // Idempotent.
  });

  storeTest('a lock held elsewhere rejects ESESSIONLOCKED once waitMs is spent, at once with waitMs 0', async (t, { store }) => {
    const id = await createSessionId();
    const held = await store.lock(id);
    const error = await rejection<CgiError>(store.lock(id, { waitMs: 300 }));
    t.true(error instanceof CgiError);
    t.is(error.code, 'ESESSIONLOCKED');
    t.is((await rejection<CgiError>(store.lock(id, { waitMs: 0 }))).code, 'ESESSIONLOCKED');
    await held.release();
  });

  storeTest('a write under a lock another process took is refused with ESESSIONLOCKLOST and changes nothing', async (t, { store, raw, stealLock }) => {
    const id = await createSessionId();
    await store.write(id, record({ n: 1 }));
    const before = await raw(id);
    const lock = await store.lock(id);
    await stealLock(id);
    const error = await rejection<CgiError>(store.write(id, record({ n: 2 }), lock));
    t.is(error.code, 'ESESSIONLOCKLOST');
    t.is(await raw(id), before);
    await lock.release(); // Must not remove the other process's lock.
    t.true(await store.isLocked!(id));
  });

  storeTest('assertHeld resolves while the lock is ours and rejects ESESSIONLOCKLOST once it was taken or released', async (t, { store, stealLock }) => {
    const id = await createSessionId();
    const lock = await store.lock(id);
    await t.notThrowsAsync(lock.assertHeld());
    await stealLock(id);
    t.is((await rejection<CgiError>(lock.assertHeld())).code, 'ESESSIONLOCKLOST');
    await lock.release();
    const again = await createSessionId();
    const released = await store.lock(again);
    await released.release();
    t.is((await rejection<CgiError>(released.assertHeld())).code, 'ESESSIONLOCKLOST');
  });

  storeTest('a lock left by a dead process is taken once stale', async (t, { store, plantDeadLock }) => {
    const id = await createSessionId();
    await plantDeadLock(id);
    const lock = await store.lock(id, { waitMs: 5000 });
    await t.notThrowsAsync(lock.assertHeld());
    await store.write(id, record({ mine: true }), lock);
    await lock.release();
    t.is((await store.read(id))?.data.mine, true);
  }, { staleMs: 2000, updateMs: 1000 });
}
