// `npm run bench`: runs the benchmark sections and writes BENCHMARKS.md. Not part of `npm test`:
// numbers are reported and compared with the goals, never asserted.
// Usage: npm run bench [-- --runs 40] [-- section ...]   (sections: startup)

import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchStartup } from './startup.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '40' } }, allowPositionals: true });
const runs = Number(values.runs);
const SECTIONS = { startup: () => benchStartup({ distDir: join(root, 'dist', 'cgi-bin'), runs }) };
const chosen = positionals.length ? positionals : Object.keys(SECTIONS);
for (const name of chosen) if (!(name in SECTIONS)) throw new Error(`bench: unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);

execSync('npm run build', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const parts = [];
for (const name of chosen) {
  process.stderr.write(`bench: ${name}…\n`);
  parts.push(await SECTIONS[name]());
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
  `${execSync('uname -sr').toString().trim()}, Node ${process.version}`;
const report = `# Benchmarks

Measured ${new Date().toISOString().slice(0, 10)} on ${machine}.
Reproduce with \`npm run bench\` (sections: ${Object.keys(SECTIONS).join(', ')}; \`npm run bench -- --runs 80 startup\`).
Every figure is a median of repeated runs, and every ratio is against a baseline measured in the
same run, side by side.

${parts.join('\n')}`;
writeFileSync(join(root, 'BENCHMARKS.md'), report);
process.stdout.write(report);
