// Builds a test fixture script (test/fixtures/<name>.ts) the way scripts/build.js builds a demo:
// one self-contained CommonJS file with an absolute-path shebang, executable.

import { build } from 'esbuild';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './cgi.js';

/** Bundles `test/fixtures/<name>.ts` into `<outDir>/<name>.cgi`; resolves with its path. */
export async function buildFixture(name: string, outDir: string): Promise<string> {
  const outfile = join(outDir, `${name}.cgi`);
  await build({
    entryPoints: [join(ROOT, 'test', 'fixtures', `${name}.ts`)],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: `#!${process.execPath}` },
    logLevel: 'warning',
  });
  // As scripts/build.js does: the bundle is CommonJS whatever package.json is found above it.
  await writeFile(join(outDir, 'package.json'), '{ "type": "commonjs" }\n');
  await chmod(outfile, 0o755);
  return outfile;
}
