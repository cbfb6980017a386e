// Byte I/O on file descriptors, synchronous on purpose: a CGI process serves exactly one request,
// so blocking costs nothing, and a synchronous write cannot be cut short by the process ending
// (Node writes to pipes asynchronously, so process.exit() can truncate piped output). Going to
// the descriptors directly also skips building process.stdout and process.stdin at start-up.
// Sources and sinks may also be bytes and callbacks, for tests and for adapters that buffer.

import { readSync, writeSync } from 'node:fs';
import { errorCode } from './errors.js';

/** Where a request body comes from: a file descriptor (0 for stdin) or bytes already in memory. */
export type ByteSource = number | Uint8Array;

/** A sink for output: a file descriptor (1 for stdout, 2 for stderr) or a callback. */
export type ByteSink = number | ((chunk: Uint8Array) => void);

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads up to `length` bytes from `source` in chunks of at most 64 KiB. Returns early, with fewer
 * bytes, only at end of input; the caller decides whether that is an error.
 */
export function* readChunks(source: ByteSource, length: number): Generator<Buffer> {
  if (typeof source !== 'number') {
    const bytes = Buffer.from(source.buffer, source.byteOffset, Math.min(length, source.byteLength));
    for (let at = 0; at < bytes.length; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
    return;
  }
  let remaining = length;
  while (remaining > 0) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, remaining));
    const got = readSomeSync(source, chunk);
    if (got === 0) return;
    remaining -= got;
    yield chunk.subarray(0, got);
  }
}

/** Writes all of `data` to `sink` before returning. */
export function writeAll(sink: ByteSink, data: Uint8Array | string): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  if (typeof sink === 'function') {
    sink(bytes);
    return;
  }
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(sink, bytes, at, bytes.length - at);
    } catch (error) {
      if (errorCode(error) !== 'EAGAIN') throw error;
      pause(); // A server may hand us a non-blocking pipe: wait for it to drain.
    }
  }
}

function readSomeSync(fd: number, into: Buffer): number {
  for (;;) {
    try {
      return readSync(fd, into, 0, into.length, null);
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EAGAIN') pause();
      else if (code === 'EOF' || code === 'EBADF') return 0; // No stdin at all reads as empty.
      else throw error;
    }
  }
}

let sleeper: Int32Array | undefined;

function pause(): void {
  sleeper ??= new Int32Array(new SharedArrayBuffer(4));
  Atomics.wait(sleeper, 0, 0, 2);
}
