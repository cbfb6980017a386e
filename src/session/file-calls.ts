// The file system calls a session store makes on a request's path. Reads block in every process:
// the page cache answers them faster than a hop to libuv's thread pool and back. The calls that
// change files come in two flavours with one shape: a CGI process serves one request, so blocking
// calls cost nothing there and skip the thread pool's hops; a FastCGI process serves many at
// once, where one request's rename or fsync must not hold up the others, so its calls go to the
// thread pool.

import { close, closeSync, fsync, fsyncSync, open, openSync, readSync, rename, renameSync, unlink, unlinkSync, writeFile } from 'node:fs';
import { writeAll } from '../base/sync-io.js';

/** The first `size` bytes of the file open as `fd` as UTF-8 (fewer if it ends sooner), read from
 * its start, blocking: the caller knows the size from its fstat, which spares readFile's own. */
export function readText(fd: number, size: number): string {
  const buffer = Buffer.allocUnsafe(size);
  let filled = 0;
  for (let got = -1; filled < size && got !== 0; filled += got) got = readSync(fd, buffer, filled, size - filled, filled);
  return buffer.toString('utf8', 0, filled);
}

/** The calls that change files, each resolving (or rejecting) with what its node:fs counterpart gives. */
export interface FileCalls {
  /** Whether the calls block the event loop (they are the `…Sync` functions). */
  readonly blocking: boolean;
  open(path: string, flags: number, mode?: number): Promise<number>;
  writeText(fd: number, text: string): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

/** The synchronous calls, for a process that serves one request. */
export const BLOCKING_CALLS: FileCalls = {
  blocking: true,
  open: async (path, flags, mode) => openSync(path, flags, mode),
  writeText: async (fd, text) => writeAll(fd, text), // writeSync, which the response needs anyway.
  fsync: async (fd) => fsyncSync(fd),
  close: async (fd) => closeSync(fd),
  rename: async (from, to) => renameSync(from, to),
  unlink: async (path) => unlinkSync(path),
};

/** Node's callback API as a promise (node:fs/promises has no calls on plain descriptors). */
function call<T>(start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
}

/** The calls through libuv's thread pool, for a process that serves many requests at once. */
export const THREAD_POOL_CALLS: FileCalls = {
  blocking: false,
  open: (path, flags, mode) => call((done) => open(path, flags, mode, done)),
  writeText: (fd, text) => call((done) => writeFile(fd, text, done)),
  fsync: (fd) => call((done) => fsync(fd, done)),
  close: (fd) => call((done) => close(fd, done)),
  rename: (from, to) => call((done) => rename(from, to, done)),
  unlink: (path) => call((done) => unlink(path, done)),
};
