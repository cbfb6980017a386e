// Moving bytes between the client and a script: the request body in (buffered, with a size
// limit, so that CONTENT_LENGTH can be given even for chunked requests), and the script's header
// block and body out (the body streamed with back-pressure, held to the script's Content-Length).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../base/errors.js';
import { findHeaderBlockEnd, MAX_HEADER_BLOCK_BYTES } from './output.js';
import type { ScriptProcess } from './script-process.js';

/** Copies the script's output to the client with back-pressure: at most a pipe's worth in memory.
 * A body that disagrees with the script's own Content-Length is cut to it, or the connection cut. */
export async function streamBody(res: ServerResponse, script: ScriptProcess, first: Buffer, expected: number | undefined, log: (line: string) => void): Promise<void> {
  const { stdout } = script;
  let sent = 0;
  let excess = false;
  let waiting = false;
  const write = (chunk: Buffer): void => {
    const room = expected === undefined ? chunk.length : Math.max(0, expected - sent);
    if (room < chunk.length) excess = true;
    const part = room < chunk.length ? chunk.subarray(0, room) : chunk;
    sent += part.length;
    if (part.length > 0 && !res.write(part)) {
      waiting = true;
      stdout.pause();
      res.once('drain', () => { waiting = false; stdout.resume(); });
    }
  };
  if (first.length > 0) write(first);
  stdout.on('data', write);
  if (!waiting) stdout.resume();
  const exit = await script.exited;
  const short = expected !== undefined && sent < expected;
  if (excess) log('body longer than its Content-Length; the rest was dropped');
  if (short && !exit.timedOut) log(`body of ${sent} bytes, shorter than its Content-Length ${expected}; connection cut`);
  // Cut the connection rather than end cleanly, so the client cannot take a truncated body for whole.
  if (exit.timedOut || short) res.destroy();
  else res.end();
}

/** Reads the script's output up to the end of its header block; undefined if it ends first or
 * the block is too large. Leaves the stream paused with the rest handed back. */
export function readHeaderBlock(stdout: NodeJS.ReadableStream): Promise<{ block: Buffer; rest: Buffer } | undefined> {
  return new Promise((resolve) => {
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (value: { block: Buffer; rest: Buffer } | undefined): void => {
      stdout.off('data', onData);
      stdout.off('end', onEnd);
      stdout.off('close', onEnd);
      stdout.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const end = findHeaderBlockEnd(buffered);
      if (end !== undefined && end.headEnd <= MAX_HEADER_BLOCK_BYTES) {
        finish({ block: buffered.subarray(0, end.headEnd), rest: buffered.subarray(end.bodyStart) });
      } else if (buffered.length > MAX_HEADER_BLOCK_BYTES) {
        finish(undefined);
      }
    };
    const onEnd = (): void => finish(undefined);
    stdout.on('data', onData);
    stdout.on('end', onEnd);
    stdout.on('close', onEnd);
  });
}

/** Reads the whole request body (chunked ones too, so that CONTENT_LENGTH can be given), or
 * undefined when the request has none. Rejects with HttpError 413 past `maxBytes`. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const declared = req.headers['content-length'];
  if (declared === undefined && req.headers['transfer-encoding'] === undefined) return Promise.resolve(undefined);
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(new HttpError(413));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      // Stop reading but keep the socket: the client still gets its 413 (sent with Connection: close).
      req.off('data', onData);
      req.pause();
      reject(new HttpError(413));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, total)));
    req.once('error', reject);
  });
}
