// Builds every script in cgi-bin/ into one self-contained executable file, dist/cgi-bin/<name>.cgi,
// and the command-line tool into dist/cli.mjs.
//
// A script is bundled as CommonJS: copied alone into a folder with no package.json, a `.cgi` file
// is loaded as CommonJS by Node, so that is the format that runs anywhere. Its shebang names Node
// by absolute path, because web servers run CGI with a minimal PATH (FIELD-NOTES "Node not found").
// Set CGI_NODE to build for a Node elsewhere: CGI_NODE=/opt/node/bin/node npm run build

import { build } from 'esbuild';
import { chmod, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const node = process.env.CGI_NODE || process.execPath;
if (/\s/.test(node)) {
  console.error(`build: CGI_NODE must be a path without spaces (a shebang cannot quote): ${node}`);
  process.exit(1);
}

/** Gives signal-exit (and only it) a minimal `assert` with the one function it calls. */
const signalExitAssert = {
  name: 'signal-exit-assert',
  setup(b) {
    b.onResolve({ filter: /^assert$/ }, (args) =>
      /[\\/]signal-exit[\\/]/.test(args.importer) ? { path: 'assert', namespace: 'signal-exit-assert' } : undefined);
    b.onLoad({ filter: /.*/, namespace: 'signal-exit-assert' }, () => ({
      contents: 'exports.equal = (a, b, message) => { if (a != b) throw new TypeError(message); };',
      loader: 'js',
    }));
  },
};

const outdir = join(root, 'dist', 'cgi-bin');
await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

// Files starting with _ are shared modules of the demos, not scripts.
const scripts = (await readdir(join(root, 'cgi-bin')))
  .filter((name) => name.endsWith('.ts') && !name.startsWith('_'))
  .map((name) => join(root, 'cgi-bin', name));

await build({
  entryPoints: scripts,
  outdir,
  outExtension: { '.js': '.cgi' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  // Names stay readable in the stack traces that land in the server's error log.
  keepNames: false,
  legalComments: 'none',
  banner: { js: `#!${node}` },
  // Start-up costs measured in counter.cgi (every request is a new process):
  // - proper-lockfile requires graceful-fs (node:stream, node:util…, ~4 ms) but never uses it:
  //   src/session/lock.ts always passes its own `fs`.
  // - signal-exit requires node:assert (~5 ms: it builds process.stderr and util's colours) for
  //   one `assert.equal` on its argument; a two-line stand-in does that check.
  alias: { 'graceful-fs': 'node:fs' },
  plugins: [signalExitAssert],
  logLevel: 'warning',
});
// Inside this repository the root package.json says "type": "module"; this one keeps the built
// scripts CommonJS here too. Copied elsewhere, they need nothing beside them.
await writeFile(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
for (const script of scripts) {
  await chmod(join(outdir, `${basename(script, '.ts')}.cgi`), 0o755);
}

const cli = join(root, 'src', 'cli', 'main.ts');
if (existsSync(cli)) {
  await build({
    entryPoints: [cli],
    outfile: join(root, 'dist', 'cli.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'bundle',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'warning',
  });
}
console.log(`build: ${scripts.length} scripts in dist/cgi-bin (shebang #!${node})`);
