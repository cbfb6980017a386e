// How one CGI script becomes one self-contained executable file: shared by the build and by
// tests that bundle fixture scripts, so both produce files of exactly the same kind.
//
// A script is bundled as CommonJS: copied alone into a folder with no package.json, a `.cgi` file
// is loaded as CommonJS by Node, so that is the format that runs anywhere. Its shebang names Node
// by absolute path, because web servers run CGI with a minimal PATH, where `#!/usr/bin/env node`
// finds no Node installed under /opt or a version manager's folder.

import { build } from 'esbuild';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withCodeCache } from './code-cache.js';

const require = createRequire(import.meta.url);
const standIns = fileURLToPath(new URL('stand-ins/', import.meta.url));

/** The Node a built script runs with: CGI_NODE, else the Node running the build. */
export function shebangNode() {
  const node = process.env.CGI_NODE || process.execPath;
  if (/\s/.test(node)) throw new Error(`CGI_NODE must be a path without spaces (a shebang cannot quote): ${node}`);
  return node;
}

/** Gives proper-lockfile (and only it) a stand-in for signal-exit: see stand-ins/signal-exit.cjs. */
const signalExitStandIn = {
  name: 'signal-exit-stand-in',
  setup(b) {
    b.onResolve({ filter: /^signal-exit$/ }, (args) =>
      /[\\/]proper-lockfile[\\/]/.test(args.importer) ? { path: join(standIns, 'signal-exit.cjs') } : undefined);
  },
};

/** busboy bundled on its own, once per build: the text of a CommonJS module. */
let busboySource;

/**
 * Puts busboy in every bundle as a string, compiled only when a multipart body arrives. Every
 * script carries it (core/request.ts → core/forms.ts), and as code it would be parsed by every
 * request (BENCHMARKS.md); a string literal is only scanned. core/forms.ts imports it lazily, so
 * the `new Function` below runs on the first multipart form and never otherwise.
 */
const lazyBusboy = {
  name: 'lazy-busboy',
  setup(b) {
    b.onResolve({ filter: /^busboy$/ }, () => ({ path: 'busboy', namespace: 'lazy-busboy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-busboy' }, async () => {
      busboySource ??= build({
        entryPoints: [require.resolve('busboy')], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
        minify: true, legalComments: 'none', write: false, logLevel: 'warning',
      }).then((result) => result.outputFiles[0].text);
      const source = `${await busboySource}//# sourceURL=busboy.js\n`;
      return {
        contents: `new Function('require', 'module', 'exports', ${JSON.stringify(source)})(require, module, exports);\n`,
        loader: 'js',
      };
    });
  },
};

/**
 * Turns `await import('node:crypto')` (and any dynamic import of a built-in) into require():
 * import() in a CommonJS file starts Node's ES module loader, a dozen more internal modules, for
 * a module that require() gives at once. (It would also fail inside the vm.Script of the code
 * cache, which has no callback for import().)
 */
const requireBuiltins = {
  name: 'require-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'require-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'require-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});\n`, loader: 'js' }));
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
  const result = await build({
    entryPoints: entries,
    outdir,
    outExtension: { '.js': '.cgi' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    legalComments: 'none',
    write: false,
    // What proper-lockfile loads but a CGI process does not need, kept out of every request's
    // start-up (BENCHMARKS.md):
    // - graceful-fs (which loads node:stream, node:util…) is never used: src/session/lock.ts
    //   always passes its own `fs`.
    // - signal-exit loads node:assert and listens on ~20 signals; a stand-in does what
    //   proper-lockfile needs of it: see signalExitStandIn.
    // - busboy is kept as a string until a multipart form arrives: see lazyBusboy.
    alias: { 'graceful-fs': 'node:fs' },
    plugins: [signalExitStandIn, lazyBusboy, requireBuiltins],
    logLevel: 'warning',
  });
  // Each file: the shebang, then the bundle inside the code-cache loader (see code-cache.js).
  await Promise.all(result.outputFiles.map((file) => writeFile(file.path, withCodeCache(`#!${shebangNode()}`, file.text))));
  await writeFile(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
  const written = entries.map((entry) => join(outdir, `${basename(entry, '.ts')}.cgi`));
  await Promise.all(written.map((file) => chmod(file, 0o755)));
  return written;
}
