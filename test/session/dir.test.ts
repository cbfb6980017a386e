import test from 'ava';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CgiError } from '../../src/errors.js';
import { makeDirs, resolveSessionDir } from '../../src/session/dir.js';
import { tempDir } from '../helpers/request.js';

test('resolveSessionDir takes CGI_SESSION_DIR first', (t) => {
  t.is(resolveSessionDir({ CGI_SESSION_DIR: '/var/lib/app/sessions' }, '/srv/dist/cgi-bin/x.cgi'), '/var/lib/app/sessions');
});

test('resolveSessionDir refuses a relative CGI_SESSION_DIR', (t) => {
  const error = t.throws(() => resolveSessionDir({ CGI_SESSION_DIR: 'sessions' }, undefined), { instanceOf: CgiError });
  t.is((error as CgiError).code, 'ESESSIONDIR');
});

test('resolveSessionDir finds the project sessions/ two folders above a built script', async (t) => {
  const root = await tempDir();
  await mkdir(join(root, 'sessions'));
  await mkdir(join(root, 'dist', 'cgi-bin'), { recursive: true });
  t.is(resolveSessionDir({}, join(root, 'dist', 'cgi-bin', 'counter.cgi')), join(root, 'sessions'));
});

test('resolveSessionDir falls back to ./sessions for a script copied elsewhere', async (t) => {
  const root = await tempDir();
  t.is(resolveSessionDir({}, join(root, 'counter.cgi')), resolve('sessions'));
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
