// Wraps a bundled script in a loader that keeps V8's compiled code between requests: Node 22's
// module.enableCompileCache(), done by hand for Node 20, where it does not exist.
//
// Why: every request is a new process that parses and compiles the script again, a large part of
// a script's time over a plain Node script (BENCHMARKS.md, start-up notes); with the cache, V8
// deserializes the code the previous run left, including every function that run compiled lazily.
//
// How (code-cache-loader.js): the bundle's code is kept as a string and compiled with vm.Script
// and the cached data of an earlier run of the same file; when there was none (or V8 refused it:
// another Node, other flags), the code this run compiled is saved at exit (and refreshed a few
// times, see the loader). The cache is a folder of the user running the script,
// `$TMPDIR/node-cgi-shim-<uid>` (mode 0700). Cached code is code: it is used only when that
// folder is a real folder owned by this user and closed to everyone else, and files are opened
// without following links. If anything is off, the script runs uncached, exactly as before.
// CGI_CODE_CACHE=off turns it off.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The loader's text, from its `function` on (code-cache-loader.js's opening comment stays there). */
const LOADER = (() => {
  const text = readFileSync(new URL('code-cache-loader.js', import.meta.url), 'utf8');
  return text.slice(text.indexOf('function loader('));
})();

/** Characters per string literal: see sourceLiteral. */
const CHUNK = 32 * 1024;

/**
 * The text of the executable file: `shebang`, then a loader that runs `body` (a CommonJS bundle)
 * with the code cache.
 * @param shebang the first line, `#!/path/to/node`
 * @param body the bundle's code, without a shebang
 */
export function withCodeCache(shebang: string, body: string): string {
  // A function of the CommonJS module's five names, as Node's own loader wraps a module.
  const source = `(function (exports, require, module, __filename, __dirname) {${body}\n})`;
  const key = createHash('sha256').update(source).digest('base64url').slice(0, 22);
  return `${shebang}
"use strict";
// Runs the code below with V8's code cache (see src/build/code-cache.ts of node-cgi-shim).
const SOURCE = ${sourceLiteral(source)};
(${LOADER.trimEnd()})(${JSON.stringify(key)}, SOURCE, exports, require, module, __filename, __dirname);
`;
}

/**
 * The bundle as a JavaScript expression: string literals of at most CHUNK characters joined with
 * `+` (V8 joins them at run time in a few microseconds). V8 compiles a single literal of more
 * than 64 Ki characters markedly slower, a step rather than a slope (BENCHMARKS.md).
 */
function sourceLiteral(text: string): string {
  const parts: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK) parts.push(asciiJson(text.slice(i, i + CHUNK)));
  return parts.length === 0 ? '""' : parts.join(' +\n');
}

/**
 * A string as a JavaScript string literal of ASCII only: any other character as a \u escape.
 * Node reads a file holding even one other character (a "←" in a page's text, say) as a two-byte
 * string, on a slower path, and V8 then scans the whole literal as two-byte text (BENCHMARKS.md).
 */
function asciiJson(text: string): string {
  return JSON.stringify(text).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
