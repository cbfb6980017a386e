// Builds every script in cgi-bin/ into dist/cgi-bin/<name>.cgi (see bundle.js for the format),
// and the command-line tool into dist/cli.mjs.
// Set CGI_NODE to build for a Node elsewhere: CGI_NODE=/opt/node/bin/node npm run build

import { build } from 'esbuild';
import { copyFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleScripts, shebangNode } from './bundle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'cgi-bin');

// Files starting with _ are modules the demos share, not scripts.
const scripts = (await readdir(join(root, 'cgi-bin')))
  .filter((name) => name.endsWith('.ts') && !name.startsWith('_'))
  .map((name) => join(root, 'cgi-bin', name));

await rm(outdir, { recursive: true, force: true });
await bundleScripts(scripts, outdir);
// Data the demos read from beside themselves (questions, demo users): deployed with the scripts.
const data = (await readdir(join(root, 'cgi-bin'))).filter((name) => name.endsWith('.txt'));
await Promise.all(data.map((name) => copyFile(join(root, 'cgi-bin', name), join(outdir, name))));

await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outfile: join(root, 'dist', 'cli.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Only `run --cookie-jar` needs tough-cookie and its public-suffix list: loaded from
  // node_modules when used (a dependency), rather than parsed by every command's start.
  external: ['tough-cookie'],
  // Bundled CommonJS packages call require(); give the ES module one.
  banner: { js: "import { createRequire as __cgiShimRequire } from 'node:module'; const require = __cgiShimRequire(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`build: ${scripts.length} scripts in dist/cgi-bin (shebang #!${shebangNode()}), cli in dist/cli.mjs`);
