// The loader copied into every built script, text for text (see code-cache.ts): plain ES2022, no
// outer names, not compiled or transformed on the way. It is a file of its own so that no tool
// (TypeScript, tsx, a minifier) rewrites it between here and the script.

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
  // V8 keeps the script's file name in the cached code, and a stack trace names the file that
  // wrote the cache: so each copy of a script (another folder, another server) has its own cache.
  // Two 32-bit multiplicative hashes of the path (FNV-1a's, and one with murmur's constant): no
  // node:crypto to load for it.
  const pathKey = (text) => {
    let a = 0x811c9dc5;
    let b = 0x2f43b9d1;
    for (let i = 0; i < text.length; i++) {
      a = Math.imul(a ^ text.charCodeAt(i), 0x01000193);
      b = Math.imul(b ^ text.charCodeAt(i), 0x5bd1e995);
    }
    return (a >>> 0).toString(36) + (b >>> 0).toString(36);
  };
  const dir = cacheDir();
  const base = dir && `${dir}/${key}-${pathKey(filename)}-${process.version}-${process.arch}`;
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
