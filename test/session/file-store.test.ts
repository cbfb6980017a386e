// What only the file store does; the store contract is tested against both stores in
// store-contract.test.ts.
import test from 'ava';
import { chmod, chown, lstat, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { constants, fstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CgiError, ConfigError } from '../../src/base/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { createSessionId } from '../../src/session/id.js';
import type { SessionLock } from '../../src/session/store.js';
import { countFsCalls, recordFsCalls } from '../helpers/fs-calls.js';
import { plantLock } from '../helpers/planted-lock.js';
import { tempDir } from '../helpers/temp-dir.js';
import { IS_ROOT, NOBODY } from '../helpers/users.js';

const record = (data: Record<string, unknown>) => ({ createdAt: 1000, touchedAt: 2000, data });

function quietStore(dir: string, extra: Partial<ConstructorParameters<typeof FileSessionStore>[0]> = {}) {
  const lines: string[] = [];
  return { store: new FileSessionStore({ dir, log: (line) => lines.push(line), ...extra }), lines };
}

test('FileSessionStore creates the folder 0700 and files 0600', async (t) => {
  const dir = join(await tempDir(), 'a', 'sessions');
  const { store } = quietStore(dir);
  const id = (await createSessionId());
  await store.write(id, record({}));
  t.is((await stat(dir)).mode & 0o777, 0o700);
  t.is((await stat(join(dir, `${id}.json`))).mode & 0o777, 0o600);
});

test('FileSessionStore narrows an existing folder it owns to 0700', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  await mkdir(dir, { mode: 0o755 });
  await chmod(dir, 0o755);
  const { store } = quietStore(dir);
  await store.write((await createSessionId()), record({}));
  t.is((await stat(dir)).mode & 0o777, 0o700);
});

test('FileSessionStore does not follow a symlink planted as a session file', async (t) => {
  const root = await tempDir();
  const dir = join(root, 'sessions');
  await mkdir(dir);
  const outside = join(root, 'outside.json');
  await writeFile(outside, '{"v":1,"createdAt":1,"touchedAt":1,"data":{"stolen":true}}');
  const id = (await createSessionId());
  await symlink(outside, join(dir, `${id}.json`));
  const { store, lines } = quietStore(dir);
  t.is(await store.read(id), undefined);
  t.regex(lines.join('\n'), /a symbolic link/);
  await store.write(id, record({ mine: 1 }));
  // The rename replaced the link itself; the file it pointed to is untouched.
  t.false((await lstat(join(dir, `${id}.json`))).isSymbolicLink());
  t.regex(await readFile(outside, 'utf8'), /stolen/);
});

test('FileSessionStore ignores a FIFO planted as a session file without hanging', async (t) => {
  const dir = await tempDir();
  const id = (await createSessionId());
  execFileSync('mkfifo', [join(dir, `${id}.json`)]);
  const { store, lines } = quietStore(dir);
  t.is(await store.read(id), undefined);
  t.regex(lines.join('\n'), /not a regular file/);
});

test('FileSessionStore treats foreign JSON as no session and logs it', async (t) => {
  const dir = await tempDir();
  const { store, lines } = quietStore(dir);
  const cases = ['[]', 'null', '1', '"x"', '{"v":2,"createdAt":1,"touchedAt":1,"data":{}}', '{"createdAt":1,"touchedAt":1,"data":{}}',
    '{"v":1,"createdAt":"1","touchedAt":1,"data":{}}', '{"v":1,"createdAt":1,"touchedAt":"1","data":{}}',
    '{"v":1,"createdAt":1,"touchedAt":1,"data":[]}', '{"v":1,"createdAt":1,"touchedAt":1,"data":null}',
    '{"v":1,"createdAt":1,"touchedAt":1,"data":"x"}', 'a:1:{s:4:"evil";}', '{"v":1,'];
  for (const text of cases) {
    const id = (await createSessionId());
    // Mode 0600, as the store writes them: the parse is what refuses them, not the mode check.
    await writeFile(join(dir, `${id}.json`), text, { mode: 0o600 });
    t.is(await store.read(id), undefined, text);
    t.regex(lines.at(-1) ?? '', /not a session record; treated as no session$/, text);
  }
  t.is(lines.length, cases.length);
  const good = await createSessionId();
  await writeFile(join(dir, `${good}.json`), '{"v":1,"createdAt":1,"touchedAt":2,"data":{"a":1}}', { mode: 0o600 });
  t.like(await store.read(good), { createdAt: 1, touchedAt: 2, data: { a: 1 } });
});

test('FileSessionStore refuses data over maxDataBytes with ESESSIONTOOLARGE and writes nothing', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir, { maxDataBytes: 100 });
  const id = (await createSessionId());
  await store.write(id, record({ small: 1 }));
  const error = await t.throwsAsync(store.write(id, record({ big: 'x'.repeat(200) })), { instanceOf: CgiError });
  t.is((error as CgiError).code, 'ESESSIONTOOLARGE');
  t.regex(error!.message, /over the limit of 100 \(option maxDataBytes\)/);
  t.deepEqual({ ...(await store.read(id))!.data }, { small: 1 });
  t.deepEqual((await readdir(dir)).sort(), [`${id}.json`]);
});

test('FileSessionStore.write with a lost lock commits nothing', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = (await createSessionId());
  await store.write(id, record({ n: 1 }));
  const lost: SessionLock = {
    compromised: true,
    assertHeld: () => Promise.reject(new CgiError('ESESSIONLOCKLOST', 'lost')),
    release: () => Promise.resolve(),
  };
  const error = await t.throwsAsync(store.write(id, record({ n: 2 }), lost));
  t.is((error as CgiError).code, 'ESESSIONLOCKLOST');
  t.deepEqual({ ...(await store.read(id))!.data }, { n: 1 });
  t.deepEqual(await readdir(dir), [`${id}.json`]); // The temporary file is gone too.
});

test('FileSessionStore.scan removes old temporary files and orphaned stale locks only', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir, { staleMs: 2000 });
  const live = (await createSessionId());
  const orphan = (await createSessionId());
  await store.write(live, record({}));
  const oldTemp = join(dir, `.${live}.0123456789ab.tmp`);
  const newTemp = join(dir, `.${live}.ba9876543210.tmp`);
  await writeFile(oldTemp, 'x');
  await writeFile(newTemp, 'x');
  await plantLock(join(dir, `${orphan}.json.lock`));
  await mkdir(join(dir, `${live}.json.lock`)); // An older release's lock: a directory.
  const past = new Date(Date.now() - 3 * 3600_000);
  for (const path of [oldTemp, join(dir, `${orphan}.json.lock`), join(dir, `${live}.json.lock`)]) await utimes(path, past, past);
  t.like(await store.scan({ leftoverAgeMs: 3600_000 }), { ids: [live], total: 1, leftovers: 2 });
  t.deepEqual((await readdir(dir)).sort(), [`.${live}.ba9876543210.tmp`, `${live}.json`, `${live}.json.lock`].sort());
});

test('FileSessionStore.write that fails at the rename reports a ConfigError and leaves no temporary file', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = (await createSessionId());
  // A non-empty directory where the session file should be: the rename onto it fails.
  await mkdir(join(dir, `${id}.json`, 'x'), { recursive: true });
  // Not a full disk, which passes by itself: someone's doing, which no retry mends (a 500).
  const error = await t.throwsAsync(store.write(id, record({ n: 1 })), { instanceOf: ConfigError });
  t.is((error as CgiError).code, 'ESESSIONDIR');
  t.regex(error!.message, /cannot save session file .*\.json: (EISDIR|ENOTEMPTY|EEXIST)/);
  t.deepEqual(await readdir(dir), [`${id}.json`]);
});

/** What was fsynced while `body` runs, in order: 'file' or 'folder'. */
function recordFsyncs(body: () => Promise<void>): Promise<string[]> {
  return recordFsCalls(['fsyncSync'], body, (_name, [fd]) => (fstatSync(fd as number).isDirectory() ? 'folder' : 'file'));
}

test.serial('FileSessionStore by default fsyncs the new file, then the folder, on each save', async (t) => {
  const { store } = quietStore(join(await tempDir(), 'sessions'));
  const id = await createSessionId();
  t.deepEqual(await recordFsyncs(() => store.write(id, record({ a: 1 }))), ['file', 'folder']);
  t.deepEqual({ ...(await store.read(id))?.data }, { a: 1 });
});

test.serial('FileSessionStore with durable: false saves without fsync, still whole', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  const { store } = quietStore(dir, { durable: false });
  const id = await createSessionId();
  t.deepEqual(await recordFsyncs(() => store.write(id, record({ a: 2 }))), []);
  t.deepEqual({ ...(await store.read(id))?.data }, { a: 2 });
  t.deepEqual((await readdir(dir)).filter((name) => name.endsWith('.tmp')), []);
});

test.serial('FileSessionStore with threadPool fsyncs the new file, then the folder, through the thread pool', async (t) => {
  const { store } = quietStore(join(await tempDir(), 'sessions'), { threadPool: true });
  const id = await createSessionId();
  const describe = (name: string, [fd]: unknown[]) => `${name} ${fstatSync(fd as number).isDirectory() ? 'folder' : 'file'}`;
  t.deepEqual(await recordFsCalls(['fsync', 'fsyncSync'], () => store.write(id, record({ a: 1 })), describe), ['fsync file', 'fsync folder']);
  t.deepEqual({ ...(await store.read(id))?.data }, { a: 1 });
});

/** The blocking node:fs calls a request's session work makes, as `<call> <path or fd>`. */
const BLOCKING_FS: ReadonlyArray<keyof typeof import('node:fs')> = [
  'openSync', 'fstatSync', 'statSync', 'lstatSync', 'readFileSync', 'writeFileSync', 'writeSync', 'fsyncSync', 'closeSync',
  'renameSync', 'unlinkSync', 'mkdirSync', 'rmdirSync', 'utimesSync', 'realpathSync', 'readSync', 'chmodSync',
];

/** The blocking calls of `calls` (from BLOCKING_FS, described by `describeCall`) that change a
 * file or folder, rather than only read. */
function changesIn(calls: string[]): string[] {
  return calls.filter((call) => !/^(openSync \S+ read$|(fstatSync|statSync|lstatSync|readFileSync|readSync|closeSync|realpathSync) )/.test(call));
}

function describeCall(name: string, [target, flags]: unknown[]): string {
  const writes = constants.O_WRONLY | constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC;
  if (name === 'openSync') return `openSync ${String(target)} ${((flags as number) & writes) === 0 ? 'read' : 'write'}`;
  return `${name} ${String(target)}`;
}

for (const threadPool of [false, true]) {
  const title = threadPool ? 'changes files only through the thread pool, and reads them blocking' : 'blocks on the session file and its lock';
  test.serial(`FileSessionStore${threadPool ? ' with threadPool' : ''}: a request's session work ${title}`, async (t) => {
    const dir = join(await tempDir(), 'sessions');
    const id = await createSessionId();
    const visit = async () => {
      // A store per request, as a script makes one; the folder exists after the first visit.
      const store = new FileSessionStore({ dir, threadPool, log: () => {} });
      const lock = await store.lock(id);
      await store.read(id);
      await store.write(id, record({ n: 1 }), lock);
      await lock.release();
    };
    await visit();
    const calls = await recordFsCalls(BLOCKING_FS, visit, describeCall);
    t.true(calls.some((call) => call.startsWith('readSync ')), 'the session file is read blocking');
    t.true(calls.includes(`openSync ${join(dir, `${id}.json`)} read`));
    t.true(calls.includes(`statSync ${join(dir, `${id}.json.lock`)}`), 'the lock is checked blocking');
    if (threadPool) {
      t.deepEqual(changesIn(calls), [], 'the temporary file, its rename and the lock only through the thread pool');
    } else {
      t.true(changesIn(calls).some((call) => call.startsWith('renameSync ')), 'the recorder sees blocking changes');
      t.true(calls.includes(`openSync ${join(dir, `${id}.json.lock`)} write`), 'proper-lockfile\'s synchronous API takes the lock');
      t.true(calls.includes(`unlinkSync ${join(dir, `${id}.json.lock`)}`), 'and drops it');
    }
  });
}

test('FileSessionStore refuses durable and threadPool options that are not booleans', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  // @ts-expect-error: the wrong type on purpose.
  t.throws(() => new FileSessionStore({ dir, durable: 'yes' }), { instanceOf: TypeError, message: /option durable/ });
  // @ts-expect-error: the wrong type on purpose.
  t.throws(() => new FileSessionStore({ dir, threadPool: 1 }), { instanceOf: TypeError, message: /option threadPool/ });
});

test('FileSessionStore.read counts a session file others may read or write as no session, and says so', async (t) => {
  const dir = await tempDir();
  const { store, lines } = quietStore(dir);
  const id = await createSessionId();
  await store.write(id, record({ user: 'ada' }));
  await chmod(join(dir, `${id}.json`), 0o644);
  t.is(await store.read(id), undefined);
  t.deepEqual(lines, [`cgi-shim: ignoring session file ${join(dir, `${id}.json`)}: mode 0644 lets others read or write it; treated as no session`]);
});

if (IS_ROOT) {
  test('FileSessionStore.read counts a session file of another user as no session: planting one logs nobody in', async (t) => {
    const dir = await tempDir();
    const { store, lines } = quietStore(dir);
    const id = await createSessionId();
    const file = join(dir, `${id}.json`);
    // What a local user could leave in a folder that was once open to all.
    await writeFile(file, '{"v":1,"createdAt":1000,"touchedAt":2000,"data":{"user":"grace"}}\n', { mode: 0o600 });
    await chown(file, NOBODY, NOBODY);
    t.is(await store.read(id), undefined);
    t.deepEqual(lines, [`cgi-shim: ignoring session file ${file}: owned by uid ${NOBODY}, not by uid 0; treated as no session`]);
  });
} else {
  test.skip('FileSessionStore.read counts a session file of another user as no session (needs root to make one)', () => {});
}

test.serial('FileSessionStore.scan reads the folder once and samples every session alike', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const ids = await Promise.all(Array.from({ length: 40 }, () => createSessionId()));
  for (const id of ids) await store.write(id, record({}));
  await writeFile(join(dir, 'notes.json'), '{}');
  const seen = new Set<string>();
  const reads = await countFsCalls(['readdirSync', 'opendirSync'], async () => {
    for (let round = 0; round < 200; round++) {
      const { ids: sample, total } = await store.scan({ sample: 5 });
      t.is(total, 40);
      t.is(new Set(sample).size, 5);
      for (const id of sample) seen.add(id);
    }
  });
  t.is(reads, 200, 'one read of the folder per scan');
  // Each session is left out of a sample with chance 7/8: of all 200, with chance 2.5e-12.
  t.deepEqual([...seen].sort(), [...ids].sort());
});

test('FileSessionStore rejects bad options with a TypeError naming the option', (t) => {
  const make = (options: unknown) => () => new FileSessionStore(options as ConstructorParameters<typeof FileSessionStore>[0]);
  t.throws(make(undefined), { instanceOf: TypeError, message: 'option dir is invalid: undefined' });
  t.throws(make({ dir: 5 }), { instanceOf: TypeError, message: 'option dir is invalid: 5' });
  t.throws(make({ dir: '' }), { instanceOf: TypeError, message: 'option dir is invalid: ' });
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    t.throws(make({ dir: '/x', maxDataBytes: bad }), { instanceOf: TypeError, message: `option maxDataBytes is invalid: ${bad}` });
  }
  t.is(new FileSessionStore({ dir: '/x', maxDataBytes: 1 }).maxDataBytes, 1);
  t.throws(() => new FileSessionStore({ dir: '/x' }).fileOf('../x'), { instanceOf: TypeError, message: 'argument id is invalid: not a session ID' });
});

test('FileSessionStore saves data of exactly maxDataBytes, and reads a file of exactly the limit plus the record overhead', async (t) => {
  const dir = await tempDir();
  const { store, lines } = quietStore(dir, { maxDataBytes: 100 });
  const id = await createSessionId();
  await store.write(id, record({ a: 'x'.repeat(92) })); // {"a":"…"} is 100 bytes.
  t.is((await store.read(id))?.data.a, 'x'.repeat(92));
  // A file may hold maxDataBytes + 256 bytes (the record's own fields around the data).
  const file = (length: number) => {
    const head = '{"v":1,"createdAt":1,"touchedAt":2,"data":{"a":"';
    return `${head}${'y'.repeat(length - head.length - 4)}"}}\n`;
  };
  await writeFile(join(dir, `${id}.json`), file(356), { mode: 0o600 });
  t.truthy(await store.read(id));
  await writeFile(join(dir, `${id}.json`), file(357), { mode: 0o600 });
  t.is(await store.read(id), undefined);
  t.regex(lines.at(-1) ?? '', /: 357 bytes, over the limit; treated as no session$/);
});

test('FileSessionStore.delete reports a session file it cannot remove', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = await createSessionId();
  await mkdir(join(dir, `${id}.json`)); // unlink(2) of a folder: EISDIR.
  const error = await t.throwsAsync(store.delete(id));
  t.regex(error!.message, new RegExp(`^cannot delete ${join(dir, `${id}.json`)}`));
});

test('FileSessionStore.write into a folder removed under it fails with ESESSIONSTORE (a 503), naming the file', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  const { store } = quietStore(dir);
  const id = await createSessionId();
  await store.write(id, record({}));
  execFileSync('rm', ['-r', dir]);
  const error = await t.throwsAsync(store.write(id, record({})), { instanceOf: CgiError });
  t.is((error as CgiError).code, 'ESESSIONSTORE');
  t.regex(error!.message, new RegExp(`^cannot save session file ${join(dir, `${id}.json`)}: ENOENT`));
  t.is((error!.cause as NodeJS.ErrnoException).code, 'ENOENT');
});

test('FileSessionStore.write is not held up by a temporary file another writer left under its own random name', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = await createSessionId();
  await store.write(id, record({ n: 1 }));
  await writeFile(join(dir, `.${id}.000000000000.tmp`), 'x');
  await store.write(id, record({ n: 2 }));
  t.is((await store.read(id))?.data.n, 2);
});

test('FileSessionStore.scan refuses a bad sample size; a sample of 0 counts without naming', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  for (let i = 0; i < 3; i++) await store.write(await createSessionId(), record({}));
  for (const bad of [-1, 1.5, Number.NaN]) {
    await t.throwsAsync(store.scan({ sample: bad }), { instanceOf: TypeError, message: `option sample is invalid: ${bad}` });
  }
  t.like(await store.scan({ sample: 0 }), { ids: [], total: 3 });
});

test('FileSessionStore.scan removes only temporary files named as its writers name them', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = await createSessionId();
  const names = [`x.${id}.0123456789ab.tmp`, `.${id}.0123456789ab.tmp.tmp`, `.${id}.0123456789ab.tmp`];
  const past = new Date(Date.now() - 3 * 3600_000);
  for (const name of names) {
    await writeFile(join(dir, name), 'x');
    await utimes(join(dir, name), past, past);
  }
  t.like(await store.scan({ leftoverAgeMs: 3600_000 }), { leftovers: 1 });
  t.deepEqual((await readdir(dir)).sort(), names.slice(0, 2).sort());
});

test.serial('FileSessionStore closes every file it opens', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = await createSessionId();
  const open = () => readdirSync('/proc/self/fd').length;
  const before = open();
  await store.write(id, record({ a: 1 }));
  await store.read(id);
  await store.scan({ leftoverAgeMs: 0 });
  t.is(open(), before);
});

test('FileSessionStore whose folder was replaced by a file reads no session, and its scan fails with ESESSIONSTORE', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  const { store } = quietStore(dir);
  const id = await createSessionId();
  await store.write(id, record({}));
  execFileSync('rm', ['-r', dir]);
  const scan = await t.throwsAsync(store.scan({}), { instanceOf: CgiError });
  t.is((scan as CgiError).code, 'ESESSIONSTORE');
  t.regex(scan!.message, new RegExp(`^cannot list ${dir}: ENOENT`));
  await writeFile(dir, 'not a folder');
  t.is(await store.read(id), undefined); // ENOTDIR, as ENOENT: no such session.
});
