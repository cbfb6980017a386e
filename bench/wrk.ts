// Loading a URL with wrk and reading its report, for the throughput sections: one run of a
// target, the medians over rounds, and the sessions a counter is loaded with.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './lib.js';

const here = fileURLToPath(new URL('.', import.meta.url));

/** One target of a load: a URL, with one cookie or a file of many (rotate-cookies.lua). */
export interface Target {
  name: string;
  url: string;
  cookie?: string;
  cookiesFile?: string;
}

/** What one wrk run (or the summary of several) measured. */
export interface Load { rps: number; p50: number; p99: number; requests: number; errors: number }

/** Loads `target` for `seconds` with `connections` connections on two threads. */
export function runWrk(target: Target, seconds: number, connections: number): Load {
  const args = ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '20s', '--latency'];
  if (target.cookie) args.push('-H', `Cookie: ${target.cookie}`);
  if (target.cookiesFile) args.push('-s', join(here, 'rotate-cookies.lua'));
  args.push(target.url);
  const result = spawnSync('wrk', args, { encoding: 'utf8', env: { ...process.env, COOKIES_FILE: target.cookiesFile ?? '' } });
  if (result.status !== 0) throw new Error(`bench: wrk failed on ${target.name}: ${result.stderr}${result.stdout}`);
  return parseWrk(result.stdout, target.name);
}

/** The medians of req/s and latencies over rounds, and the sums of requests and errors. */
export function summarize(runs: Load[]): Load {
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
  };
}

/** Makes `count` sessions by visiting `url` without a cookie; resolves with their cookies. */
export async function createSessions(url: string, count: number): Promise<string[]> {
  const cookies: string[] = [];
  const visit = async () => {
    const response = await fetch(url);
    await response.arrayBuffer();
    const cookie = response.headers.getSetCookie()[0]?.split(';', 1)[0];
    if (response.status !== 200 || cookie === undefined) throw new Error(`bench: ${url} answered ${response.status} without a session cookie`);
    cookies.push(cookie);
  };
  for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: Math.min(8, count - i) }, visit));
  return cookies;
}

/** wrk's version, e.g. `debian/4.1.0-3+b2`. */
export function wrkVersion(): string {
  return /wrk (\S+)/.exec(spawnSync('wrk', ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
}

/** Reads req/s, p50, p99, requests and errors (non-2xx answers and socket errors) from wrk's
 * --latency report. */
function parseWrk(text: string, name: string): Load {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const p50 = toMs(/50%\s+([\d.]+)(us|ms|s)/.exec(text));
  const p99 = toMs(/99%\s+([\d.]+)(us|ms|s)/.exec(text));
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors = non2xx + (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0);
  if (!Number.isFinite(rps) || !Number.isFinite(p50)) throw new Error(`bench: cannot read wrk's report for ${name}:\n${text}`);
  return { rps, p50, p99, requests, errors };
}

function toMs(match: RegExpExecArray | null): number {
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}
