import test from 'ava';
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { CgiError } from '../../src/base/errors.js';
import { FileSessionStore, parseRecord } from '../../src/session/file-store.js';
import { createSessionId } from '../../src/session/id.js';
import type { SessionLock } from '../../src/session/store.js';
import { tempDir } from '../helpers/temp-dir.js';

const record = (data: Record<string, unknown>) => ({ createdAt: 1000, touchedAt: 2000, data });

function quietStore(dir: string, extra: Partial<ConstructorParameters<typeof FileSessionStore>[0]> = {}) {
  const lines: string[] = [];
  return { store: new FileSessionStore({ dir, log: (line) => lines.push(line), ...extra }), lines };
}

test('FileSessionStore writes and reads back a record', async (t) => {
  const { store } = quietStore(join(await tempDir(), 'sessions'));
  const id = (await createSessionId());
  await store.write(id, record({ a: 1, b: ['x'] }));
  const back = await store.read(id);
  t.is(back?.createdAt, 1000);
  t.is(back?.touchedAt, 2000);
  t.deepEqual({ ...back?.data }, { a: 1, b: ['x'] });
});

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

test('FileSessionStore.read of a missing session or folder is undefined', async (t) => {
  const { store } = quietStore(join(await tempDir(), 'missing'));
  t.is(await store.read((await createSessionId())), undefined);
  t.deepEqual(await store.list(), []);
});

test('FileSessionStore refuses IDs that are not IDs before building a path', async (t) => {
  const { store } = quietStore(await tempDir());
  for (const bad of ['../../etc/passwd', '/etc/passwd', `${'a'.repeat(42)}\0`, 'a'.repeat(44)]) {
    await t.throwsAsync(store.read(bad), { instanceOf: TypeError });
    await t.throwsAsync(store.write(bad, record({})), { instanceOf: TypeError });
    await t.throwsAsync(store.delete(bad), { instanceOf: TypeError });
    await t.throwsAsync(store.lock(bad), { instanceOf: TypeError });
  }
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
  const cases = ['[]', '{"v":2,"createdAt":1,"touchedAt":1,"data":{}}', '{"v":1,"createdAt":"1","touchedAt":1,"data":{}}',
    '{"v":1,"createdAt":1,"touchedAt":1,"data":[]}', 'a:1:{s:4:"evil";}', '{"v":1,'];
  for (const text of cases) {
    const id = (await createSessionId());
    await writeFile(join(dir, `${id}.json`), text);
    t.is(await store.read(id), undefined, text);
  }
  t.is(lines.length, cases.length);
});

test('parseRecord keeps "__proto__" a plain key', (t) => {
  const parsed = parseRecord('{"v":1,"createdAt":1,"touchedAt":2,"data":{"__proto__":{"admin":true}}}');
  t.truthy(parsed);
  t.is(Object.getPrototypeOf(parsed!.data), null);
  t.deepEqual(parsed!.data.__proto__, { admin: true });
  t.is(({} as Record<string, unknown>).admin, undefined);
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

test('FileSessionStore.delete of an absent session is not an error', async (t) => {
  const { store } = quietStore(await tempDir());
  await t.notThrowsAsync(store.delete((await createSessionId())));
});

test('FileSessionStore.list names only session files', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = (await createSessionId());
  await store.write(id, record({}));
  await writeFile(join(dir, 'notes.txt'), 'x');
  await writeFile(join(dir, `.${id}.0123456789ab.tmp`), 'x');
  await mkdir(join(dir, `${id}.json.lock`));
  t.deepEqual(await store.list(), [{ id }]);
});

test('FileSessionStore.removeLeftovers removes old temporary files and orphaned stale locks only', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir, { staleMs: 2000 });
  const live = (await createSessionId());
  const orphan = (await createSessionId());
  await store.write(live, record({}));
  const oldTemp = join(dir, `.${live}.0123456789ab.tmp`);
  const newTemp = join(dir, `.${live}.ba9876543210.tmp`);
  await writeFile(oldTemp, 'x');
  await writeFile(newTemp, 'x');
  await mkdir(join(dir, `${orphan}.json.lock`));
  await mkdir(join(dir, `${live}.json.lock`));
  const past = new Date(Date.now() - 3 * 3600_000);
  for (const path of [oldTemp, join(dir, `${orphan}.json.lock`), join(dir, `${live}.json.lock`)]) await utimes(path, past, past);
  t.is(await store.removeLeftovers(3600_000), 2);
  t.deepEqual((await readdir(dir)).sort(), [`.${live}.ba9876543210.tmp`, `${live}.json`, `${live}.json.lock`].sort());
});

test('FileSessionStore.write that fails at the rename reports ESESSIONSTORE and leaves no temporary file', async (t) => {
  const dir = await tempDir();
  const { store } = quietStore(dir);
  const id = (await createSessionId());
  // A non-empty directory where the session file should be: the rename onto it fails.
  await mkdir(join(dir, `${id}.json`, 'x'), { recursive: true });
  const error = await t.throwsAsync(store.write(id, record({ n: 1 })), { instanceOf: CgiError });
  t.is((error as CgiError).code, 'ESESSIONSTORE');
  t.regex(error!.message, /cannot save session file .*\.json: (EISDIR|ENOTEMPTY|EEXIST)/);
  t.deepEqual(await readdir(dir), [`${id}.json`]);
});

/** What was fsynced, in order ('file' or 'folder'), by code that imported `fsyncSync` from
 * node:fs while `body` runs. */
async function recordFsyncs(body: () => Promise<void>): Promise<string[]> {
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const real = fs.fsyncSync;
  const synced: string[] = [];
  fs.fsyncSync = (fd) => {
    synced.push(fs.fstatSync(fd).isDirectory() ? 'folder' : 'file');
    real(fd);
  };
  syncBuiltinESMExports(); // ES modules' named imports of node:fs see the recording one.
  try {
    await body();
  } finally {
    fs.fsyncSync = real;
    syncBuiltinESMExports();
  }
  return synced;
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

test('FileSessionStore refuses a durable option that is not a boolean', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  // @ts-expect-error: the wrong type on purpose.
  t.throws(() => new FileSessionStore({ dir, durable: 'yes' }), { instanceOf: TypeError, message: /option durable/ });
});
