// Builds fixture scripts from test/fixtures/scripts/ with the project's own bundler, into a
// fresh temporary folder, so tests run them exactly as they would run built demos.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cgi.js';
import { bundleScripts } from '../../scripts/bundle.js';

/** Builds the named fixtures; resolves with their folder, where each is `<name>.cgi`. */
export async function buildFixtures(...names: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-fixtures-'));
  await bundleScripts(names.map((name) => join(ROOT, 'test', 'fixtures', 'scripts', `${name}.ts`)), dir);
  return dir;
}
