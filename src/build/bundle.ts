// How one CGI script becomes one self-contained executable file: used by `cgi-shim build` and by
// tests that bundle fixture scripts, so both produce files of exactly the same kind.
//
// A script is bundled as CommonJS: copied alone into a folder with no package.json, a `.cgi` file
// is loaded as CommonJS by Node, so that is the format that runs anywhere. Its shebang names Node
// by absolute path, because web servers run CGI with a minimal PATH, where `#!/usr/bin/env node`
// finds no Node installed under /opt or a version manager's folder.

import { build, type BuildResult, type Plugin } from 'esbuild';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, extname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withCodeCache } from './code-cache.js';

const require = createRequire(import.meta.url);

/** This module's own extension: `.ts` run from the sources, `.js` from the compiled package. */
const OWN_EXTENSION = extname(fileURLToPath(import.meta.url));

/** This package's entry point, for a project that does not have it installed. */
const OWN_ENTRY = fileURLToPath(new URL(`../index${OWN_EXTENSION}`, import.meta.url));

/** The module every built script starts with: see script-prelude.ts. */
const PRELUDE = fileURLToPath(new URL(`script-prelude${OWN_EXTENSION}`, import.meta.url));

/** One script to build: `<outdir>/<name>.cgi` from `file`. */
export interface ScriptEntry {
  /** The built file's name without `.cgi`. */
  name: string;
  /** The script's source: a `.ts`, `.mts`, `.js` or `.mjs` file. */
  file: string;
}

/** Options of {@link bundleScripts}. */
export interface BundleOptions {
  /** The Node the scripts' shebang names: an absolute path without spaces (a shebang cannot
   * quote). @default process.execPath, the Node running the build */
  node?: string;
}

/**
 * Bundles each entry into `<outdir>/<name>.cgi`, executable, and marks the folder CommonJS so the
 * files also run inside a package whose package.json says "type": "module". An entry given as a
 * path is named after its file (`hello.ts` → `hello.cgi`). Resolves with the paths written.
 */
export async function bundleScripts(entries: ReadonlyArray<ScriptEntry | string>, outdir: string, options: BundleOptions = {}): Promise<string[]> {
  const node = options.node ?? process.execPath;
  if (!isAbsolute(node) || /\s/.test(node)) throw new TypeError(`option node is invalid: ${JSON.stringify(node)} (an absolute path without spaces: a shebang cannot quote)`);
  const named = entries.map((entry) => (typeof entry === 'string' ? { name: scriptName(entry), file: entry } : entry));
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: named.map((entry) => ({ in: entry.file, out: entry.name })),
    outdir,
    outExtension: { '.js': '.cgi' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // Names are kept as written, so that stack traces name functions as the code does
    // (BENCHMARKS.md: what it costs at start-up, and why not esbuild's keepNames).
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    write: false,
    // Before the script's own code: console output to stderr, a failure as it loads answered.
    inject: [PRELUDE],
    // What proper-lockfile loads but a CGI process does not need, kept out of every request's
    // start-up (BENCHMARKS.md):
    // - graceful-fs (which loads node:stream, node:util…) is never used: src/session/lock.ts
    //   always passes its own `fs`.
    // - signal-exit loads node:assert and listens on ~20 signals; a stand-in does what
    //   proper-lockfile needs of it: see signalExitStandIn.
    // - busboy is kept as a string until a multipart form arrives: see lazyBusboy.
    alias: { 'graceful-fs': 'node:fs' },
    plugins: [ownPackageFallback, signalExitStandIn, lazyBusboy, requireBuiltins],
    logLevel: 'warning',
  });
  const written = named.map((entry) => join(outdir, `${entry.name}.cgi`));
  // Each file: the shebang, then the bundle inside the code-cache loader (see code-cache.ts).
  await Promise.all(outputText(result).map(([path, text]) => writeFile(path, withCodeCache(`#!${node}`, text))));
  await writeFile(join(outdir, 'package.json'), '{ "type": "commonjs" }\n');
  await Promise.all(written.map((file) => chmod(file, 0o755)));
  return written;
}

/** The name a script file is built under: its file name without the extension. */
export function scriptName(file: string): string {
  return basename(file, extname(file));
}

/** Marks a resolution asked by ownPackageFallback itself. */
const FALLBACK_ASKED = Symbol('asked by ownPackageFallback');

/**
 * Resolves `node-cgi-shim` as Node would (the project's own copy), else to the copy doing the
 * build: so scripts also build where it is not installed (`npx node-cgi-shim build`).
 */
const ownPackageFallback: Plugin = {
  name: 'node-cgi-shim-fallback',
  setup(b) {
    b.onResolve({ filter: /^node-cgi-shim$/ }, async (args) => {
      if (args.pluginData === FALLBACK_ASKED) return undefined;
      const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: FALLBACK_ASKED });
      return found.errors.length === 0 ? found : { path: OWN_ENTRY };
    });
  },
};

/** Gives proper-lockfile (and only it) a stand-in for signal-exit: see signal-exit.cjs. */
const signalExitStandIn: Plugin = {
  name: 'signal-exit-stand-in',
  setup(b) {
    const standIn = fileURLToPath(new URL('signal-exit.cjs', import.meta.url));
    b.onResolve({ filter: /^signal-exit$/ }, (args) =>
      (/[\\/]proper-lockfile[\\/]/.test(args.importer) ? { path: standIn } : undefined));
  },
};

/** busboy bundled on its own, once per process: the text of a CommonJS module. */
let busboySource: Promise<string> | undefined;

/**
 * Puts busboy in every bundle as a string, compiled only when a multipart body arrives. Every
 * script carries it (core/request.ts → core/forms.ts), and as code it would be parsed by every
 * request (BENCHMARKS.md); a string literal is only scanned. core/forms.ts imports it lazily, so
 * the `new Function` below runs on the first multipart form and never otherwise.
 */
const lazyBusboy: Plugin = {
  name: 'lazy-busboy',
  setup(b) {
    b.onResolve({ filter: /^busboy$/ }, () => ({ path: 'busboy', namespace: 'lazy-busboy' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-busboy' }, async () => {
      busboySource ??= build({
        entryPoints: [require.resolve('busboy')], bundle: true, platform: 'node', format: 'cjs', target: 'node20',
        minify: true, legalComments: 'none', write: false, logLevel: 'warning',
      }).then((result) => outputText(result)[0]![1]);
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
const requireBuiltins: Plugin = {
  name: 'require-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'dynamic-import' ? { path: args.path, namespace: 'require-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'require-builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});\n`, loader: 'js' }));
  },
};

/** The files of a build made with `write: false`, as [path, text]. */
function outputText(result: BuildResult): Array<[string, string]> {
  return (result.outputFiles ?? []).map((file) => [file.path, file.text]);
}
