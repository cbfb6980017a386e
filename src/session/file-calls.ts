// The file system calls a session store makes on a request's path, in two flavours with one
// shape. A CGI process serves one request, so blocking calls cost nothing there and skip the
// thread pool's hops; a FastCGI process serves many at once, where one request's rename or fsync
// must not hold up the others, so its calls go to libuv's thread pool.

import {
  close, closeSync, fstat, fstatSync, fsync, fsyncSync, lstat, lstatSync, mkdir, mkdirSync, open, openSync, readFile,
  readFileSync, realpath, realpathSync, rename, renameSync, rmdir, rmdirSync, stat, statSync, unlink, unlinkSync,
  utimes, utimesSync, writeFile, writeFileSync, type Stats,
} from 'node:fs';

/** The calls, each resolving (or rejecting) with what its node:fs counterpart gives. */
export interface FileCalls {
  /** Whether the calls block the event loop (they are the `…Sync` functions). */
  readonly blocking: boolean;
  open(path: string, flags: number, mode?: number): Promise<number>;
  fstat(fd: number): Promise<Stats>;
  stat(path: string): Promise<Stats>;
  lstat(path: string): Promise<Stats>;
  readText(fd: number): Promise<string>;
  writeText(fd: number, text: string): Promise<void>;
  fsync(fd: number): Promise<void>;
  close(fd: number): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string): Promise<void>;
  rmdir(path: string): Promise<void>;
  utimes(path: string, atime: Date, mtime: Date): Promise<void>;
  realpath(path: string): Promise<string>;
}

/** The synchronous calls, for a process that serves one request. */
export const BLOCKING_CALLS: FileCalls = {
  blocking: true,
  open: async (path, flags, mode) => openSync(path, flags, mode),
  fstat: async (fd) => fstatSync(fd),
  stat: async (path) => statSync(path),
  lstat: async (path) => lstatSync(path),
  readText: async (fd) => readFileSync(fd, 'utf8'),
  writeText: async (fd, text) => writeFileSync(fd, text),
  fsync: async (fd) => fsyncSync(fd),
  close: async (fd) => closeSync(fd),
  rename: async (from, to) => renameSync(from, to),
  unlink: async (path) => unlinkSync(path),
  mkdir: async (path) => void mkdirSync(path),
  rmdir: async (path) => rmdirSync(path),
  utimes: async (path, atime, mtime) => utimesSync(path, atime, mtime),
  realpath: async (path) => realpathSync(path),
};

/** Node's callback API as a promise (node:fs/promises has no calls on plain descriptors). */
function call<T>(start: (done: (error: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value as T))));
}

/** The calls through libuv's thread pool, for a process that serves many requests at once. */
export const THREAD_POOL_CALLS: FileCalls = {
  blocking: false,
  open: (path, flags, mode) => call((done) => open(path, flags, mode, done)),
  fstat: (fd) => call((done) => fstat(fd, done)),
  stat: (path) => call((done) => stat(path, done)),
  lstat: (path) => call((done) => lstat(path, done)),
  readText: (fd) => call((done) => readFile(fd, 'utf8', done)),
  writeText: (fd, text) => call((done) => writeFile(fd, text, done)),
  fsync: (fd) => call((done) => fsync(fd, done)),
  close: (fd) => call((done) => close(fd, done)),
  rename: (from, to) => call((done) => rename(from, to, done)),
  unlink: (path) => call((done) => unlink(path, done)),
  mkdir: (path) => call((done) => mkdir(path, (error) => done(error))),
  rmdir: (path) => call((done) => rmdir(path, done)),
  utimes: (path, atime, mtime) => call((done) => utimes(path, atime, mtime, done)),
  realpath: (path) => call((done) => realpath(path, done)),
};
