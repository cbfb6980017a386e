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
 * returns the median wall time of each in ms. A candidate is { name, file, args?, env?, input? }.
 * Every run must exit 0, or the benchmark stops: a fast failure is not a result.
 */
export function timeProcesses(candidates, { runs = 40, warmup = 3 } = {}) {
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
  return new Map([...samples].map(([name, values]) => [name, median(values)]));
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
