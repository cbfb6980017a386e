import test from 'ava';
import { closeSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BLOCKING_CALLS, THREAD_POOL_CALLS } from '../../src/session/file-calls.js';
import { recordFsCalls } from '../helpers/fs-calls.js';
import { tempDir } from '../helpers/temp-dir.js';

const TEXT = '{"v":1,"data":{"é":"ü"}}\n'; // Multi-byte characters: sizes are bytes.

for (const [mode, calls] of [['blocking', BLOCKING_CALLS], ['thread pool', THREAD_POOL_CALLS]] as const) {
  test.serial(`${mode}: readText reads a file of the size its fstat gave in one read`, async (t) => {
    const file = join(await tempDir(), 's.json');
    writeFileSync(file, TEXT);
    const fd = openSync(file, 'r');
    t.teardown(() => closeSync(fd));
    let text = '';
    const reads = await recordFsCalls(['read', 'readSync'], async () => {
      text = await calls.readText(fd, Buffer.byteLength(TEXT));
    });
    t.is(text, TEXT);
    t.is(reads.length, 1);
  });

  test(`${mode}: readText gives what there is when the file ends before the size (cut since its fstat)`, async (t) => {
    const file = join(await tempDir(), 's.json');
    writeFileSync(file, TEXT);
    const fd = openSync(file, 'r');
    t.teardown(() => closeSync(fd));
    const size = Buffer.byteLength(TEXT);
    truncateSync(file, 10);
    t.is(await calls.readText(fd, size), TEXT.slice(0, 10));
    t.is(await calls.readText(fd, 3), TEXT.slice(0, 3), 'from the start, whatever was read before');
  });
}
