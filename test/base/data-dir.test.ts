import test from 'ava';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CgiError } from '../../src/base/errors.js';
import { makeDirs, resolveDataDir } from '../../src/base/data-dir.js';
import { sessionsDir } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

test('resolveDataDir takes CGI_SESSION_DIR first', (t) => {
  t.is(resolveDataDir({ CGI_SESSION_DIR: '/var/lib/app/sessions' }, '/srv/dist/cgi-bin/x.cgi'), '/var/lib/app/sessions');
});

test('resolveDataDir refuses a relative CGI_SESSION_DIR', (t) => {
  const error = t.throws(() => resolveDataDir({ CGI_SESSION_DIR: 'sessions' }, undefined), { instanceOf: CgiError });
  t.is((error as CgiError).code, 'ESESSIONDIR');
});

test('sessionsDir (the package\'s) resolves the folder as sessions do, CGI_SESSION_DIR first', async (t) => {
  t.is(await sessionsDir({ CGI_SESSION_DIR: '/var/lib/app/sessions' }), '/var/lib/app/sessions');
  t.is(await sessionsDir({}), resolveDataDir({}, process.argv[1]));
  const error = await t.throwsAsync(sessionsDir({ CGI_SESSION_DIR: 'sessions' }), { instanceOf: CgiError });
  t.is((error as CgiError).code, 'ESESSIONDIR');
});

test('resolveDataDir finds the project sessions/ two folders above a built script', async (t) => {
  const root = await tempDir();
  await mkdir(join(root, 'sessions'));
  await mkdir(join(root, 'dist', 'cgi-bin'), { recursive: true });
  t.is(resolveDataDir({}, join(root, 'dist', 'cgi-bin', 'counter.cgi')), join(root, 'sessions'));
});

test('resolveDataDir falls back to ./sessions for a script copied elsewhere', async (t) => {
  const root = await tempDir();
  t.is(resolveDataDir({}, join(root, 'counter.cgi')), resolve('sessions'));
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
