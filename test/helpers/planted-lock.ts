// Another process's session lock, made by a test where src/session/lock.ts would make one.

import { writeFile } from 'node:fs/promises';

/** Makes the lock at `path` as this release does: an empty file, mode 0600; fails if anything
 * is there already (as O_EXCL does). */
export function plantLock(path: string): Promise<void> {
  return writeFile(path, '', { flag: 'wx', mode: 0o600 });
}
