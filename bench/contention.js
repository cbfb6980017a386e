// Lock contention: N copies of counter.cgi started at once on ONE session, as a browser firing N
// requests would. Every request must count: the final count must rise by exactly N.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgiEnv, cookieFromOutput, fixed } from './lib.js';

/** Runs the section; resolves with Markdown and whether every count was exact. */
export async function benchContention({ distDir, sizes = [10, 50, 200] }) {
  const script = join(distDir, 'counter.cgi');
  const rows = [];
  let exact = true;
  for (const n of sizes) {
    const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-contention-'));
    const sessionDir = join(work, 'sessions');
    const cookie = cookieFromOutput(spawnSync(script, [], { env: cgiEnv(sessionDir) }).stdout);
    if (cookie === undefined) throw new Error('bench: counter.cgi set no session cookie');
    const env = cgiEnv(sessionDir, { HTTP_COOKIE: cookie });
    const start = process.hrtime.bigint();
    const statuses = await Promise.all(Array.from({ length: n }, () => runOnce(script, env)));
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const file = readdirSync(sessionDir).find((name) => name.endsWith('.json'));
    const visits = JSON.parse(readFileSync(join(sessionDir, file), 'utf8')).data.visits;
    const counted = visits - 1; // The first visit made the session.
    const ok = statuses.filter((s) => s === 200).length;
    const busy = statuses.filter((s) => s === 503).length;
    const other = n - ok - busy;
    const fine = counted === ok && ok === n;
    if (!fine) {
      exact = false;
      process.stderr.write(`bench: CONTENTION MISMATCH at N=${n}: ${ok} answered 200, ${busy} 503, ${other} other, count rose by ${counted}\n`);
    }
    rows.push(`| ${n} | ${fixed(ms, 0)} | ${fixed(ms / n, 1)} | ${ok} | ${busy} | ${other} | ${counted} | ${fine ? 'yes' : '**NO**'} |`);
    rmSync(work, { recursive: true, force: true });
  }
  const markdown = `## Lock contention (N copies of counter.cgi at once, one session)

All N processes are started together with the same session cookie, straight from the shell (no
web server), and the time is from the first start to the last exit. Each request holds the
session's lock from reading to saving; the others wait with jittered backoff (503 after 8 s).
Exact means: every request answered 200 and the stored count rose by exactly N.

| N | total ms | ms per request | 200 | 503 | other | count rose by | exact |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
  return { markdown, exact };
}

/** Runs the script once; resolves with the HTTP status it answered (0 if none). */
function runOnce(script, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(script, [], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', () => {
      const status = /^Status: (\d{3})/m.exec(Buffer.concat(chunks).toString('latin1'))?.[1];
      resolve(status === undefined ? 0 : Number(status));
    });
  });
}
