import test from 'ava';
import fs from 'node:fs';
import { lstat, lutimes, mkdir, readdir, rename, stat, symlink, unlink, utimes } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { CgiError } from '../../src/base/errors.js';
import { acquireLock, isLocked, isStaleLock, removeStaleLock } from '../../src/session/lock.js';
import { resolveLockTiming } from '../../src/session/lock-timing.js';
import { recordFsCalls } from '../helpers/fs-calls.js';
import { secondGetsItOnceReleased } from '../helpers/lock-order.js';
import { plantLock } from '../helpers/planted-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const quiet = () => {};

// Each case runs with proper-lockfile's synchronous API (a CGI process) and its asynchronous one
// (a FastCGI process, where file calls go to the thread pool).
for (const blocking of [true, false]) {
  const mode = blocking ? 'blocking' : 'thread pool';

  test(`${mode}: acquireLock holds <file>.lock until released, for a file that does not exist`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const lock = await acquireLock(file, resolveLockTiming(), quiet, blocking);
    const made = await stat(`${file}.lock`);
    t.true(made.isFile());
    t.is(made.size, 0);
    t.is(made.mode & 0o777, 0o600);
    await t.notThrowsAsync(lock.assertHeld());
    await lock.release();
    await t.throwsAsync(stat(`${file}.lock`), { code: 'ENOENT' });
    await t.notThrowsAsync(lock.release()); // Idempotent.
  });

  test(`${mode}: of two requests in one process that lock one session at once, one gets it and the other waits`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const attempts = await Promise.allSettled([0, 1].map(() => acquireLock(file, resolveLockTiming({ waitMs: 0 }), quiet, blocking)));
    const held = attempts.flatMap((attempt) => (attempt.status === 'fulfilled' ? [attempt.value] : []));
    t.is(held.length, 1);
    const refused = attempts.find((attempt) => attempt.status === 'rejected') as PromiseRejectedResult;
    t.is((refused.reason as CgiError).code, 'ESESSIONLOCKED');
    await held[0]!.release();
  });

  test(`${mode}: acquireLock gives up on a held lock with ESESSIONLOCKED once waitMs is spent`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const first = await acquireLock(file, resolveLockTiming(), quiet, blocking);
    try {
      const error = await t.throwsAsync(acquireLock(file, resolveLockTiming({ waitMs: 200 }), quiet, blocking), { instanceOf: CgiError });
      t.is((error as CgiError).code, 'ESESSIONLOCKED');
    } finally {
      await first.release();
    }
  });

  test(`${mode}: acquireLock waits for a lock that is released within waitMs, and gets it only then`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const first = await acquireLock(file, resolveLockTiming(), quiet, blocking);
    const second = await secondGetsItOnceReleased(t, first, () => acquireLock(file, resolveLockTiming({ waitMs: 30_000 }), quiet, blocking));
    await second.release();
  });

  for (const [kind, make] of [['file', plantLock], ['directory of an older release', mkdir]] as const) {
    test(`${mode}: acquireLock takes over a stale lock left by a dead process: a ${kind}`, async (t) => {
      const file = join(await tempDir(), 'x.json');
      await make(`${file}.lock`);
      const past = new Date(Date.now() - 60_000);
      await utimes(`${file}.lock`, past, past);
      const lock = await acquireLock(file, resolveLockTiming({ staleMs: 2000, waitMs: 0 }), quiet, blocking);
      await t.notThrowsAsync(lock.assertHeld());
      t.true((await stat(`${file}.lock`)).isFile());
      await lock.release();
      await t.throwsAsync(stat(`${file}.lock`), { code: 'ENOENT' });
    });

    test(`${mode}: a live lock of another process is held: a ${kind}`, async (t) => {
      const file = join(await tempDir(), 'x.json');
      await make(`${file}.lock`);
      t.true(isLocked(file, 10_000));
      const error = await t.throwsAsync(acquireLock(file, resolveLockTiming({ waitMs: 0 }), quiet, blocking), { instanceOf: CgiError });
      t.is((error as CgiError).code, 'ESESSIONLOCKED');
    });
  }

  test.serial(`${mode}: taking and releasing locks leaves no descriptor open`, async (t) => {
    const dir = await tempDir();
    const open = async () => (await readdir('/proc/self/fd')).length;
    const before = await open();
    for (let i = 0; i < 20; i++) {
      const lock = await acquireLock(join(dir, `${i}.json`), resolveLockTiming(), quiet, blocking);
      await lock.release();
    }
    t.is(await open(), before);
  });

  test(`${mode}: a lock of ours keeps out an older release, which makes its lock with mkdir`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const lock = await acquireLock(file, resolveLockTiming(), quiet, blocking);
    await t.throwsAsync(mkdir(`${file}.lock`), { code: 'EEXIST' });
    await lock.release();
  });

  test(`${mode}: a held lock is kept fresh, so it is never taken over as stale while its holder lives`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const timing = resolveLockTiming({ staleMs: 2000, updateMs: 1000, waitMs: 0 });
    const lock = await acquireLock(file, timing, quiet, blocking);
    try {
      await new Promise((resolve) => setTimeout(resolve, 2600)); // Past staleMs: only refreshes keep it.
      const error = await t.throwsAsync(acquireLock(file, timing, quiet, blocking), { instanceOf: CgiError });
      t.is((error as CgiError).code, 'ESESSIONLOCKED');
      t.false(lock.compromised);
      await t.notThrowsAsync(lock.assertHeld());
    } finally {
      await lock.release();
    }
  });

  test(`${mode}: assertHeld fails with ESESSIONLOCKLOST when the lock was replaced`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const lines: string[] = [];
    const lock = await acquireLock(file, resolveLockTiming({ staleMs: 2000 }), (line) => lines.push(line), blocking);
    // Another process decided our lock was stale and made its own.
    await unlink(`${file}.lock`);
    await plantLock(`${file}.lock`);
    const error = await t.throwsAsync(lock.assertHeld(), { instanceOf: CgiError });
    t.is((error as CgiError).code, 'ESESSIONLOCKLOST');
    await lock.release();
    // Releasing ours must not remove theirs.
    t.true((await stat(`${file}.lock`)).isFile());
    await unlink(`${file}.lock`);
  });

  test(`${mode}: a compromised lock is marked, logged, and never throws from its timer`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const lines: string[] = [];
    const lock = await acquireLock(file, resolveLockTiming({ staleMs: 2000, updateMs: 1000 }), (line) => lines.push(line), blocking);
    await unlink(`${file}.lock`); // proper-lockfile notices at its next refresh (1 s).
    for (let i = 0; i < 40 && !lock.compromised; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    t.true(lock.compromised);
    t.regex(lines.join('\n'), /was lost/);
    await t.throwsAsync(lock.assertHeld(), { instanceOf: CgiError, message: /no longer held \(it was compromised\)/ });
    await t.notThrowsAsync(lock.release());
  });

  test(`${mode}: acquireLock takes over a lock dated in the future, which no live holder could have dated so`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    await plantLock(`${file}.lock`);
    const future = new Date(Date.now() + 24 * 3600_000); // A clock set back by a day since.
    await utimes(`${file}.lock`, future, future);
    t.false(isLocked(file, 10_000));
    const lock = await acquireLock(file, resolveLockTiming({ waitMs: 0 }), quiet, blocking);
    await t.notThrowsAsync(lock.assertHeld());
    t.true((await stat(`${file}.lock`)).mtimeMs < future.getTime(), 'a lock of our own now');
    await lock.release();
  });

  test(`${mode}: a lock dated a little ahead (a holder whose clock runs ahead) is still held`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    await plantLock(`${file}.lock`);
    const ahead = new Date(Date.now() + 3000);
    await utimes(`${file}.lock`, ahead, ahead);
    t.true(isLocked(file, 10_000));
    const error = await t.throwsAsync(acquireLock(file, resolveLockTiming({ waitMs: 0 }), quiet, blocking), { instanceOf: CgiError });
    t.is((error as CgiError).code, 'ESESSIONLOCKED');
  });

  test(`${mode}: acquireLock says how long it waited, with the busy lock as the cause`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const first = await acquireLock(file, resolveLockTiming(), quiet, blocking);
    try {
      const error = await t.throwsAsync(acquireLock(file, resolveLockTiming({ waitMs: 100 }), quiet, blocking), { instanceOf: CgiError });
      t.is(error!.message, `session lock ${file}.lock still held after 100 ms`);
      t.is((error!.cause as CgiError).code, 'ELOCKED');
    } finally {
      await first.release();
    }
  });

  test(`${mode}: acquireLock fails at once, not as a busy lock, when the lock cannot be made`, async (t) => {
    const file = join(await tempDir(), 'missing', 'x.json');
    const error = await t.throwsAsync(acquireLock(file, resolveLockTiming({ waitMs: 60_000 }), quiet, blocking));
    t.not((error as CgiError).code, 'ESESSIONLOCKED');
    t.regex(error!.message, new RegExp(`^cannot lock ${file} in ${join(file, '..')}: ENOENT`));
  });

  test(`${mode}: acquireLock fails at once, not as a busy lock, on a stale lock it cannot remove`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    await mkdir(`${file}.lock/inside`, { recursive: true }); // An older release's directory; rmdir(2) of one not empty fails.
    await utimes(`${file}.lock`, new Date(0), new Date(0));
    const started = Date.now();
    const error = await t.throwsAsync(acquireLock(file, resolveLockTiming({ waitMs: 60_000 }), quiet, blocking));
    t.regex(error!.message, new RegExp(`^cannot lock ${file} in ${join(file, '..')}: ENOTEMPTY`));
    t.true(Date.now() - started < 30_000, 'no waiting for a lock no one holds');
  });

  test(`${mode}: assertHeld says why a lock is no longer held: released, taken over, or not refreshed in time`, async (t) => {
    const dir = await tempDir();
    const timing = resolveLockTiming({ staleMs: 2000, updateMs: 1000 });
    const released = await acquireLock(join(dir, 'a.json'), timing, quiet, blocking);
    await released.release();
    await t.throwsAsync(released.assertHeld(), { instanceOf: CgiError, message: `session lock ${join(dir, 'a.json')}.lock is no longer held (it was released); nothing was written` });
    const replaced = await acquireLock(join(dir, 'b.json'), timing, quiet, blocking);
    await unlink(join(dir, 'b.json.lock'));
    await plantLock(join(dir, 'b.json.lock'));
    await t.throwsAsync(replaced.assertHeld(), { message: /\(another process took it over\)/ });
    await replaced.release();
    const late = await acquireLock(join(dir, 'c.json'), timing, quiet, blocking);
    const past = new Date(Date.now() - 2000); // Older than three quarters of staleMs: a takeover may be near.
    await utimes(join(dir, 'c.json.lock'), past, past);
    await t.throwsAsync(late.assertHeld(), { message: /\(it was not refreshed in time\)/ });
    await late.release();
  });

  test(`${mode}: assertHeld tells a lock made again from ours though it has our inode number, or our birth time`, async (t) => {
    const dir = await tempDir();
    const timing = resolveLockTiming({ staleMs: 2000, updateMs: 1000 });
    // Removed and made again later: ext4 hands the freed inode number straight back.
    const reused = await acquireLock(join(dir, 'a.json'), timing, quiet, blocking);
    const ours = await stat(join(dir, 'a.json.lock'));
    await new Promise((resolve) => setTimeout(resolve, 50)); // Past the file system's clock tick.
    let again = ours;
    for (let i = 0; i < 10 && (i === 0 || again.ino !== ours.ino); i++) { // Other tests make files meanwhile.
      await unlink(join(dir, 'a.json.lock'));
      await plantLock(join(dir, 'a.json.lock'));
      again = await stat(join(dir, 'a.json.lock'));
    }
    t.not(again.birthtimeMs, ours.birthtimeMs);
    t.log(again.ino === ours.ino ? 'the new lock has our inode number' : 'this file system gave the new lock another inode number');
    await t.throwsAsync(reused.assertHeld(), { message: /\(another process took it over\)/ });
    await reused.release();
    // Made in the same tick of the file system's clock as ours (the same birth time), then moved
    // into place: another inode.
    let twinned = false;
    for (let i = 0; i < 20 && !twinned; i++) {
      const twin = join(dir, `twin-${i}`);
      await plantLock(twin);
      const lock = await acquireLock(join(dir, `b${i}.json`), timing, quiet, blocking);
      const mine = await stat(join(dir, `b${i}.json.lock`));
      twinned = (await stat(twin)).birthtimeMs === mine.birthtimeMs;
      if (twinned) {
        await unlink(join(dir, `b${i}.json.lock`));
        await rename(twin, join(dir, `b${i}.json.lock`));
        await t.throwsAsync(lock.assertHeld(), { message: /\(another process took it over\)/ });
      }
      await lock.release();
    }
    // A file system with a fine clock never gives two files one birth time: then only the first
    // case holds the check.
    if (!twinned) t.log('no file made in the same clock tick as a lock in 20 tries: the same-birth-time case did not run');
  });

  test.serial(`${mode}: taking a lock stats its file once, and that stat is the lock's identity`, async (t) => {
    const dir = await tempDir();
    const stats = (name: string, [path]: unknown[]) => `${name} ${String(path)}`;
    for (const name of ['a.json', 'b.json']) { // With and without the probe of the folder's mtime precision (thread pool).
      const file = join(dir, name);
      let lock: Awaited<ReturnType<typeof acquireLock>> | undefined;
      const calls = await recordFsCalls(['stat', 'statSync'], async () => {
        lock = await acquireLock(file, resolveLockTiming(), quiet, blocking);
      }, stats);
      t.deepEqual(calls, [`statSync ${file}.lock`], name);
      // And the identity taken from it is right: the lock is found ours.
      await t.notThrowsAsync(lock!.assertHeld());
      await lock!.release();
    }
  });

  test.serial(`${mode}: a release right after assertHeld skips the check that the lock is ours; a later one checks, and leaves another's`, async (t) => {
    const dir = await tempDir();
    const timing = resolveLockTiming({ staleMs: 2000, updateMs: 1000 });
    const soon = await acquireLock(join(dir, 'a.json'), timing, quiet, blocking);
    await soon.assertHeld();
    const calls = await recordFsCalls(['stat', 'statSync'], () => soon.release());
    t.deepEqual(calls, [], 'no one may take a lock over within a quarter of staleMs of that check');
    await t.throwsAsync(stat(join(dir, 'a.json.lock')), { code: 'ENOENT' });
    const later = await acquireLock(join(dir, 'b.json'), timing, quiet, blocking);
    await later.assertHeld();
    await new Promise((resolve) => setTimeout(resolve, 600)); // Past a quarter of staleMs.
    await unlink(join(dir, 'b.json.lock')); // Taken over by another process meanwhile.
    await plantLock(join(dir, 'b.json.lock'));
    await later.release();
    t.true((await stat(join(dir, 'b.json.lock'))).isFile(), 'the other process\'s lock stays');
  });

  test.serial(`${mode}: release logs a lock it cannot remove`, async (t) => {
    const file = join(await tempDir(), 'x.json');
    const lines: string[] = [];
    const lock = await acquireLock(file, resolveLockTiming(), (line) => lines.push(line), blocking);
    const failure = () => Object.assign(new Error(`EIO: i/o error, unlink '${file}.lock'`), { code: 'EIO' });
    const { unlink: realUnlink, unlinkSync: realUnlinkSync } = fs;
    fs.unlink = ((path: fs.PathLike, done: fs.NoParamCallback) => (String(path) === `${file}.lock` ? done(failure()) : realUnlink(path, done))) as typeof fs.unlink;
    fs.unlinkSync = ((path: fs.PathLike) => {
      if (String(path) === `${file}.lock`) throw failure();
      realUnlinkSync(path);
    }) as typeof fs.unlinkSync;
    syncBuiltinESMExports();
    try {
      await lock.release();
    } finally {
      Object.assign(fs, { unlink: realUnlink, unlinkSync: realUnlinkSync });
      syncBuiltinESMExports();
    }
    t.is(lines.length, 1);
    t.regex(lines[0]!, new RegExp(`^cgi-shim: releasing ${file}\\.lock failed: EIO`));
    t.true((await stat(`${file}.lock`)).isFile(), 'left to go stale');
  });
}

test.serial('thread pool: the locks of one folder learn its mtime precision once (a utimes), the locks of another folder again', async (t) => {
  // proper-lockfile probes with a utimes of each new lock unless it has the answer.
  const touched: string[] = [];
  const original = fs.utimes;
  fs.utimes = ((path: fs.PathLike, atime: fs.TimeLike, mtime: fs.TimeLike, done: fs.NoParamCallback) => {
    touched.push(String(path));
    original(path, atime, mtime, done);
  }) as typeof fs.utimes;
  syncBuiltinESMExports();
  try {
    const [one, other] = [await tempDir(), await tempDir()];
    for (const file of [join(one, 'a.json'), join(one, 'b.json'), join(other, 'a.json'), join(one, 'c.json')]) {
      const lock = await acquireLock(file, resolveLockTiming(), quiet, false);
      await lock.assertHeld();
      await lock.release();
    }
    t.deepEqual(touched, [join(one, 'a.json.lock'), join(other, 'a.json.lock')]);
  } finally {
    fs.utimes = original;
    syncBuiltinESMExports();
  }
});

test('isStaleLock: older than staleMs, or further ahead than staleMs', (t) => {
  t.false(isStaleLock(1000, 10_000, 1000));
  t.false(isStaleLock(0, 10_000, 10_000));
  t.true(isStaleLock(0, 10_000, 10_001));
  t.false(isStaleLock(20_000, 10_000, 10_000));
  t.true(isStaleLock(20_001, 10_000, 10_000));
});

test('removeStaleLock removes a stale lock (old or future, a file or an older release\'s directory) and leaves a live one', async (t) => {
  const dir = await tempDir();
  const [old, future, live] = ['old.json', 'future.json', 'live.json'].map((name) => join(dir, name)) as [string, string, string];
  await mkdir(`${old}.lock`);
  for (const file of [future, live]) await plantLock(`${file}.lock`);
  await utimes(`${old}.lock`, new Date(0), new Date(0));
  await utimes(`${future}.lock`, new Date(Date.now() + 3600_000), new Date(Date.now() + 3600_000));
  t.true(removeStaleLock(old, 10_000));
  t.true(removeStaleLock(future, 10_000));
  t.false(removeStaleLock(live, 10_000));
  t.deepEqual((await readdir(dir)).sort(), ['live.json.lock']);
});

test('resolveLockTiming takes updateMs from 1000 ms, not below', (t) => {
  t.throws(() => resolveLockTiming({ staleMs: 4000, updateMs: 999 }), { instanceOf: TypeError, message: 'option updateMs is invalid: 999 (between 1000 and staleMs / 2)' });
  t.like(resolveLockTiming({ staleMs: 4000, updateMs: 1000 }), { updateMs: 1000 });
});

test('removeStaleLock says false when the stale lock cannot be removed (an older release\'s directory, not empty)', async (t) => {
  const file = join(await tempDir(), 'x.json');
  await mkdir(`${file}.lock/inside`, { recursive: true }); // rmdir(2) of a folder not empty fails.
  await utimes(`${file}.lock`, new Date(0), new Date(0));
  t.false(removeStaleLock(file, 10_000));
  t.true((await stat(`${file}.lock`)).isDirectory());
});

test('removeStaleLock leaves an entry that is neither a file nor a directory, however old', async (t) => {
  const file = join(await tempDir(), 'x.json');
  await symlink('/nowhere', `${file}.lock`);
  await lutimes(`${file}.lock`, new Date(0), new Date(0));
  t.false(removeStaleLock(file, 10_000));
  t.true((await lstat(`${file}.lock`)).isSymbolicLink());
});
