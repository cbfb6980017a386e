// Wraps a bundled script in a loader that keeps V8's compiled code between requests: Node 22's
// module.enableCompileCache(), done by hand for Node 20, where it does not exist.
//
// Why: every request is a new process that parses and compiles the script again, a large part of
// a script's time over a plain Node script (BENCHMARKS.md, start-up notes); with the cache, V8
// deserializes the code the previous run left, including every function that run compiled lazily.
//
// How: the bundle's code is kept as a string and compiled with vm.Script and the cached data of
// an earlier run; when there was none (or V8 refused it: another Node, other flags), the code
// this run compiled is saved at exit (and refreshed a few times, see the loader). The cache is a folder of the user running the script,
// `$TMPDIR/node-cgi-shim-<uid>` (mode 0700). Cached code is code: it is used only when that
// folder is a real folder owned by this user and closed to everyone else, and files are opened
// without following links. If anything is off, the script runs uncached, exactly as before.
// CGI_CODE_CACHE=off turns it off.

import { createHash } from 'node:crypto';

/**
 * The text of the executable file: `shebang`, then a loader that runs `body` (a CommonJS bundle)
 * with the code cache.
 * @param {string} shebang the first line, `#!/path/to/node`
 * @param {string} body the bundle's code, without a shebang
 * @returns {string}
 */
export function withCodeCache(shebang, body) {
  // A function of the CommonJS module's five names, as Node's own loader wraps a module.
  const source = `(function (exports, require, module, __filename, __dirname) {${body}\n})`;
  const key = createHash('sha256').update(source).digest('base64url').slice(0, 22);
  return `${shebang}
"use strict";
// Runs the code below with V8's code cache (see scripts/code-cache.js of node-cgi-shim).
const SOURCE = ${sourceLiteral(source)};
(${loader.toString()})(${JSON.stringify(key)}, SOURCE, exports, require, module, __filename, __dirname);
`;
}

/** Characters per string literal: see sourceLiteral. */
const CHUNK = 32 * 1024;

/**
 * The bundle as a JavaScript expression: string literals of at most CHUNK characters joined with
 * `+` (V8 joins them at run time in a few microseconds). V8 compiles a single literal of more
 * than 64 Ki characters markedly slower, a step rather than a slope (BENCHMARKS.md).
 * @param {string} text
 */
function sourceLiteral(text) {
  const parts = [];
  for (let i = 0; i < text.length; i += CHUNK) parts.push(asciiJson(text.slice(i, i + CHUNK)));
  return parts.length === 0 ? '""' : parts.join(' +\n');
}

/**
 * A string as a JavaScript string literal of ASCII only: any other character as a \u escape.
 * Node reads a file holding even one other character (a "←" in a page's text, say) as a two-byte
 * string, on a slower path, and V8 then scans the whole literal as two-byte text (BENCHMARKS.md).
 * @param {string} text
 */
function asciiJson(text) {
  return JSON.stringify(text).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/* The loader, copied into each script as it is written here: plain ES2022, no outer names. */
function loader(key, source, exports, require, module, filename, dirname) {
  const fs = require('node:fs');
  const vm = require('node:vm');
  const cacheDir = () => {
    if (/^(0|off|false|no)$/i.test(process.env.CGI_CODE_CACHE ?? '') || typeof process.getuid !== 'function') return undefined;
    const dir = `${process.env.TMPDIR || '/tmp'}/node-cgi-shim-${process.getuid()}`;
    try {
      fs.mkdirSync(dir, { mode: 0o700 });
    } catch {
      // It exists (checked below), or cannot be made: then no cache.
    }
    try {
      const info = fs.lstatSync(dir);
      return info.isDirectory() && info.uid === process.getuid() && (info.mode & 0o077) === 0 ? dir : undefined;
    } catch {
      return undefined;
    }
  };
  const dir = cacheDir();
  const base = dir && `${dir}/${key}-${process.version}-${process.arch}`;
  // The cache holds the functions the run that wrote it compiled. A first visit and a return
  // visit run different code, so the first GENERATIONS runs each rewrite it (the union grows),
  // and later runs now and then (1 in REFRESH), for paths that come up only later. Rewriting
  // costs a request more than reading does; reading the newest generation first costs a failed
  // open per missing one.
  const GENERATIONS = 4;
  const REFRESH = 64;
  let generation = -1;
  let cachedData;
  for (let g = GENERATIONS - 1; base && g >= 0 && cachedData === undefined; g--) {
    try {
      const fd = fs.openSync(`${base}.${g}.v8`, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
      try {
        cachedData = fs.readFileSync(fd);
        generation = g;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      // Not this generation.
    }
  }
  const script = new vm.Script(source, { filename, cachedData });
  const rejected = cachedData !== undefined && script.cachedDataRejected;
  const due = cachedData === undefined || rejected || generation < GENERATIONS - 1 || Math.random() * REFRESH < 1;
  if (base && due) {
    // At exit, so that the functions this run compiled lazily are in the cache too.
    process.once('exit', () => {
      const next = rejected ? 0 : Math.min(generation + 1, GENERATIONS - 1);
      const file = `${base}.${next}.v8`;
      const temp = `${file}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(temp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
        fs.renameSync(temp, file);
        if (generation >= 0 && generation !== next) fs.unlinkSync(`${base}.${generation}.v8`);
      } catch {
        try {
          fs.unlinkSync(temp);
        } catch {
          // Never made, or renamed.
        }
      }
    });
  }
  script.runInThisContext()(exports, require, module, filename, dirname);
}
