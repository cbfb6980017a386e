// Builds fixture scripts from test/fixtures/ with the project's own bundler (src/build/bundle.ts),
// so tests run them exactly as they would run built demos: one executable CommonJS file each.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cgi.js';
import { bundleScripts } from '../../src/build/bundle.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');

/** Builds `test/fixtures/<name>.ts` into `<outDir>/<basename>.cgi`; resolves with its path. */
export async function buildFixture(name: string, outDir: string): Promise<string> {
  const [file] = await bundleScripts([join(FIXTURES, `${name}.ts`)], outDir);
  return file!;
}

/** Builds `test/fixtures/scripts/<name>.ts` for each name into a fresh temporary folder;
 * resolves with the folder, where each is `<name>.cgi`. */
export async function buildFixtures(...names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-fixtures-'));
  await bundleScripts(names.map((name) => join(FIXTURES, 'scripts', `${name}.ts`)), dir);
  return dir;
}
