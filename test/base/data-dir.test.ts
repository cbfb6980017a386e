import test from 'ava';
import { lstatSync } from 'node:fs';
import { chmod, chown, mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CgiError, ConfigError } from '../../src/base/errors.js';
import {
  checkDataDir, dataDirFailure, makeDirs, prepareDataDir, privateDataDir, resolveDataDir, withProjectDataDir,
} from '../../src/base/data-dir.js';
import { NOBODY } from '../helpers/users.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Runs `body` with TMPDIR set, as a script's environment would set it. */
function withTmpdir(tmp: string, body: () => void): void {
  const before = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  try {
    body();
  } finally {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
  }
}

test('resolveDataDir takes CGI_SESSION_DIR first', (t) => {
  t.is(resolveDataDir({ CGI_SESSION_DIR: '/var/lib/app/sessions' }, '/srv/dist/cgi-bin/x.cgi'), '/var/lib/app/sessions');
});

test('resolveDataDir refuses a relative CGI_SESSION_DIR with a ConfigError that says the fix', (t) => {
  const error = t.throws(() => resolveDataDir({ CGI_SESSION_DIR: 'sessions' }, undefined), { instanceOf: ConfigError });
  t.is((error as CgiError).code, 'ESESSIONDIR');
  t.regex(error!.message, /^CGI_SESSION_DIR must be an absolute path, not "sessions"; fix: set CGI_SESSION_DIR to an absolute path/);
});

test('resolveDataDir finds the project sessions/ two folders above a built script, from a shell', async (t) => {
  const root = await tempDir();
  await mkdir(join(root, 'sessions'));
  await mkdir(join(root, 'dist', 'cgi-bin'), { recursive: true });
  t.is(resolveDataDir({}, join(root, 'dist', 'cgi-bin', 'counter.cgi')), join(root, 'sessions'));
});

test('resolveDataDir under a web server never takes a folder from the script\'s place', async (t) => {
  // A project checked out inside a document root: its sessions/ would be served to the world.
  const root = await tempDir();
  await mkdir(join(root, 'sessions'));
  await mkdir(join(root, 'dist', 'cgi-bin'), { recursive: true });
  const env = { GATEWAY_INTERFACE: 'CGI/1.1', TMPDIR: '/var/tmp' };
  t.is(resolveDataDir(env, join(root, 'dist', 'cgi-bin', 'counter.cgi')), `/var/tmp/node-cgi-shim-sessions-${process.getuid!()}`);
});

test('resolveDataDir takes the private folder for a script copied elsewhere, never ./sessions', async (t) => {
  const root = await tempDir();
  t.is(resolveDataDir({}, join(root, 'counter.cgi')), privateDataDir({}));
  t.is(privateDataDir({}), `/tmp/node-cgi-shim-sessions-${process.getuid!()}`);
  t.not(resolveDataDir({}, join(root, 'counter.cgi')), resolve('sessions'));
});

test('withProjectDataDir gives a local host\'s scripts the project\'s sessions/, unless one is set', async (t) => {
  const root = await tempDir();
  await mkdir(join(root, 'dist', 'cgi-bin'), { recursive: true });
  t.deepEqual(withProjectDataDir({ PATH: '/bin' }, join(root, 'dist', 'cgi-bin')), { PATH: '/bin' });
  await mkdir(join(root, 'sessions'));
  t.is(withProjectDataDir({}, join(root, 'dist', 'cgi-bin')).CGI_SESSION_DIR, join(root, 'sessions'));
  t.is(withProjectDataDir({ CGI_SESSION_DIR: '/srv/s' }, join(root, 'dist', 'cgi-bin')).CGI_SESSION_DIR, '/srv/s');
});

test('prepareDataDir makes the private folder 0700 and says so once, with the way to a lasting one', async (t) => {
  const tmp = await tempDir();
  const dir = privateDataDir({ TMPDIR: tmp });
  const lines: string[] = [];
  withTmpdir(tmp, () => {
    prepareDataDir(dir, (line) => lines.push(line));
    prepareDataDir(dir, (line) => lines.push(line));
  });
  t.is(lstatSync(dir).mode & 0o777, 0o700);
  t.is(lines.length, 1);
  t.true(lines[0]!.startsWith(`cgi-shim: made the sessions folder ${dir} (mode 0700)`));
  t.regex(lines[0]!, /set CGI_SESSION_DIR to keep sessions in a lasting one/);
});

test('prepareDataDir narrows a folder of ours to 0700', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  await mkdir(dir, { mode: 0o777 });
  await chmod(dir, 0o777);
  prepareDataDir(dir, () => t.fail('nothing to say about a configured folder'));
  t.is(lstatSync(dir).mode & 0o777, 0o700);
});

if (process.getuid?.() === 0) {
  test('checkDataDir refuses a folder of another user, even one open to all or sticky like /tmp', async (t) => {
    for (const mode of [0o777, 0o1777, 0o700]) {
      const dir = join(await tempDir(), 'sessions');
      await mkdir(dir);
      await chown(dir, NOBODY, NOBODY);
      await chmod(dir, mode);
      const error = t.throws(() => checkDataDir(dir), { instanceOf: ConfigError });
      t.is(error?.code, 'ESESSIONDIR');
      t.is(error?.message, `the sessions folder ${dir} is owned by uid ${NOBODY}, not by uid 0 that runs this script, and that user ` +
        `could read or plant sessions; fix: chown 0 ${dir} && chmod 0700 ${dir}, or set CGI_SESSION_DIR to an absolute path of a ` +
        'folder owned by uid 0, mode 0700, outside every document root (README.md, Deploy)');
      t.is(lstatSync(dir).mode & 0o7777, mode, 'left as it was');
    }
  });
} else {
  test.skip('checkDataDir refuses a folder of another user (needs root to make one)', () => {});
}

test('checkDataDir refuses a symbolic link, and a file, where the folder should be', async (t) => {
  const base = await tempDir();
  await mkdir(join(base, 'real'));
  await symlink(join(base, 'real'), join(base, 'link'));
  t.throws(() => checkDataDir(join(base, 'link')), { instanceOf: ConfigError, message: /is a symbolic link; fix: set CGI_SESSION_DIR to the folder it leads to/ });
  await writeFile(join(base, 'file'), '');
  t.throws(() => checkDataDir(join(base, 'file')), { instanceOf: ConfigError, message: /is not a folder; fix: / });
  t.false(checkDataDir(join(base, 'missing')));
});

test('dataDirFailure: a full disk passes (503), a denied folder is the deployment\'s to fix (500)', (t) => {
  const full = dataDirFailure('cannot save', Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
  t.false(full instanceof ConfigError);
  t.is(full.code, 'ESESSIONSTORE');
  for (const code of ['EACCES', 'EPERM', 'EROFS', 'ENOTDIR']) {
    const denied = dataDirFailure('cannot make', Object.assign(new Error(`${code}: no`), { code }));
    t.true(denied instanceof ConfigError, code);
    t.is(denied.code, 'ESESSIONDIR');
    t.regex(denied.message, /^cannot make: .*; fix: set CGI_SESSION_DIR to an absolute path of a folder owned by uid/);
  }
});

test('makeDirs creates missing parents with the mode, and accepts an existing folder', async (t) => {
  const base = await tempDir();
  const dir = join(base, 'a', 'b', 'c');
  makeDirs(dir, 0o700);
  t.is((await stat(dir)).mode & 0o777, 0o700);
  t.is((await stat(join(base, 'a'))).mode & 0o777, 0o700);
  t.notThrows(() => makeDirs(dir, 0o700));
});

test('makeDirs fails at once where Node\'s recursive mkdir would spin (a folder under /proc)', (t) => {
  const error = t.throws(() => makeDirs('/proc/cgi-shim-no-such/sessions', 0o700));
  t.is((error as { code?: string } | undefined)?.code, 'ENOENT');
});
