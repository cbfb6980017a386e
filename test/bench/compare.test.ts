// bench/compare.js and the helpers it shares with `npm run bench`: the numbers they print are
// only worth something if the statistics and the process handling under them are right.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cookieFromOutput, median, percentile } from '../../bench/lib.js';

const COMPARE = fileURLToPath(new URL('../../bench/compare.js', import.meta.url));

test('median and percentile of unsorted samples', (t) => {
  t.is(median([5, 1, 3]), 3);
  t.is(median([4, 1, 3, 2]), 2.5);
  const samples = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1
  t.is(percentile(samples, 50), 50);
  t.is(percentile(samples, 99), 99);
  t.is(percentile(samples, 100), 100);
  t.is(percentile(samples, 0), 1);
});

test('cookieFromOutput reads the first Set-Cookie of the head only', (t) => {
  t.is(cookieFromOutput('Content-Type: text/html\r\nSet-Cookie: sid=abc; Path=/; HttpOnly\r\nSet-Cookie: x=1\r\n\r\nbody'), 'sid=abc');
  t.is(cookieFromOutput('Content-Type: text/plain\n\nSet-Cookie: not=a-header'), undefined);
});

/** An executable shell script with `body`: a stand-in CGI script that is quick to start. */
async function script(dir: string, name: string, body: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

function compare(...args: string[]) {
  return spawnSync(process.execPath, [COMPARE, ...args], { encoding: 'utf8', timeout: 60_000 });
}

test('bench:compare tells a slower script from a faster one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-compare-'));
  const fast = await script(dir, 'fast.cgi', 'printf "Content-Type: text/plain\\r\\n\\r\\nok"');
  // 30 ms more per run, at the least (sleep never returns early): far beyond the noise of a shell start-up.
  const slow = await script(dir, 'slow.cgi', 'sleep 0.03; printf "Content-Type: text/plain\\r\\n\\r\\nok"');
  const result = compare(fast, slow, '--runs', '12');
  t.is(result.status, 0, result.stderr);
  t.regex(result.stdout, /^a .*fast\.cgi: median [\d.]+ ms$/m);
  const diff = /b − a, median of 12 paired runs: ([\d.-]+) ms \(95% interval ([\d.-]+) to ([\d.-]+) ms\)/.exec(result.stdout);
  t.truthy(diff, result.stdout);
  const [median, low, high] = diff!.slice(1).map(Number) as [number, number, number];
  t.true(low <= median && median <= high, `${low} ≤ ${median} ≤ ${high}`);
  t.regex(result.stdout, /^b is slower\.$/m);
});

test('bench:compare stops with the failing script\'s error, and explains its usage', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cgi-shim-compare-'));
  const ok = await script(dir, 'ok.cgi', 'printf "Content-Type: text/plain\\r\\n\\r\\nok"');
  const broken = await script(dir, 'broken.cgi', 'echo "no session folder" >&2; exit 3');
  const failed = compare(ok, broken, '--runs', '10');
  t.not(failed.status, 0);
  t.regex(failed.stderr, /broken\.cgi exited 3: no session folder/);

  const usage = compare(ok);
  t.is(usage.status, 2);
  t.regex(usage.stderr, /usage: npm run bench:compare -- <a\.cgi> <b\.cgi>/);
  const runs = compare(ok, ok, '--runs', 'many');
  t.not(runs.status, 0);
  t.regex(runs.stderr, /option --runs is invalid: many/);
});
