// Measuring helpers shared by the benchmark sections: whole-process timings taken side by side
// (interleaved, so machine noise hits every candidate alike), medians, and peak memory.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The median of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0–100) of numbers, nearest rank. */
export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Runs each candidate `runs` times, interleaved (a, b, c, a, b, c, …) after `warmup` rounds, and
 * returns the median wall time of each in ms (with `stat: 'both'`, { median, mean }). A candidate
 * is { name, file, args?, env?, input? }. Every run must exit 0, or the benchmark stops: a fast
 * failure is not a result.
 */
export function timeProcesses(candidates, { runs = 40, warmup = 3, stat = 'median' } = {}) {
  const samples = new Map(candidates.map((c) => [c.name, []]));
  for (let round = 0; round < warmup + runs; round++) {
    for (const candidate of candidates) {
      const start = process.hrtime.bigint();
      const result = spawnSync(candidate.file, candidate.args ?? [], { env: candidate.env ?? {}, input: candidate.input ?? '' });
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) {
        throw new Error(`${candidate.name} exited ${result.status}: ${String(result.stderr).slice(0, 500)}`);
      }
      if (round >= warmup) samples.get(candidate.name).push(ms);
    }
  }
  const summary = (values) => (stat === 'both'
    ? { median: median(values), mean: values.reduce((sum, v) => sum + v, 0) / values.length }
    : median(values));
  return new Map([...samples].map(([name, values]) => [name, summary(values)]));
}

/** Peak resident memory (KiB) of a candidate, median of a few runs, from GNU time. */
export function peakMemoryKiB(candidate, runs = 5) {
  if (!existsSync('/usr/bin/time')) return undefined;
  const values = [];
  for (let i = 0; i < runs; i++) {
    const result = spawnSync('/usr/bin/time', ['-f', '%M', candidate.file, ...(candidate.args ?? [])],
      { env: candidate.env ?? {}, input: candidate.input ?? '' });
    const last = String(result.stderr).trim().split('\n').pop();
    values.push(Number(last));
  }
  return median(values);
}

/** A number with a fixed count of decimals. */
export function fixed(value, digits = 1) {
  return value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);
}

/** The environment a web server gives a CGI script for `GET /` from 127.0.0.1. */
export function cgiEnv(sessionDir, extra = {}) {
  return {
    PATH: '/usr/bin:/bin', GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', QUERY_STRING: '',
    SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1', CGI_SESSION_DIR: sessionDir, ...extra,
  };
}

/** The `name=value` of the first Set-Cookie header in CGI output, or undefined. */
export function cookieFromOutput(output) {
  const head = String(output).split(/\r?\n\r?\n/, 1)[0] ?? '';
  return /^Set-Cookie: ([^;\r\n]+)/im.exec(head)?.[1];
}

/**
 * Makes sure the programs the bench needs are installed: as root, installs the missing Debian
 * packages with apt-get; otherwise says which are missing. Resolves with the missing ones.
 */
export function ensurePackages(needs) {
  const missing = Object.entries(needs).filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    process.stderr.write(`bench: missing ${missing.join(', ')}; install them: sudo apt-get install ${missing.join(' ')}\n`);
    return missing;
  }
  process.stderr.write(`bench: installing ${missing.join(', ')} with apt-get…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  spawnSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env });
  return Object.entries(needs).filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg);
}
