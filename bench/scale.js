// Scale of the sessions folder: counter.cgi's time beside 100,000 other sessions against an empty
// folder (interleaved, same run), the occasional sweep a request makes there, and `cgi-shim gc`
// over 100,000 expired sessions. The sessions are written directly in the file store's format
// (src/session/file-store.ts): one `<id>.json` each.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSessionStore } from '../src/session/file-store.js';
import { sweepSessions } from '../src/session/gc.js';
import { SESSION_DEFAULTS } from '../src/session/options.js';
import { cgiEnv, cookieFromOutput, fixed, median, timeProcesses } from './lib.js';

/** Runs the section; resolves with Markdown and the cost ratio (median with / without). */
export async function benchScale({ root, distDir, runs, sessions = 100_000 }) {
  const script = join(distDir, 'counter.cgi');
  const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-scale-'));
  try {
    const emptyDir = join(work, 'empty');
    const fullDir = join(work, 'full');
    const now = Date.now();
    fillSessions(fullDir, sessions, now - 60_000); // Live: touched a minute ago.
    const candidates = [emptyDir, fullDir].map((dir, i) => {
      const cookie = cookieFromOutput(spawnSync(script, [], { env: cgiEnv(dir) }).stdout);
      return { name: i === 0 ? 'empty' : 'full', file: script, env: cgiEnv(dir, { HTTP_COOKIE: cookie }) };
    });
    const times = timeProcesses(candidates, { runs, warmup: 3, stat: 'both' });
    const empty = times.get('empty');
    const full = times.get('full');
    const sweepMs = await timeRequestSweep(fullDir, now);

    const gcDir = join(work, 'expired');
    fillSessions(gcDir, sessions, now - 2 * 3600_000); // Idle for 2 h: past the 30 min timeout.
    const start = process.hrtime.bigint();
    const gc = spawnSync(process.execPath, [join(root, 'bin', 'cgi-shim.js'), 'gc', '--dir', gcDir], { encoding: 'utf8' });
    const gcMs = Number(process.hrtime.bigint() - start) / 1e6;
    if (gc.status !== 0) throw new Error(`bench: cgi-shim gc failed: ${gc.stderr}`);
    const left = readdirSync(gcDir).filter((name) => name.endsWith('.json')).length;
    if (left !== 0) process.stderr.write(`bench: GC MISMATCH: ${left} expired sessions left after gc\n`);

    const n = sessions.toLocaleString('en');
    const markdown = `## Scale of the sessions folder (${n} sessions)

counter.cgi on a return visit, in a folder holding only its own session and in one holding
${n} other live sessions, interleaved (median and mean of ${runs} runs each; the mean includes
the 1 % of requests that sweep up to 20 sessions). Then \`cgi-shim gc\` over ${n} expired sessions.

| measure | empty folder | ${n} sessions | ratio |
|---|---|---|---|
| counter.cgi median ms | ${fixed(empty.median)} | ${fixed(full.median)} | ${fixed(full.median / empty.median, 3)} |
| counter.cgi mean ms | ${fixed(empty.mean)} | ${fixed(full.mean)} | ${fixed(full.mean / empty.mean, 3)} |

The sweep one request in ${Math.round(1 / SESSION_DEFAULTS.gcProbability)} makes after saving (up to ${SESSION_DEFAULTS.gcMaxSessions} sessions examined), beside ${n} live
sessions, in-process: ${fixed(median(sweepMs))} ms median of ${sweepMs.length} (${sweepMs.map((ms) => fixed(ms, 0)).join(', ')}).

\`cgi-shim gc\` over ${n} expired sessions: ${fixed(gcMs / 1000, 1)} s (${fixed((gcMs * 1000) / sessions, 0)} µs per session); ${gc.stdout.trim()}; ${left} left.
`;
    return { markdown, ratio: Math.max(full.median / empty.median, full.mean / empty.mean) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Times the sweep a request makes (the runtime's own code, as Session runs it after a save) over
 * `dir`, whose sessions are all live: nothing is removed, so every round does the same work. */
async function timeRequestSweep(dir, now, rounds = 7) {
  const store = new FileSessionStore({ dir });
  const options = {
    now, maxSessions: SESSION_DEFAULTS.gcMaxSessions,
    idleMs: SESSION_DEFAULTS.idleTimeoutSeconds * 1000, absoluteMs: SESSION_DEFAULTS.absoluteTimeoutSeconds * 1000,
  };
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    const result = await sweepSessions(store, options);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (result.removed !== 0) throw new Error('bench: the request sweep removed a live session');
  }
  return times;
}

/** Writes `count` sessions last touched at `touchedAt` straight into `dir`, as the store would. */
function fillSessions(dir, count, touchedAt) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const ids = randomBytes(32 * count);
  for (let i = 0; i < count; i++) {
    const id = ids.subarray(i * 32, i * 32 + 32).toString('base64url');
    writeFileSync(join(dir, `${id}.json`), `{"v":1,"createdAt":${touchedAt},"touchedAt":${touchedAt},"data":{"visits":1}}\n`, { mode: 0o600 });
  }
}
