// A full disk, for real: a small tmpfs of its own mounted on a folder, then filled up. Needs root
// (and CAP_SYS_ADMIN), as CI has.

import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';

/** Mounts a 256 KiB tmpfs (mode 0700) on the existing folder `dir`, unmounted when the test ends. */
export function mountSmallDisk(t: ExecutionContext, dir: string): void {
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
  t.is(mounted.status, 0, `mounting a tmpfs needs root and CAP_SYS_ADMIN: ${mounted.stderr}`);
  t.teardown(() => { spawnSync('umount', [dir]); });
}

/** Writes `file` until the disk is full. */
export function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as { code?: string }).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}
