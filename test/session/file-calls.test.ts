import test from 'ava';
import { closeSync, openSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readText } from '../../src/session/file-calls.js';
import { countFsCalls } from '../helpers/fs-calls.js';
import { tempDir } from '../helpers/temp-dir.js';

const TEXT = '{"v":1,"data":{"é":"ü"}}\n'; // Multi-byte characters: sizes are bytes.

async function openText(text: string): Promise<{ file: string; fd: number }> {
  const file = join(await tempDir(), 's.json');
  writeFileSync(file, text);
  return { file, fd: openSync(file, 'r') };
}

test.serial('readText reads a file of the size its fstat gave in one read', async (t) => {
  const { fd } = await openText(TEXT);
  t.teardown(() => closeSync(fd));
  let text = '';
  t.is(await countFsCalls(['readSync'], async () => { text = readText(fd, Buffer.byteLength(TEXT)); }), 1);
  t.is(text, TEXT);
});

test('readText gives what there is when the file ends before the size (cut since its fstat)', async (t) => {
  const { file, fd } = await openText(TEXT);
  t.teardown(() => closeSync(fd));
  truncateSync(file, 10);
  t.is(readText(fd, Buffer.byteLength(TEXT)), TEXT.slice(0, 10));
  t.is(readText(fd, 3), TEXT.slice(0, 3), 'from the start, whatever was read before');
});
