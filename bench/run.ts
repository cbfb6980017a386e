// `npm run bench`: runs the benchmark sections and writes BENCHMARKS.md. Not part of `npm test`:
// numbers are reported and compared with the goals of issue 6, never asserted.
// Usage: npm run bench [-- --runs 40 --seconds 10] [-- section ...]
//   sections: startup (with sizes), apache, contention, scale

import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchApache } from './apache.js';
import { benchContention } from './contention.js';
import { ensurePackages } from './lib.js';
import { benchScale } from './scale.js';
import { benchStartup } from './startup.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const distDir = join(root, 'dist', 'cgi-bin');
const { values, positionals } = parseArgs({
  options: { runs: { type: 'string', default: '40' }, seconds: { type: 'string', default: '10' } },
  allowPositionals: true,
});
const runs = Number(values.runs);
const seconds = Number(values.seconds);

/** One line per goal of issue 6: text, and whether it is met (undefined: not measured this run). */
const goals: Array<[string, boolean | undefined]> = [];
const SECTIONS: Record<string, () => Promise<string>> = {
  async startup() {
    const r = await benchStartup({ distDir, runs });
    goals.push([`hello.cgi within 10 % of the floor (${r.ratio('hello.cgi').toFixed(3)}×)`, r.ratio('hello.cgi') <= 1.1]);
    goals.push([`counter.cgi within 20 % of the floor (${r.ratio('counter.cgi').toFixed(3)}×)`, r.ratio('counter.cgi') <= 1.2]);
    goals.push([`peak memory within 10 MiB of the floor (worst ${r.worstExtraMiB.toFixed(1)} MiB)`, r.worstExtraMiB <= 10]);
    return r.markdown;
  },
  async apache() {
    const r = await benchApache({ distDir, seconds, rounds: 2, connections: 8 });
    const hello = r.rps.get('hello.cgi')!;
    for (const [name, rps] of r.rps) {
      if (!name.startsWith('counter.cgi')) continue;
      const which = name.replace(/^counter\.cgi \([^)]*\), /, '');
      goals.push([`under Apache, counter.cgi (${which}) at least 85 % of hello.cgi's req/s (${((rps / hello) * 100).toFixed(0)} %)`, rps / hello >= 0.85]);
    }
    return r.markdown;
  },
  async contention() {
    const r = await benchContention({ distDir });
    goals.push(['contention: every count exact at N = 200 (and 10, 50)', r.exact]);
    return r.markdown;
  },
  async scale() {
    const r = await benchScale({ root, distDir, runs });
    goals.push([`scale: 100,000 sessions cost counter.cgi under 5 % (${((r.ratio - 1) * 100).toFixed(1)} %, worse of median and mean)`, r.ratio < 1.05]);
    return r.markdown;
  },
};
const chosen = positionals.length ? positionals : Object.keys(SECTIONS);
for (const name of chosen) if (!(name in SECTIONS)) throw new Error(`bench: unknown section ${name}; known: ${Object.keys(SECTIONS).join(', ')}`);

const needs: Record<string, string> = { time: '/usr/bin/time' };
if (chosen.includes('apache')) Object.assign(needs, { wrk: '/usr/bin/wrk', 'php-cgi': '/usr/bin/php-cgi', 'libcgi-session-perl': '/usr/share/perl5/CGI/Session.pm', apache2: '/usr/sbin/apache2' });
const missing = ensurePackages(needs);
if (missing.some((pkg) => pkg !== 'time')) throw new Error(`bench: cannot run without ${missing.join(', ')}`);

const started = Date.now();
execSync('npm run build', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
const parts: string[] = [];
for (const name of chosen) {
  process.stderr.write(`bench: ${name}…\n`);
  const sectionStart = Date.now();
  parts.push(await SECTIONS[name]!());
  process.stderr.write(`bench: ${name} took ${((Date.now() - sectionStart) / 1000).toFixed(0)} s\n`);
}
const minutes = ((Date.now() - started) / 60_000).toFixed(1);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
  `${execSync('uname -sr').toString().trim()}, Node ${process.version}`;
const goalLines = goals.map(([text, met]) => `- ${met === undefined ? '?' : met ? 'met' : '**not met**'}: ${text}`);
const report = `# Benchmarks

Measured ${new Date().toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ')} on ${machine},
load average at the end ${execSync('cat /proc/loadavg').toString().split(' ').slice(0, 3).join(' ')} (a shared machine: the
ratios, measured side by side, mean more than the absolute times). The run took ${minutes} min.

Reproduce with \`npm run bench\` (all sections; as root it installs what is missing with apt-get:
wrk, php-cgi, libcgi-session-perl, time). One section: \`npm run bench -- startup\` (sections:
${Object.keys(SECTIONS).join(', ')}); more samples: \`npm run bench -- --runs 80 --seconds 20\`.
Every figure is a median of repeated runs, and every ratio is against a baseline measured in the
same run, side by side.

## Goals (issue 6)

${goalLines.join('\n')}

${parts.join('\n')}`;
writeFileSync(join(root, 'BENCHMARKS.md'), report);
process.stdout.write(report);
