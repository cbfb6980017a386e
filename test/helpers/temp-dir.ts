// A fresh temporary folder per test: ava runs test files side by side, so no two share one.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder for one test. */
export function tempDir(prefix = 'cgi-shim-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
