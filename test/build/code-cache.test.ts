// The executable file src/build/code-cache.ts writes around a bundle: whatever the bundle's size and
// characters, the file is ASCII and runs the bundle exactly, without and with its code cache.
import test from 'ava';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { withCodeCache } from '../../src/build/code-cache.js';

test('a large bundle with non-ASCII text runs exactly as written, from an ASCII file, cached or not', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-code-cache-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Over 64 Ki characters (so the source is cut into several literals), with characters outside
  // ASCII, some of them surrogate pairs, so that cuts fall between the halves of a pair.
  const text = 'é←😀x'.repeat(30_000);
  const file = join(dir, 'big.cgi');
  await writeFile(file, withCodeCache(`#!${process.execPath}`, `require('node:fs').writeSync(1, ${JSON.stringify(text)});`));
  await chmod(file, 0o755);
  const bytes = await readFile(file);
  t.true(bytes.every((byte) => byte < 0x80), 'a byte over 0x7f in the file');
  t.true(bytes.toString().split('" +\n"').length > 3, 'the source is cut into several literals');
  for (const run of ['first (writes the cache)', 'second (reads it)']) {
    const { stdout } = await promisify(execFile)(file, [], { env: { TMPDIR: dir }, maxBuffer: 10 * 1024 * 1024 });
    t.true(stdout === text, `${run}: the output differs from the text`);
  }
});

test('each copy of a built script names its own path in a stack trace, whichever ran first', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-code-cache-copies-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const body = "function fail() { throw new Error('where am I'); }\ntry { fail(); } catch (error) { require('node:fs').writeSync(1, error.stack); }";
  const copies = [join(dir, 'a', 'where.cgi'), join(dir, 'b', 'where.cgi')];
  for (const file of copies) {
    await mkdir(join(file, '..'));
    await writeFile(file, withCodeCache(`#!${process.execPath}`, body));
    await chmod(file, 0o755);
  }
  // a writes the cache first; then b runs with a cache of the same code beside it.
  for (const file of [...copies, ...copies]) {
    const { stdout } = await promisify(execFile)(file, [], { env: { TMPDIR: dir } });
    t.regex(stdout, new RegExp(`at fail \\(${file.replaceAll('/', '\\/').replaceAll('.', '\\.')}:`), `the stack of ${file}`);
  }
  const cache = await readdir(join(dir, `node-cgi-shim-${process.getuid!()}`));
  t.is(cache.length, 2, `one cache per copy: ${cache.join(', ')}`);
});
