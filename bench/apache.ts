// Throughput under Apache: a private Apache (test/helpers/servers.ts, with the apache.conf we ship)
// serves hello.cgi, counter.cgi and the same counter in Perl (CGI::Session) and PHP (php-cgi file
// sessions); wrk loads each from 127.0.0.1 in turn, interleaved in rounds, in the same run.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startApache } from '../test/helpers/servers.js';
import { fixed } from './lib.js';
import { createSessions, runWrk, summarize, wrkVersion, type Load, type Target } from './wrk.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Sessions each counter gets for the many-visitors load: far more than connections, so two
 * requests rarely meet on one lock, as with real visitors. */
const SESSIONS = 100;

/** Options of {@link benchApache}. */
export interface ApacheBenchOptions {
  distDir: string;
  /** Seconds of load per target, split over `rounds`. @default 10 */
  seconds: number;
  /** Rounds: every target is loaded once per round, so drift of the machine hits all alike. @default 2 */
  rounds: number;
  /** wrk connections. @default 8 */
  connections: number;
}


/** Runs the section; resolves with Markdown and the numbers the goals need. */
export async function benchApache(options: ApacheBenchOptions): Promise<{ markdown: string; rps: Map<string, number> }> {
  const served = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-served-'));
  for (const name of readdirSync(options.distDir)) copyFileSync(join(options.distDir, name), join(served, name));
  writeFileSync(join(served, 'counter-perl.cgi'), readFileSync(join(here, 'baselines', 'counter.pl')));
  // php-cgi runs the file Apache names in SCRIPT_FILENAME and skips a leading #! line.
  writeFileSync(join(served, 'counter-php.cgi'),
    `#!/usr/bin/php-cgi -dcgi.force_redirect=0\n${readFileSync(join(here, 'baselines', 'counter.php'), 'utf8')}`);
  for (const name of ['counter-perl.cgi', 'counter-php.cgi']) chmodSync(join(served, name), 0o755);

  const server = await startApache({ scriptsDir: served });
  try {
    const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-wrk-'));
    const counters = [['counter.cgi', 'node-cgi-shim'], ['counter-perl.cgi', 'Perl CGI::Session'], ['counter-php.cgi', 'PHP php-cgi']];
    const targets: Target[] = [{ name: 'hello.cgi', url: server.url('/cgi-bin/hello.cgi') }];
    for (const [file, label] of counters) {
      const cookies = await createSessions(server.url(`/cgi-bin/${file}`), SESSIONS);
      const cookiesFile = join(work, `${file}.cookies`);
      writeFileSync(cookiesFile, `${cookies.join('\n')}\n`);
      targets.push({ name: `${file} (${label}), one session`, url: server.url(`/cgi-bin/${file}`), cookie: cookies[0] });
      targets.push({ name: `${file} (${label}), ${SESSIONS} sessions`, url: server.url(`/cgi-bin/${file}`), cookiesFile });
    }
    const loads = new Map<string, Load[]>(targets.map((t) => [t.name, []]));
    const seconds = Math.max(1, Math.round(options.seconds / options.rounds));
    for (let round = 0; round < options.rounds; round++) {
      for (const target of targets) loads.get(target.name)!.push(runWrk(target, seconds, options.connections));
    }
    const summary = new Map([...loads].map(([name, runs]) => [name, summarize(runs)]));
    const helloRps = summary.get('hello.cgi')!.rps;
    const rows = targets.map((t) => {
      const s = summary.get(t.name)!;
      return `| ${t.name} | ${fixed(s.rps)} | ${fixed(s.rps / helloRps, 2)} | ${fixed(s.p50)} | ${fixed(s.p99)} | ${s.requests} | ${s.errors === 0 ? '0' : `**${s.errors}**`} |`;
    });
    rmSync(work, { recursive: true, force: true });
    const markdown = `## Throughput under Apache (wrk, ${options.connections} connections, ${options.rounds} × ${seconds} s per target)

${server.version} with mod_cgid and the shipped apache.conf, on 127.0.0.1; wrk ${wrkVersion()} on the
same machine. Targets take turns (${options.rounds} rounds), so drift of the machine's load hits all
alike; req/s and latencies are medians over the rounds. "One session": every request carries the
same cookie, so all of them queue on one session's lock. "${SESSIONS} sessions": each request carries
the cookie of one of ${SESSIONS} live sessions in turn (bench/rotate-cookies.lua), as many visitors do.
Perl's CGI::Session ${perlSessionVersion()} (file driver, CGI.pm) and PHP ${phpVersion()} (php-cgi,
file sessions) count visits the same way (bench/baselines/). Errors are non-2xx answers and socket
errors; anything but 0 is in bold.

| target | req/s | × hello.cgi | p50 ms | p99 ms | requests | errors |
|---|---|---|---|---|---|---|
${rows.join('\n')}
`;
    return { markdown, rps: new Map([...summary].map(([name, s]) => [name, s.rps])) };
  } finally {
    await server.stop();
    rmSync(served, { recursive: true, force: true });
  }
}

function perlSessionVersion(): string {
  return spawnSync('perl', ['-MCGI::Session', '-e', 'print $CGI::Session::VERSION'], { encoding: 'utf8' }).stdout || '?';
}

function phpVersion(): string {
  return /PHP (\S+)/.exec(spawnSync('php-cgi', ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
}
