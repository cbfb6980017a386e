import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { FileSessionStore } from '../../src/session/file-store.js';
import { createSessionId } from '../../src/session/id.js';
import { ROOT } from '../helpers/cgi.js';
import { tempDir } from '../helpers/temp-dir.js';

const run = promisify(execFile);
const CLI = join(ROOT, 'bin', 'cgi-shim.js');

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH!, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function folderWith(records: Array<{ createdAt: number; touchedAt: number }>, folder?: string) {
  const dir = folder ?? await tempDir();
  const store = new FileSessionStore({ dir });
  const ids: string[] = [];
  for (const record of records) {
    const id = (await createSessionId());
    await store.write(id, { ...record, data: { user: 'ada' } });
    ids.push(id);
  }
  return { dir, store, ids };
}

test('sessions list shows each session with its state', async (t) => {
  const now = Date.now();
  const { dir, ids } = await folderWith([{ createdAt: now, touchedAt: now }, { createdAt: now - 86_400_000, touchedAt: now - 86_400_000 }]);
  const { code, stdout } = await cli(['sessions', 'list', '--dir', dir]);
  t.is(code, 0);
  t.regex(stdout, new RegExp(`${ids[0]} .* live`));
  t.regex(stdout, new RegExp(`${ids[1]} .* expired`));
  t.regex(stdout, /2 sessions in /);
});

test('sessions list reads CGI_SESSION_DIR', async (t) => {
  const { dir, ids } = await folderWith([{ createdAt: Date.now(), touchedAt: Date.now() }]);
  const { stdout } = await cli(['sessions', 'list'], { CGI_SESSION_DIR: dir });
  t.regex(stdout, new RegExp(ids[0]!));
});

test('sessions show prints one record as JSON', async (t) => {
  const { dir, ids } = await folderWith([{ createdAt: 0, touchedAt: 0 }]);
  const { code, stdout } = await cli(['sessions', 'show', ids[0]!, '--dir', dir]);
  t.is(code, 0);
  t.deepEqual(JSON.parse(stdout), { createdAt: '1970-01-01T00:00:00.000Z', touchedAt: '1970-01-01T00:00:00.000Z', data: { user: 'ada' } });
});

test('sessions show refuses something that is not an ID', async (t) => {
  const { dir } = await folderWith([]);
  const { code, stderr } = await cli(['sessions', 'show', '../../etc/passwd', '--dir', dir]);
  t.is(code, 2);
  t.regex(stderr, /not a session ID/);
});

test('sessions delete removes one session', async (t) => {
  const { dir, ids } = await folderWith([{ createdAt: Date.now(), touchedAt: Date.now() }, { createdAt: Date.now(), touchedAt: Date.now() }]);
  const { code } = await cli(['sessions', 'delete', ids[0]!, '--dir', dir]);
  t.is(code, 0);
  t.deepEqual(await readdir(dir), [`${ids[1]}.json`]);
  t.is((await cli(['sessions', 'delete', ids[0]!, '--dir', dir])).code, 1);
});

test('sessions show and delete take an ID that begins with "-" as an ID, with or without "--" before it', async (t) => {
  // One ID in 64 begins with '-' (base64url's alphabet): pasted from `sessions list`, it must not read as an option.
  const dir = await tempDir();
  const store = new FileSessionStore({ dir });
  const id = `-Z${'a'.repeat(41)}`;
  await store.write(id, { createdAt: 0, touchedAt: 0, data: { user: 'ada' } });
  const shown = await cli(['sessions', 'show', id, '--dir', dir]);
  t.is(shown.code, 0, shown.stderr);
  t.like(JSON.parse(shown.stdout), { data: { user: 'ada' } });
  const withDashes = await cli(['sessions', 'show', '--dir', dir, '--', id]);
  t.is(withDashes.code, 0, withDashes.stderr);
  const deleted = await cli(['sessions', '--dir', dir, 'delete', id]);
  t.is(deleted.code, 0, deleted.stderr);
  t.deepEqual(await readdir(dir), []);
  const option = await cli(['sessions', 'show', '-Z', '--dir', dir]);
  t.is(option.code, 2);
  t.regex(option.stderr, /unknown option '-Z'/);
});

test('gc removes expired sessions and skips locked ones', async (t) => {
  const now = Date.now();
  const { dir, store, ids } = await folderWith([
    { createdAt: now, touchedAt: now },
    { createdAt: now - 3_600_000, touchedAt: now - 3_600_000 },
    { createdAt: now - 3_600_000, touchedAt: now - 3_600_000 },
  ]);
  const lock = await store.lock(ids[2]!);
  try {
    const { code, stdout } = await cli(['gc', '--dir', dir]);
    t.is(code, 0);
    t.regex(stdout, /examined 3, removed 1 expired, skipped 1 locked/);
  } finally {
    await lock.release();
  }
  t.deepEqual((await readdir(dir)).sort(), [`${ids[0]}.json`, `${ids[2]}.json`].sort());
});

test('gc shows its progress on a terminal, and none in a pipe or a log', async (t) => {
  const old = { createdAt: Date.now() - 3_600_000, touchedAt: Date.now() - 3_600_000 };
  const { dir } = await folderWith([old, old, old]);
  const piped = await cli(['gc', '--dir', dir]);
  t.is(piped.stderr, '');
  await folderWith([old, old, old], dir);
  // script(1) runs the command on a pseudo-terminal and copies what it shows.
  const shown = spawnSync('script', ['-qec', `${process.execPath} ${CLI} gc --dir ${dir}`, '/dev/null'], { encoding: 'utf8' });
  t.is(shown.status, 0, shown.stderr);
  t.regex(shown.stdout, /\rgc: 3 of 3 sessions examined \(100 %\)\r\x1b\[K/);
  t.regex(shown.stdout, /examined 3, removed 3 expired/);
});

test('gc rejects an unknown option with usage', async (t) => {
  const { code, stderr } = await cli(['gc', '--bogus']);
  t.is(code, 2);
  t.regex(stderr, /^cgi-shim gc: unknown option '--bogus'\n/);
});
