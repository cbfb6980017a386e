// Session cookies chosen by an attacker: none may make the runtime read or write anything outside
// the sessions folder, and none may be adopted; each visitor gets a fresh session.
import test from 'ava';
import { chmod, chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { openSession } from '../../src/index.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { createSessionId } from '../../src/session/id.js';
import type { SessionStore } from '../../src/session/store.js';
import { runScript } from '../helpers/cgi.js';
import { runHandler } from '../helpers/run-handler.js';
import { tempDir } from '../helpers/temp-dir.js';
import { IS_ROOT, NOBODY } from '../helpers/users.js';

/** Every path under `root` with its content and mtime, except those under `skip`. */
async function snapshot(root: string, skip: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (path === skip) continue;
      const info = await stat(path);
      if (entry.isDirectory()) await walk(path);
      out.set(relative(root, path), `${info.mtimeMs} ${entry.isDirectory() ? 'dir' : await readFile(path, 'base64')}`);
    }
  };
  await walk(root);
  return out;
}


async function hostileCookies(root: string): Promise<Array<[string, string]>> {
  return [
    ['a relative path', '../../etc/passwd'],
    ['a path to a planted record', '../planted'],
    ['an absolute path', join(root, 'planted')],
    ['an encoded NUL byte', `${'a'.repeat(42)}%00`],
    ['an encoded path', '..%2F..%2Fetc%2Fpasswd'],
    ['a very long value', 'A'.repeat(4000)],
    ['the wrong alphabet', `${'a'.repeat(41)}+/`],
    ['43 dots and slashes', '../'.repeat(14) + '.'],
    ['a well-shaped ID nobody issued', (await createSessionId())],
  ];
}

test('counter.cgi gives hostile session cookies a fresh session and touches nothing outside the folder', async (t) => {
  const root = await tempDir();
  const dir = join(root, 'sessions');
  await mkdir(join(root, 'etc'));
  await writeFile(join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  const planted = '{"v":1,"createdAt":9999999999999,"touchedAt":9999999999999,"data":{"visits":1000}}';
  await writeFile(join(root, 'planted'), planted);
  await writeFile(join(root, 'planted.json'), planted);
  const before = await snapshot(root, dir);
  const cases = await hostileCookies(root);
  const issued = new Set<string>();
  for (const [what, value] of cases) {
    const run = await runScript('counter', { env: { CGI_SESSION_DIR: dir, HTTP_COOKIE: `sid=${value}` } });
    t.is(run.response.status, 200, what);
    t.regex(run.response.text, /id="count">1</, what);
    const sid = /^sid=([A-Za-z0-9_-]{43});/.exec(run.response.header('set-cookie') ?? '')?.[1];
    t.truthy(sid, what);
    t.not(sid, value, what);
    issued.add(sid!);
  }
  t.deepEqual(await snapshot(root, dir), before);
  t.deepEqual((await readdir(dir)).sort(), [...issued].map((id) => `${id}.json`).sort());
});

test('openSession never hands an ID that is not an ID to the store', async (t) => {
  const root = await tempDir();
  const calls: string[] = [];
  const real = new FileSessionStore({ dir: join(root, 'sessions') });
  const spy: SessionStore = {
    read: (id) => (calls.push(`read ${id}`), real.read(id)),
    write: (id, record, lock) => (calls.push(`write ${id}`), real.write(id, record, lock)),
    delete: (id) => (calls.push(`delete ${id}`), real.delete(id)),
    lock: (id, options) => (calls.push(`lock ${id}`), real.lock(id, options)),
  };
  for (const [, value] of (await hostileCookies(root)).slice(0, -1)) {
    await runHandler(async (request, response) => {
      await openSession(request, response, { store: spy });
      response.text('ok');
    }, { HTTP_COOKIE: `sid=${value}` });
  }
  t.deepEqual(calls, []);
});

test('the ID of a destroyed or expired session is never adopted', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  const env = { CGI_SESSION_DIR: dir };
  // Destroyed: the file is gone, the ID names nothing.
  const first = await runScript('counter', { env });
  const destroyed = /^sid=([^;]+);/.exec(first.response.header('set-cookie')!)![1]!;
  await new FileSessionStore({ dir }).delete(destroyed);
  const again = await runScript('counter', { env: { ...env, HTTP_COOKIE: `sid=${destroyed}` } });
  t.regex(again.response.text, /id="count">1</);
  t.notRegex(again.response.header('set-cookie')!, new RegExp(destroyed));
  // Expired: the file is there but past the absolute timeout; it is removed, not reused.
  const expired = (await createSessionId());
  const store = new FileSessionStore({ dir });
  await store.write(expired, { createdAt: Date.now() - 9 * 3600_000, touchedAt: Date.now(), data: { visits: 41 } });
  const late = await runScript('counter', { env: { ...env, HTTP_COOKIE: `sid=${expired}` } });
  t.regex(late.response.text, /id="count">1</);
  t.notRegex(late.response.header('set-cookie')!, new RegExp(expired));
  t.is(await store.read(expired), undefined);
});

test('a session folder the script may not write answers 500 with one line saying the fix, and keeps the old session', async (t) => {
  const root = await tempDir();
  await chmod(root, 0o711);
  const dir = join(root, 'sessions');
  const first = await runScript('counter', { env: { CGI_SESSION_DIR: dir } });
  const sid = /^sid=([^;]+);/.exec(first.response.header('set-cookie')!)![1]!;
  const file = join(dir, `${sid}.json`);
  const before = await readFile(file, 'utf8');
  // The script may read the folder but not write it (EACCES), as after a wrong deployment: no
  // retry mends that, so no 503. Root may write anywhere: as root, the script runs as nobody,
  // owning the read-only folder.
  const user = IS_ROOT ? { uid: NOBODY, gid: NOBODY } : undefined;
  if (user !== undefined) {
    await chown(dir, NOBODY, NOBODY);
    await chown(file, NOBODY, NOBODY);
  }
  await chmod(dir, 0o500);
  const run = await runScript('counter', { env: { CGI_SESSION_DIR: dir, HTTP_COOKIE: `sid=${sid}` }, user });
  t.is(run.response.status, 500, run.stderr);
  t.is(run.response.header('retry-after'), undefined);
  const lines = run.stderr.split('\n').filter(Boolean);
  t.is(lines.length, 1, run.stderr);
  t.regex(lines[0]!, new RegExp(`^cgi-shim: GET /cgi-bin/counter\\.cgi: cannot lock ${file} in ${dir}: EACCES: permission denied, ` +
    `open '${file}\\.lock' \\(this script runs as uid ${user?.uid ?? process.getuid!()}\\); fix: set CGI_SESSION_DIR to an absolute path of a folder owned by uid`));
  t.is(await readFile(file, 'utf8'), before);
  t.deepEqual(await readdir(dir), [`${sid}.json`]);
});
