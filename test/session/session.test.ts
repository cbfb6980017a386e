import test from 'ava';
import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openSession, type Session, type SessionOptions } from '../../src/index.js';
import { CgiError } from '../../src/base/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { createSessionId } from '../../src/session/id.js';
import type { SessionStore } from '../../src/session/store.js';
import { runHandler } from '../helpers/run-handler.js';
import { cookieValue } from '../helpers/cgi.js';
import { tempDir } from '../helpers/temp-dir.js';

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
    // Another process takes the lock over (as if ours had gone stale): same name, a new folder.
    await rmdir(`${file}.lock`);
    await mkdir(`${file}.lock`);
  });
  t.is(response.status, 503);
  t.truthy(response.header('retry-after'));
  t.is(await readFile(file, 'utf8'), before);
  t.regex(stderr, /ESESSIONLOCKLOST|no longer held/);
  await rmdir(`${file}.lock`);
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
