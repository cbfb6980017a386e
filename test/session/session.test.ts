import test from 'ava';
import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSession, type Session, type SessionOptions } from '../../src/index.js';
import { SESSION_DEFAULTS } from '../../src/session/options.js';
import { CgiError } from '../../src/base/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { createSessionId } from '../../src/session/id.js';
import type { SessionStore } from '../../src/session/store.js';
import { runHandler } from '../helpers/run-handler.js';
import { cookieValue } from '../helpers/cgi.js';
import { tempDir } from '../helpers/temp-dir.js';
import { plantLock } from '../helpers/planted-lock.js';

const MINUTE = 60_000;

/** A visitor: keeps the `sid` cookie between requests, like a browser. */
function visitor(dir: string, clock: { t: number }, extra: SessionOptions = {}) {
  let sid: string | undefined;
  const logged: string[] = [];
  const visit = async (work: (session: Session) => void | Promise<void>, env: Record<string, string> = {}) => {
    let seen: Session | undefined;
    let fresh = false;
    const result = await runHandler(async (request, response) => {
      seen = await openSession(request, response, { dir, now: () => clock.t, gcProbability: 0, log: (line) => logged.push(line), ...extra });
      fresh = seen.isNew;
      await work(seen);
      response.text('ok');
    }, { ...(sid === undefined ? {} : { HTTP_COOKIE: `sid=${sid}` }), ...env });
    const set = cookieValue(result.response, 'sid');
    if (set !== undefined) sid = set === '' ? undefined : set;
    return { ...result, session: seen!, fresh, log: logged.splice(0).join('\n') };
  };
  return { visit, get sid() { return sid; }, set sid(value) { sid = value; } };
}

const count = (session: Session) => session.set('n', Number(session.get('n') ?? 0) + 1);

test('openSession keeps data between requests of one visitor', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  await v.visit(count);
  const third = await v.visit(count);
  t.is(third.session.get('n'), 3);
  t.is((await readdir(dir)).filter((name) => name.endsWith('.json')).length, 1);
});

test('openSession sets a host-only HttpOnly SameSite=Lax cookie with Path=/ and no-store', async (t) => {
  const dir = await tempDir();
  const { response } = await visitor(dir, { t: Date.now() }).visit(count);
  const header = response.header('set-cookie')!;
  t.regex(header, /^sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
  t.is(response.header('cache-control'), 'no-store');
});

test('openSession over HTTPS uses the __Host- prefix and Secure', async (t) => {
  const dir = await tempDir();
  const { response } = await visitor(dir, { t: Date.now() }).visit(count, { HTTPS: 'on' });
  t.regex(response.header('set-cookie')!, /^__Host-sid=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
});

test('openSession over HTTPS ignores a cookie without the __Host- prefix', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const { fresh } = await v.visit((s) => void s, { HTTPS: 'on' });
  t.true(fresh);
});

test('openSession creates no file and sets no cookie for an untouched session', async (t) => {
  const dir = await tempDir();
  const { response } = await visitor(dir, { t: Date.now() }).visit(() => {});
  t.is(response.header('set-cookie'), undefined);
  t.deepEqual(await readdir(dir), []);
});

test('openSession saves only when something changed', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const file = join(dir, `${v.sid}.json`);
  const before = await readFile(file, 'utf8');
  const { ino } = await stat(file);
  clock.t += 1000; // Under touchAfterSeconds: a read-only visit rewrites nothing.
  await v.visit((s) => void s.get('n'));
  t.is(await readFile(file, 'utf8'), before);
  t.is((await stat(file)).ino, ino);
});

test('openSession notices changes made to nested values through data', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit((s) => s.set('list', []));
  await v.visit((s) => { (s.data.list as number[]).push(7); });
  const { session } = await v.visit(() => {});
  t.deepEqual(session.get('list'), [7]);
});

test('openSession renews the idle timer of an unchanged session after touchAfterSeconds', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  for (let i = 0; i < 4; i++) {
    clock.t += 20 * MINUTE; // Each gap is under the 30-minute idle timeout.
    await v.visit(() => {});
  }
  const { session, fresh } = await v.visit(() => {});
  t.false(fresh);
  t.is(session.get('n'), 1);
});

test('openSession treats a session idle past idleTimeoutSeconds as absent and removes it', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const old = v.sid!;
  clock.t += 30 * MINUTE + 1;
  const { session, response, fresh } = await v.visit(() => {});
  t.true(fresh);
  t.is(session.get('n'), undefined);
  t.not(session.id, old);
  t.deepEqual(await readdir(dir), []);
  t.regex(response.header('set-cookie')!, /^sid=; Max-Age=0/); // The dead cookie is cleared.
});

test('openSession ends a session at absoluteTimeoutSeconds however active it is', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock, { absoluteTimeoutSeconds: 3600 });
  await v.visit(count);
  for (let i = 0; i < 5; i++) {
    clock.t += 10 * MINUTE;
    await v.visit(count);
  }
  t.is((await v.visit(() => {})).session.get('n'), 6);
  clock.t += 10 * MINUTE + 1; // 60 min + 1 ms after creation.
  const { session, fresh } = await v.visit(count);
  t.true(fresh);
  t.is(session.get('n'), 1);
});

test('regenerate gives a new ID, keeps the data and removes the old file', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit((s) => s.set('cart', ['tea']));
  const old = v.sid!;
  const { response } = await v.visit(async (s) => {
    s.set('user', 'ada');
    await s.regenerate();
  });
  t.not(v.sid, old);
  t.regex(response.header('set-cookie')!, /^sid=[A-Za-z0-9_-]{43};/);
  t.deepEqual(await readdir(dir), [`${v.sid}.json`]);
  const { session } = await v.visit(() => {});
  t.deepEqual(session.data, Object.assign(Object.create(null), { cart: ['tea'], user: 'ada' }));
  v.sid = old; // The old ID is worthless now.
  t.true((await v.visit(() => {})).fresh);
});

test('destroy removes the file and expires the cookie', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const old = v.sid!;
  const { response } = await v.visit((s) => s.destroy());
  t.regex(response.header('set-cookie')!, /^sid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax$/);
  t.deepEqual(await readdir(dir), []);
  v.sid = old;
  t.true((await v.visit(() => {})).fresh);
});

test('a handler that throws saves nothing', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const { response } = await v.visit((s) => {
    count(s);
    throw new Error('boom');
  });
  t.is(response.status, 500);
  t.is((await v.visit(() => {})).session.get('n'), 1);
});

test('lock: false opens the session read-only and refuses changes', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const store = new FileSessionStore({ dir });
  const held = await store.lock(v.sid!); // A writer holds the lock: a reader is not held up.
  try {
    const reader = visitor(dir, clock, { lock: false });
    reader.sid = v.sid;
    const { fresh, response } = await reader.visit((s) => {
      t.is(s.get('n'), 1);
      t.false(s.writable);
      t.throws(() => s.set('n', 2), { instanceOf: TypeError, message: /lock: false/ });
    });
    t.is(response.status, 200);
    t.false(fresh);
  } finally {
    await held.release();
  }
});

test('close saves and releases the lock before the response finishes', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const store = new FileSessionStore({ dir });
  const seen: { locked?: boolean; file?: string; setError?: unknown } = {};
  const { response } = await v.visit(async (s) => {
    count(s);
    await s.close();
    seen.locked = await store.isLocked(s.id);
    seen.file = await readFile(join(dir, `${s.id}.json`), 'utf8');
    try {
      s.set('x', 1);
    } catch (error) {
      seen.setError = error;
    }
  });
  t.is(response.status, 200, response.text);
  t.false(seen.locked);
  t.regex(seen.file ?? '', /"n":2/);
  t.true(seen.setError instanceof TypeError);
  t.regex(String(seen.setError), /closed/);
});

test('a lock lost while the request held it makes the save fail with 503 and writes nothing', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const file = join(dir, `${v.sid}.json`);
  const before = await readFile(file, 'utf8');
  const { response, stderr } = await v.visit(async (s) => {
    count(s);
    // Another process takes the lock over (as if ours had gone stale): same name, a new file.
    await unlink(`${file}.lock`);
    await plantLock(`${file}.lock`);
  });
  t.is(response.status, 503);
  t.truthy(response.header('retry-after'));
  t.is(await readFile(file, 'utf8'), before);
  t.regex(stderr, /ESESSIONLOCKLOST|no longer held/);
  await unlink(`${file}.lock`);
});

test('a locked session answers 503 with Retry-After and nothing is written', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock, { waitMs: 300 });
  await v.visit(count);
  const file = join(dir, `${v.sid}.json`);
  const before = await readFile(file, 'utf8');
  const held = await new FileSessionStore({ dir }).lock(v.sid!);
  try {
    let ran = false;
    const { response } = await v.visit(() => { ran = true; });
    t.is(response.status, 503);
    t.is(response.header('retry-after'), '10');
    t.false(ran);
    t.regex(response.text, /busy with another request/);
    t.is(await readFile(file, 'utf8'), before);
  } finally {
    await held.release();
  }
});

test('session data over maxDataBytes fails the request with a clear error and keeps the old data', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock, { maxDataBytes: 1000 });
  await v.visit(count);
  const { response, stderr } = await v.visit((s) => s.set('big', 'x'.repeat(2000)));
  t.is(response.status, 500);
  t.regex(stderr, /ESESSIONTOOLARGE|over the limit of 1000 \(option maxDataBytes\)/);
  t.is((await v.visit(() => {})).session.get('big'), undefined);
});

test('openSession rejects bad options with a TypeError naming the option', async (t) => {
  const dir = await tempDir();
  const { response, stderr } = await visitor(dir, { t: Date.now() }, { idleTimeoutSeconds: -1 }).visit(() => {});
  t.is(response.status, 500);
  t.regex(stderr, /TypeError: option idleTimeoutSeconds is invalid/);
});

test('a session file that is not JSON is logged and treated as no session', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  await writeFile(join(dir, `${v.sid}.json`), '{"v":1,"createdAt":');
  const { fresh, log } = await v.visit(() => {});
  t.true(fresh);
  t.regex(log, /ignoring session file .*not a session record/);
});

test('a store that fails to write (ENOSPC) answers 503 with Retry-After, logs why, and keeps the old session', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const real = new FileSessionStore({ dir });
  const full: SessionStore = {
    read: (id) => real.read(id),
    delete: (id) => real.delete(id),
    lock: (id, options) => real.lock(id, options),
    write: () => Promise.reject(new CgiError('ESESSIONSTORE', 'cannot save session file: ENOSPC: no space left on device',
      { cause: Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }) })),
  };
  const failing = visitor(dir, clock, { store: full });
  failing.sid = v.sid;
  const { response, stderr } = await failing.visit(count);
  t.is(response.status, 503);
  t.is(response.header('retry-after'), '10');
  t.regex(response.text, /could not be saved or loaded/);
  t.regex(stderr, /ENOSPC: no space left on device/);
  t.false(await real.isLocked(v.sid!)); // The lock was released all the same.
  t.is((await v.visit(() => {})).session.get('n'), 1);
});

test('gcProbability 1 sweeps expired sessions after a request, bounded by gcMaxSessions', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const store = new FileSessionStore({ dir });
  for (let i = 0; i < 5; i++) {
    await store.write((await createSessionId()), { createdAt: clock.t - 3600_000, touchedAt: clock.t - 3600_000, data: { i } });
  }
  const v = visitor(dir, clock, { gcProbability: 1, gcMaxSessions: 3 });
  await v.visit(count);
  // Three of the six files were examined; the visitor's own live session is never removed.
  const left = (await store.list()).map((entry) => entry.id);
  t.true(left.includes(v.sid!));
  t.true(left.length >= 3 && left.length <= 4, String(left.length));
});

test('openSession called twice in one request returns the same session instead of waiting for its own lock', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  const { response } = await runHandler(async (request, response) => {
    const options = { dir, gcProbability: 0, waitMs: 200 };
    const first = await openSession(request, response, options);
    const second = await openSession(request, response, options);
    t.is(second, first);
    count(second);
    response.text('ok');
  }, { HTTP_COOKIE: `sid=${v.sid}` });
  t.is(response.status, 200);
  t.is((await v.visit(() => {})).session.get('n'), 2);
});

test('openSession over HTTPS with another cookiePath uses the __Secure- prefix', async (t) => {
  const dir = await tempDir();
  const { response } = await visitor(dir, { t: Date.now() }, { cookiePath: '/cgi-bin/' }).visit(count, { HTTPS: 'on' });
  t.regex(response.header('set-cookie')!, /^__Secure-sid=[A-Za-z0-9_-]{43}; Path=\/cgi-bin\/; HttpOnly; Secure; SameSite=Lax$/);
});

test('lock: false never creates a session for a new visitor', async (t) => {
  const dir = await tempDir();
  const { response, fresh } = await visitor(dir, { t: Date.now() }, { lock: false }).visit((s) => {
    t.throws(() => s.set('n', 1), { instanceOf: TypeError });
  });
  t.true(fresh);
  t.is(response.header('set-cookie'), undefined);
  t.deepEqual(await readdir(dir), []);
});

/** A visitor whose first visit counted, with its session file and that file's text. */
async function countedOnce(dir: string, clock: { t: number }) {
  const v = visitor(dir, clock);
  await v.visit(count);
  const file = join(dir, `${v.sid}.json`);
  return { v, file, before: await readFile(file, 'utf8') };
}

/** Writes `n` sessions idle for an hour (expired under the defaults) straight into the store. */
async function writeExpired(store: FileSessionStore, n: number, now: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await store.write(await createSessionId(), { createdAt: now - 3600_000, touchedAt: now - 3600_000, data: { i } });
  }
}

/** A store passing everything to `real` but `list` and `scan`, which are given (or left out). */
function storeWith(real: FileSessionStore, extra: Partial<SessionStore> = {}): SessionStore {
  return {
    read: (id) => real.read(id), write: (id, record, lock) => real.write(id, record, lock),
    delete: (id) => real.delete(id), lock: (id, options) => real.lock(id, options), ...extra,
  };
}

test('writable is true while the session is open and false once it is closed', async (t) => {
  const seen: boolean[] = [];
  const { response } = await visitor(await tempDir(), { t: Date.now() }).visit(async (s) => {
    seen.push(s.writable);
    await s.close();
    seen.push(s.writable);
  });
  t.is(response.status, 200);
  t.deepEqual(seen, [true, false]);
});

test('a closed session refuses set, delete, regenerate and destroy with a TypeError naming the method', async (t) => {
  const errors: unknown[] = [];
  const { response } = await visitor(await tempDir(), { t: Date.now() }).visit(async (s) => {
    await s.close();
    for (const call of [() => s.set('a', 1), () => s.delete('a'), () => s.regenerate(), () => s.destroy()]) {
      try {
        await call();
      } catch (error) {
        errors.push(error);
      }
    }
  });
  t.is(response.status, 200);
  t.deepEqual(errors.map((error) => error instanceof TypeError && error.message), ['set', 'delete', 'regenerate', 'destroy']
    .map((method) => `session.${method}() is not allowed: the session is closed`));
});

test('set rejects a key that is not a string with a TypeError naming it', async (t) => {
  let error: unknown;
  const { response } = await visitor(await tempDir(), { t: Date.now() }).visit((s) => {
    error = t.throws(() => (s.set as (key: unknown, value: unknown) => void)(42, 1));
  });
  t.is(response.status, 200);
  t.true(error instanceof TypeError);
  t.is((error as Error).message, 'argument key is invalid: 42');
});

test('set with undefined and delete remove their keys, and the removal is saved', async (t) => {
  const dir = await tempDir();
  const v = visitor(dir, { t: Date.now() });
  await v.visit((s) => { s.set('a', 1); s.set('b', 2); s.set('c', 3); });
  let keys: string[] = [];
  const { response } = await v.visit((s) => {
    s.set('a', undefined);
    s.delete('b');
    keys = Object.keys(s.data);
  });
  t.is(response.status, 200);
  t.deepEqual(keys, ['c']);
  t.deepEqual(Object.keys((await v.visit(() => {})).session.data), ['c']);
});

test('a loaded session whose last key is deleted is saved empty (a log-out that keeps the session)', async (t) => {
  const dir = await tempDir();
  const v = visitor(dir, { t: Date.now() });
  await v.visit((s) => s.set('user', 'ada'));
  t.is((await v.visit((s) => s.delete('user'))).response.status, 200);
  const { session, fresh } = await v.visit(() => {});
  t.false(fresh);
  t.is(session.get('user'), undefined);
  t.deepEqual(JSON.parse(await readFile(join(dir, `${v.sid}.json`), 'utf8')).data, {});
});

test('a change to a loaded session is saved without sending its cookie again', async (t) => {
  const v = visitor(await tempDir(), { t: Date.now() });
  await v.visit(count);
  const { response } = await v.visit(count);
  t.is(response.status, 200);
  t.is(response.header('set-cookie'), undefined);
  t.is((await v.visit(() => {})).session.get('n'), 2);
});

test('openSession renews the idle timer exactly touchAfterSeconds after the last save', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const v = visitor(dir, clock);
  await v.visit(count);
  clock.t += SESSION_DEFAULTS.touchAfterSeconds * 1000;
  await v.visit(() => {});
  t.is(JSON.parse(await readFile(join(dir, `${v.sid}.json`), 'utf8')).touchedAt, clock.t);
});

test('regenerate alone, the data unchanged, moves the session to a new ID', async (t) => {
  const dir = await tempDir();
  const v = visitor(dir, { t: Date.now() });
  await v.visit(count);
  const old = v.sid!;
  const { response } = await v.visit((s) => s.regenerate());
  t.is(response.status, 200);
  t.not(v.sid, old);
  t.deepEqual(await readdir(dir), [`${v.sid}.json`]);
  t.is((await v.visit(() => {})).session.get('n'), 1);
});

test('regenerate on a new session that stores nothing saves nothing and sets no cookie', async (t) => {
  const dir = await tempDir();
  const { response } = await visitor(dir, { t: Date.now() }).visit((s) => s.regenerate());
  t.is(response.status, 200);
  t.is(response.header('set-cookie'), undefined);
  t.deepEqual(await readdir(dir), []);
});

test('destroy on a new session clears a cookie only if the request sent one', async (t) => {
  const dir = await tempDir();
  const v = visitor(dir, { t: Date.now() });
  const none = await v.visit((s) => s.destroy());
  t.is(none.response.status, 200);
  t.is(none.response.header('set-cookie'), undefined);
  v.sid = await createSessionId(); // Well formed, naming no session.
  const forged = await v.visit((s) => s.destroy());
  t.true(forged.fresh);
  t.regex(forged.response.header('set-cookie')!, /^sid=; Max-Age=0;/);
  t.deepEqual(await readdir(dir), []);
});

test('a destroyed session stays destroyed when closed afterwards', async (t) => {
  const dir = await tempDir();
  const v = visitor(dir, { t: Date.now() });
  await v.visit(count);
  const { response } = await v.visit(async (s) => {
    await s.destroy();
    await s.close();
  });
  t.is(response.status, 200);
  t.deepEqual(await readdir(dir), []);
});

test('lock: false writes nothing, not even a due idle-timer renewal, and leaves an expired session to GC', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const { v, file, before } = await countedOnce(dir, clock);
  const reader = visitor(dir, clock, { lock: false, gcProbability: 1 });
  reader.sid = v.sid;
  clock.t += 20 * MINUTE; // A renewal is due, but a read-only session may not write.
  const read = await reader.visit((s) => s.close());
  t.is(read.response.status, 200);
  t.false(read.fresh);
  t.is(await readFile(file, 'utf8'), before);
  clock.t += 20 * MINUTE; // Expired now: without the lock it is not removed.
  const late = await reader.visit(() => {});
  t.true(late.fresh);
  t.is(await readFile(file, 'utf8'), before);
});

test('openSession reads the session again once it holds the lock', async (t) => {
  const dir = await tempDir();
  const v = visitor(dir, { t: Date.now() });
  await v.visit(count);
  const real = new FileSessionStore({ dir });
  let reads = 0;
  // Another request saves between this one's first read and its lock.
  const racing = storeWith(real, {
    read: async (id) => {
      const record = await real.read(id);
      if (++reads === 1) await real.write(id, { ...record!, data: { n: 41 } });
      return record;
    },
  });
  const other = visitor(dir, { t: Date.now() }, { store: racing });
  other.sid = v.sid;
  t.is((await other.visit(count)).response.status, 200);
  t.is((await v.visit(() => {})).session.get('n'), 42);
});

test('a read that fails under the lock answers 503 and releases the lock', async (t) => {
  const dir = await tempDir();
  const v = visitor(dir, { t: Date.now() });
  await v.visit(count);
  const real = new FileSessionStore({ dir });
  let reads = 0;
  const failing = storeWith(real, {
    read: (id) => ++reads === 1 ? real.read(id) : Promise.reject(new CgiError('ESESSIONSTORE', 'cannot read session file: EIO')),
  });
  const other = visitor(dir, { t: Date.now() }, { store: failing });
  other.sid = v.sid;
  let ran = false;
  const { response } = await other.visit(() => { ran = true; });
  t.is(response.status, 503);
  t.regex(response.text, /could not be saved or loaded/);
  t.false(ran);
  t.false(await real.isLocked(v.sid!));
});

test('no sweep after a failed request, a read-only one, or with a gcProbability that is almost 0', async (t) => {
  const dir = await tempDir();
  const clock = { t: Date.now() };
  const store = new FileSessionStore({ dir });
  await writeExpired(store, 3, clock.t);
  const failed = await visitor(dir, clock, { gcProbability: 1 }).visit(() => { throw new Error('boom'); });
  t.is(failed.response.status, 500);
  const readOnly = await visitor(dir, clock, { gcProbability: 1, lock: false }).visit(() => {});
  t.is(readOnly.response.status, 200);
  const rare = await visitor(dir, clock, { gcProbability: 1e-15 }).visit(count);
  t.is(rare.response.status, 200);
  t.is((await store.list()).length, 4);
});

test('a sweep runs with a store offering scan or list, and is skipped quietly with neither', async (t) => {
  const clock = { t: Date.now() };
  for (const offers of ['scan', 'list', 'neither'] as const) {
    const dir = await tempDir();
    const real = new FileSessionStore({ dir });
    await writeExpired(real, 2, clock.t);
    const store = storeWith(real, offers === 'scan' ? { scan: (options) => real.scan(options) }
      : offers === 'list' ? { list: () => real.list() } : {});
    const { response, log } = await visitor(dir, clock, { gcProbability: 1, store }).visit(count);
    t.is(response.status, 200, offers);
    t.is(log, '', offers);
    t.is((await real.list()).length, offers === 'neither' ? 3 : 1, offers);
  }
});

test('a sweep that fails is logged and does not fail the request', async (t) => {
  const dir = await tempDir();
  const real = new FileSessionStore({ dir });
  const store = storeWith(real, { scan: () => Promise.reject(new Error('disk on fire')) });
  const v = visitor(dir, { t: Date.now() }, { gcProbability: 1, store });
  const { response, log } = await v.visit(count);
  t.is(response.status, 200);
  t.is(log, 'cgi-shim: session sweep failed: disk on fire');
  t.is((await v.visit(() => {})).session.get('n'), 1);
});
