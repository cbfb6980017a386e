import test from 'ava';
import { PassThrough } from 'node:stream';
import { MAX_HEADER_BLOCK_BYTES } from '../../src/host/output.js';
import { readHeaderBlock } from '../../src/host/transfer.js';

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
