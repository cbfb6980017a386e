import test from 'ava';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CgiError } from '../../src/errors.js';
import { resolveSessionDir } from '../../src/session/dir.js';
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
