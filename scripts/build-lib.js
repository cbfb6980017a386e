// Compiles src/ into the package's library, dist/lib/: ES modules and their .d.ts files
// (tsconfig.build.json), and beside them the two files built scripts take in as they are, which no
// compiler may touch (src/build/code-cache-loader.js, src/build/signal-exit.cjs).

import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const lib = `${root}dist/lib`;
const AS_THEY_ARE = ['build/code-cache-loader.js', 'build/signal-exit.cjs'];

rmSync(lib, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
for (const file of AS_THEY_ARE) copyFileSync(`${root}src/${file}`, `${lib}/${file}`);
