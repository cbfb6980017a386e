import test from 'ava';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough } from 'node:stream';
import { HttpError } from '../../src/base/errors.js';
import { MAX_HEADER_BLOCK_BYTES } from '../../src/host/output.js';
import type { ScriptExit, ScriptProcess } from '../../src/host/script-process.js';
import { readHeaderBlock, readRequestBody, streamBody } from '../../src/host/transfer.js';

/** A script's stdout that writes `chunks` one by one, then ends. */
function output(...chunks: string[]): PassThrough {
  const stream = new PassThrough();
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  return stream;
}

/** A header line padded so that the header block is `bytes` long. */
const headerOf = (bytes: number) => `X-Pad: ${'a'.repeat(bytes - 'X-Pad: '.length)}`;

test('readHeaderBlock hands back the header block and the body after it, however the output is cut', async (t) => {
  const result = await readHeaderBlock(output('Content-Type: text/plain\r', '\n\r\nbo', 'dy'));
  t.is(result?.block.toString(), 'Content-Type: text/plain');
  t.is(result?.rest.toString(), 'bo');
});

test('readHeaderBlock takes a header block of exactly 64 KiB and refuses one a byte longer', async (t) => {
  t.is(MAX_HEADER_BLOCK_BYTES, 64 * 1024);
  const atLimit = await readHeaderBlock(output(`${headerOf(MAX_HEADER_BLOCK_BYTES)}\n\nbody`));
  t.is(atLimit?.block.length, MAX_HEADER_BLOCK_BYTES);
  // The same block with its blank line in the next chunk: 64 KiB read and no end yet is not too much.
  const split = await readHeaderBlock(output(headerOf(MAX_HEADER_BLOCK_BYTES), '\n\nbody'));
  t.is(split?.block.length, MAX_HEADER_BLOCK_BYTES);
  t.is(await readHeaderBlock(output(`${headerOf(MAX_HEADER_BLOCK_BYTES + 1)}\n\nbody`)), undefined);
});

test('readHeaderBlock gives up on output past 64 KiB with no end of the header block, without waiting for its end', async (t) => {
  const stream = new PassThrough();
  stream.write(headerOf(MAX_HEADER_BLOCK_BYTES + 10));
  // Not ended: a script still printing headers is refused once it is past the limit.
  t.is(await readHeaderBlock(stream), undefined);
  stream.destroy();
});

test('readHeaderBlock: output that ends before its header block does is no response', async (t) => {
  t.is(await readHeaderBlock(output('Content-Type: text/plain\r\n')), undefined);
  t.is(await readHeaderBlock(output()), undefined);
});

/** A client response that records what streamBody does with it; `full` makes write() report a
 * full socket buffer (back-pressure) until 'drain'. */
class FakeResponse extends EventEmitter {
  written: Buffer[] = [];
  ended = false;
  destroyed = false;
  full = false;
  write(part: Buffer): boolean {
    this.written.push(Buffer.from(part));
    return !this.full;
  }
  end(): void {
    this.ended = true;
  }
  destroy(): void {
    this.destroyed = true;
  }
  body(): string {
    return Buffer.concat(this.written).toString();
  }
}

/** A script whose output comes through `stdout`, which exits (timed out or not) once `exit` is called. */
function fakeScript(stdout: PassThrough) {
  let exit: (exited: ScriptExit) => void = () => {};
  const exited = new Promise<ScriptExit>((resolve) => { exit = resolve; });
  stdout.pause();
  const script: ScriptProcess = { stdout, exited, kill: () => {} };
  return { script, exit: (timedOut = false) => exit({ code: 0, signal: null, timedOut }) };
}

/** Runs streamBody over a script writing `chunks` after the `first` bytes, expecting `expected` bytes. */
async function stream(first: string, chunks: string[], expected: number | undefined, timedOut = false) {
  const res = new FakeResponse();
  const stdout = new PassThrough();
  const { script, exit } = fakeScript(stdout);
  const lines: string[] = [];
  const done = streamBody(res as unknown as ServerResponse, script, Buffer.from(first), expected, (line) => lines.push(line));
  for (const chunk of chunks) stdout.write(chunk);
  stdout.end();
  await new Promise((resolve) => stdout.once('end', resolve));
  exit(timedOut);
  await done;
  return { res, lines };
}

test('streamBody sends the body whole and ends the response when it matches its Content-Length, or has none', async (t) => {
  for (const expected of [undefined, 11]) {
    const { res, lines } = await stream('hel', ['lo ', 'world'], expected);
    t.is(res.body(), 'hello world');
    t.true(res.ended);
    t.false(res.destroyed);
    t.deepEqual(lines, []);
    t.false(res.written.some((part) => part.length === 0), 'no empty writes');
  }
});

test('streamBody cuts a body longer than its Content-Length to it, says so, and ends the response', async (t) => {
  const { res, lines } = await stream('hello', [' world', '!'], 8);
  t.is(res.body(), 'hello wo');
  t.false(res.written.some((part) => part.length === 0), 'nothing written once the Content-Length is reached');
  t.true(res.ended);
  t.false(res.destroyed);
  t.deepEqual(lines, ['body longer than its Content-Length; the rest was dropped']);
});

test('streamBody cuts the connection after a body shorter than its Content-Length, so that no client takes it for whole', async (t) => {
  const { res, lines } = await stream('hello', [' wo'], 11);
  t.is(res.body(), 'hello wo');
  t.true(res.destroyed);
  t.false(res.ended);
  t.deepEqual(lines, ['body of 8 bytes, shorter than its Content-Length 11; connection cut']);
});

test('streamBody cuts the connection of a script that timed out, without calling its body short', async (t) => {
  const { res, lines } = await stream('hel', ['lo'], 11, true);
  t.true(res.destroyed);
  t.false(res.ended);
  t.deepEqual(lines, []);
  const whole = await stream('hel', ['lo'], undefined, true);
  t.true(whole.res.destroyed);
});

test('streamBody stops reading the script while the client\'s socket is full, and goes on at its drain', async (t) => {
  const res = new FakeResponse();
  res.full = true;
  const stdout = new PassThrough();
  const { script, exit } = fakeScript(stdout);
  const done = streamBody(res as unknown as ServerResponse, script, Buffer.from('first'), undefined, () => {});
  t.true(stdout.isPaused(), 'paused after the first write found the socket full');
  stdout.write('second');
  await new Promise((resolve) => setImmediate(resolve));
  t.is(res.body(), 'first', 'nothing more is read before the drain');
  res.full = false;
  res.emit('drain');
  t.false(stdout.isPaused());
  stdout.end('third');
  await new Promise((resolve) => stdout.once('end', resolve));
  exit();
  await done;
  t.is(res.body(), 'firstsecondthird');
  t.true(res.ended);
});

/** A request with `headers`, whose body the test feeds by emitting events. */
function fakeRequest(headers: Record<string, string>): IncomingMessage & EventEmitter {
  const req = new EventEmitter() as IncomingMessage & EventEmitter;
  Object.assign(req, { headers, pause: () => req });
  return req;
}

test('readRequestBody refuses a declared Content-Length over the limit before reading a byte', async (t) => {
  const req = fakeRequest({ 'content-length': '1001' });
  const error = await t.throwsAsync(readRequestBody(req, 1000), { instanceOf: HttpError });
  t.is((error as HttpError).status, 413);
  t.is(req.listenerCount('data'), 0);
});

test('readRequestBody reads a body up to the limit, chunked too, and rejects when the request fails', async (t) => {
  const chunked = fakeRequest({ 'transfer-encoding': 'chunked' });
  const body = readRequestBody(chunked, 10);
  chunked.emit('data', Buffer.from('12345'));
  chunked.emit('data', Buffer.from('67890'));
  chunked.emit('end');
  t.is((await body)!.toString(), '1234567890');
  t.is(await readRequestBody(fakeRequest({}), 10), undefined, 'no body at all');
  const failing = fakeRequest({ 'content-length': '5' });
  const failed = readRequestBody(failing, 10);
  failing.emit('error', new Error('connection reset'));
  await t.throwsAsync(failed, { message: 'connection reset' });
});
