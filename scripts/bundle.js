// How one CGI script becomes one self-contained executable file: shared by the build and by
// tests that bundle fixture scripts, so both produce files of exactly the same kind.
//
// A script is bundled as CommonJS: copied alone into a folder with no package.json, a `.cgi` file
// is loaded as CommonJS by Node, so that is the format that runs anywhere. Its shebang names Node
// by absolute path, because web servers run CGI with a minimal PATH (FIELD-NOTES "Node not found").

import { build } from 'esbuild';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';

/** The Node a built script runs with: CGI_NODE, else the Node running the build. */
export function shebangNode() {
  const node = process.env.CGI_NODE || process.execPath;
  if (/\s/.test(node)) throw new Error(`CGI_NODE must be a path without spaces (a shebang cannot quote): ${node}`);
  return node;
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

/**
 * Bundles each entry (a .ts file) into `<outdir>/<name>.cgi`, executable, and marks the folder
 * CommonJS so the files also run inside a package whose package.json says "type": "module".
 * @param {string[]} entries
 * @param {string} outdir
 * @returns {Promise<string[]>} the paths written
 */
export async function bundleScripts(entries, outdir) {
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.cgi' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    banner: { js: `#!${shebangNode()}` },
    // Start-up costs measured in counter.cgi (every request is a new process):
    // - proper-lockfile requires graceful-fs (node:stream, node:util…, ~4 ms) but never uses it:
    //   src/session/lock.ts always passes its own `fs`.
    // - signal-exit requires node:assert (~5 ms: it builds process.stderr and util's colours) for
    //   one `assert.equal` on its argument; a two-line stand-in does that check.
    alias: { 'graceful-fs': 'node:fs' },
    plugins: [signalExitAssert],
    logLevel: 'warning',
  });
  await writeFile(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
  const written = entries.map((entry) => join(outdir, `${basename(entry, '.ts')}.cgi`));
  await Promise.all(written.map((file) => chmod(file, 0o755)));
  return written;
}
