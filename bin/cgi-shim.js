#!/usr/bin/env node
// Entry point of the `cgi-shim` command: runs the bundled tool that `npm run build` makes.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('cgi-shim: dist/cli.mjs is missing; run `npm run build` first\n');
  process.exit(1);
}
await import(cli.href);
