// A slot for the heavy tests (100 processes on one session, 100 parallel requests through a
// server). ava runs test files side by side; two such tests at once on two cores would stretch
// every lock wait towards the 8-second budget and turn a correct 503 into a flaky test. Each takes
// this machine-wide lock (proper-lockfile, the project's own lock) so they run one at a time.
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

const SLOT = join(tmpdir(), 'cgi-shim-tests-heavy-slot');

/** Runs `task` when no other heavy test of any test process is running. */
export async function exclusively<T>(task: () => Promise<T>): Promise<T> {
  await writeFile(SLOT, '', { flag: 'a' });
  // A holder refreshes the lock every 5 s; one that died leaves it stale after 15 s.
  const release = await lockfile.lock(SLOT, { stale: 15_000, retries: { retries: 1000, factor: 1, minTimeout: 200, maxTimeout: 200 } });
  try {
    return await task();
  } finally {
    await release();
  }
}
