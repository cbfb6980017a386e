// `npm run bench:compare -- <a.cgi> <b.cgi> [--runs 200]`: is b faster than a, by how much, and is
// the difference more than noise? For deciding whether a start-up change is worth keeping: on a
// shared machine, two medians of separate runs differ by more than most single changes gain.
//
// Each round runs a and b back to back (in alternating order) as a web server would (CGI
// environment, empty stdin; a session script with the cookie of a live session of its own), and
// the differences b − a are summarised by their median and a bootstrap 95% interval of it.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { cgiEnv, cookieFromOutput, fixed, median } from './lib.js';

const WARMUP = 4;
const RESAMPLES = 2000;

const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '200' } }, allowPositionals: true });
if (positionals.length !== 2) {
  process.stderr.write('usage: npm run bench:compare -- <a.cgi> <b.cgi> [--runs 200]\n');
  process.exit(2);
}
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 10) throw new Error(`bench: option --runs is invalid: ${values.runs} (an integer of at least 10)`);

const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-compare-'));
try {
  const [a, b] = positionals.map((file, i) => candidate(resolve(file), join(work, `sessions-${i}`)));
  const diffs = [];
  const times = { a: [], b: [] };
  for (let round = 0; round < WARMUP + runs; round++) {
    const order = round % 2 ? ['a', 'b'] : ['b', 'a'];
    const ms = {};
    for (const which of order) ms[which] = timeOnce(which === 'a' ? a : b);
    if (round < WARMUP) continue;
    times.a.push(ms.a);
    times.b.push(ms.b);
    diffs.push(ms.b - ms.a);
  }
  const [low, high] = bootstrapInterval(diffs);
  process.stdout.write(`a ${a.file}: median ${fixed(median(times.a), 2)} ms
b ${b.file}: median ${fixed(median(times.b), 2)} ms
b − a, median of ${runs} paired runs: ${fixed(median(diffs), 2)} ms (95% interval ${fixed(low, 2)} to ${fixed(high, 2)} ms)
${low > 0 ? 'b is slower.' : high < 0 ? 'b is faster.' : 'No difference beyond the noise of this machine.'}
`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** A script to time, with the environment of a return visit when it sets a session cookie. */
function candidate(file, sessionDir) {
  const env = cgiEnv(sessionDir);
  const first = spawnSync(file, [], { env, input: '' });
  if (first.status !== 0) throw new Error(`bench: ${file} exited ${first.status}: ${String(first.stderr).slice(0, 500)}`);
  const cookie = cookieFromOutput(first.stdout);
  return { file, env: cookie ? { ...env, HTTP_COOKIE: cookie } : env };
}

function timeOnce({ file, env }) {
  const start = process.hrtime.bigint();
  const result = spawnSync(file, [], { env, input: '' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`bench: ${file} exited ${result.status}: ${String(result.stderr).slice(0, 500)}`);
  return ms;
}

/** The 2.5th and 97.5th percentiles of the medians of resamples (with replacement) of `values`. */
function bootstrapInterval(values) {
  const medians = [];
  for (let i = 0; i < RESAMPLES; i++) {
    medians.push(median(Array.from(values, () => values[Math.floor(Math.random() * values.length)])));
  }
  medians.sort((x, y) => x - y);
  return [medians[Math.floor(RESAMPLES * 0.025)], medians[Math.ceil(RESAMPLES * 0.975) - 1]];
}
