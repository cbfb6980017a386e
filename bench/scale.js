// Scale of the sessions folder: counter.cgi's time beside 100,000 other sessions against an empty
// folder (interleaved, same run), and `cgi-shim gc` over 100,000 expired sessions. The sessions are
// written directly in the file store's format (src/session/file-store.ts): one `<id>.json` each.

import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgiEnv, cookieFromOutput, fixed, timeProcesses } from './lib.js';

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

\`cgi-shim gc\` over ${n} expired sessions: ${fixed(gcMs / 1000, 1)} s (${fixed((gcMs * 1000) / sessions, 0)} µs per session); ${gc.stdout.trim()}; ${left} left.
`;
    return { markdown, ratio: Math.max(full.median / empty.median, full.mean / empty.mean) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
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
