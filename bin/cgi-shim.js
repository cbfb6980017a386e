#!/usr/bin/env node
// Entry point of the `cgi-shim` command: the compiled tool in dist/lib (shipped in the package;
// in a clone of the repository, made by `npm run build`).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/lib/cli/main.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('cgi-shim: dist/lib/cli/main.js is missing; in a clone of node-cgi-shim, run `npm run build` first\n');
  process.exit(1);
}
await import(cli.href);
