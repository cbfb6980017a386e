// Processes killed (SIGKILL) in the middle of writing a session: the file is always the old or the
// new record, a write reported done is never lost, and the dead process's lock is taken over
// once stale.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { CgiError } from '../../src/base/errors.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { parseRecord } from '../../src/session/record.js';
import { createSessionId } from '../../src/session/id.js';
import { buildFixture } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';

const KILLS = 40;
const STALE_MS = 2000; // proper-lockfile's minimum; the fixture uses the same.

interface Writer {
  child: ChildProcess;
  /** The number of the last write the writer reported committed. */
  committed: () => number;
  /** Resolves once at least `n` writes are committed. */
  waitFor: (n: number) => Promise<void>;
  exited: Promise<void>;
}

function startWriter(script: string, dir: string, id: string): Writer {
  const child = spawn(script, [], { env: { SESSION_DIR: dir, SESSION_ID: id }, stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  let waiting: Array<[number, () => void]> = [];
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) last = Math.max(last, Number(line));
    waiting = waiting.filter(([n, resolve]) => (last >= n ? (resolve(), false) : true));
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    committed: () => last,
    waitFor: (n) => new Promise((resolve) => (last >= n ? resolve() : waiting.push([n, resolve]))),
    exited,
  };
}

async function checkFile(t: import('ava').ExecutionContext, file: string, atLeast: number): Promise<void> {
  const record = parseRecord(await readFile(file, 'utf8'));
  t.truthy(record, `${file} does not parse`);
  t.true((record!.data.i as number) >= atLeast, `write ${atLeast} was reported but the file holds ${String(record!.data.i)}`);
  t.is((record!.data.pad as string).length, 60_000);
}

test(`a session file survives ${KILLS} writers killed mid-write`, async (t) => {
  const root = await tempDir();
  const dir = join(root, 'sessions');
  const script = await buildFixture('crash-writer', root);
  for (let run = 0; run < KILLS; run++) {
    const id = (await createSessionId()); // A fresh session each time: no waiting for the last one's lock.
    const writer = startWriter(script, dir, id);
    await writer.waitFor(1 + (run % 3));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
    writer.child.kill('SIGKILL');
    await writer.exited;
    await checkFile(t, join(dir, `${id}.json`), writer.committed());
  }
  // Every session file in the folder parses; debris is only temporary files and locks.
  const names = await readdir(dir);
  const files = names.filter((name) => name.endsWith('.json'));
  t.is(files.length, KILLS);
  for (const name of files) t.truthy(parseRecord(await readFile(join(dir, name), 'utf8')), name);
  const temps = names.filter((name) => name.endsWith('.tmp')).length;
  t.log(`${temps} of ${KILLS} kills hit between creating the temporary file and the rename`);
  t.true(names.every((name) => /^[A-Za-z0-9_-]{43}\.json(\.lock)?$|^\.[A-Za-z0-9_-]{43}\.[0-9a-f]{12}\.tmp$/.test(name)));
});

test('the lock of a killed writer is taken over after its stale time, by a process and in-process', async (t) => {
  const root = await tempDir();
  const dir = join(root, 'sessions');
  const script = await buildFixture('crash-writer', root);
  const id = (await createSessionId());
  const file = join(dir, `${id}.json`);
  const first = startWriter(script, dir, id);
  await first.waitFor(2);
  first.child.kill('SIGKILL');
  await first.exited;
  t.true((await stat(`${file}.lock`)).isFile()); // SIGKILL runs no exit handler: the lock stays.
  const store = new FileSessionStore({ dir, staleMs: STALE_MS, log: () => {} });
  // Still fresh, so still held (the writer refreshed it moments ago).
  const busy = await t.throwsAsync(store.lock(id, { waitMs: 0 }), { instanceOf: CgiError });
  t.is((busy as CgiError).code, 'ESESSIONLOCKED');
  // A second writer waits, takes the stale lock over, and writes.
  const second = startWriter(script, dir, id);
  await second.waitFor(second.committed() + 1);
  second.child.kill('SIGKILL');
  await second.exited;
  await checkFile(t, file, second.committed());
  // And the in-process store recovers the second writer's lock the same way.
  const lock = await store.lock(id, { waitMs: 3 * STALE_MS });
  await t.notThrowsAsync(lock.assertHeld());
  await store.write(id, { createdAt: 1, touchedAt: 1, data: { i: -1, pad: 'x'.repeat(60_000) } }, lock);
  await lock.release();
  t.is(parseRecord(await readFile(file, 'utf8'))!.data.i, -1);
});
