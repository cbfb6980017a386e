// FastCGI throughput: hello.cgi and counter.cgi as CGI and as FastCGI, through Apache (mod_cgid;
// mod_fcgid; mod_proxy_fcgi to `cgi-shim fastcgi` daemons) and lighttpd (mod_cgi; mod_fastcgi),
// beside PHP-FPM (a hello and its files-session counter) and a bare node-fastcgi 2.0.0 hello. Each
// server runs our shipped configuration (test/helpers/servers.ts); wrk loads every target in
// turn, in rounds, in the same run. Then every counted visit is checked against the answers.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleScripts } from '../src/build/bundle.js';
import { startApache, startLighttpd, type RunningServer } from '../test/helpers/servers.js';
import { benchFastCgiMemory, type MemoryRun } from './fastcgi-memory.js';
import { fixed } from './lib.js';
import { startPhpFpm, type PhpFpm } from './php-fpm.js';
import { createSessions, runWrk, summarize, wrkVersion, type Load, type Target } from './wrk.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..');
/** Visitors of each counter: far more sessions than connections, as with real visitors. */
const SESSIONS = 100;

export interface FastCgiBenchOptions {
  distDir: string;
  /** Seconds of load per target, split over `rounds`. */
  seconds: number;
  rounds: number;
  /** wrk connections. */
  connections: number;
}

/** What the goals need: req/s by target name, and visits lost by counter. */
export interface FastCgiBenchResult {
  markdown: string;
  rps: Map<string, number>;
  errors: Map<string, number>;
  /** Answered visits that the sessions do not show, by counter target (0 is right). */
  lost: Map<string, number>;
  phpVersion: string;
  /** The memory runs (fastcgi-memory.ts), on the same built scripts. */
  memory: MemoryRun[];
}

/** Target names, used by the goals. */
export const T = {
  cgiHello: 'hello.cgi, CGI (Apache mod_cgid)',
  fcgidHello: 'hello.cgi, FastCGI (Apache mod_fcgid)',
  proxyHello: 'hello.cgi, FastCGI (Apache mod_proxy_fcgi, enablereuse)',
  lighttpdCgiHello: 'hello.cgi, CGI (lighttpd mod_cgi)',
  lighttpdHello: 'hello.cgi, FastCGI (lighttpd mod_fastcgi)',
  nodeFastCgi: 'node-fastcgi 2.0.0 bare hello (Apache mod_proxy_fcgi)',
  nodeFastCgiReuse: 'node-fastcgi 2.0.0 bare hello (Apache mod_proxy_fcgi, enablereuse)',
  phpHello: 'PHP-FPM hello.php (Apache mod_proxy_fcgi)',
  cgiCounter: 'counter.cgi, CGI (Apache mod_cgid)',
  fcgidCounter: 'counter.cgi, FastCGI (Apache mod_fcgid)',
  proxyCounter: 'counter.cgi, FastCGI (Apache mod_proxy_fcgi, enablereuse)',
  proxyCounterFast: 'counter.cgi with durable: false, FastCGI (Apache mod_proxy_fcgi, enablereuse)',
  lighttpdCounter: 'counter.cgi, FastCGI (lighttpd mod_fastcgi)',
  phpCounter: 'PHP-FPM counter.php, file sessions (Apache mod_proxy_fcgi)',
} as const;

/** Runs the section. */
export async function benchFastCgi(options: FastCgiBenchOptions): Promise<FastCgiBenchResult> {
  const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-fastcgi-'));
  chmodSync(work, 0o755);
  const stops: Array<() => Promise<void>> = [];
  try {
    const served = await prepareScripts(options.distDir, join(work, 'served'));
    const php = preparePhp(work);
    const phpFpm: PhpFpm = await startPhpFpm(work, php.sessions);
    stops.push(() => phpFpm.stop());
    const nodeFastCgi = await startNodeFastCgi(work);
    stops.push(nodeFastCgi.stop);
    const start = async (server: Promise<RunningServer>) => {
      const running = await server;
      stops.push(() => running.stop());
      return running;
    };
    const apacheCgi = await start(startApache({ scriptsDir: served }));
    const apacheFcgid = await start(startApache({ scriptsDir: served, mode: 'fcgid' }));
    const apacheProxy = await start(startApache({
      scriptsDir: served,
      mode: 'proxy-fcgi',
      extraConfig: [
        `ProxyPass "/node-fastcgi/" "unix:${nodeFastCgi.socket}|fcgi://node-fastcgi/"`,
        `ProxyPass "/node-fastcgi-reuse/" "unix:${nodeFastCgi.socket}|fcgi://node-fastcgi-reuse/" enablereuse=on`,
        // As Debian's php8.2-fpm.conf hands PHP files to PHP-FPM.
        `Alias /php/ "${php.dir}/"`,
        `<Directory "${php.dir}">`,
        '    Require all granted',
        `    <FilesMatch "\\.php$">`,
        `        SetHandler "proxy:unix:${phpFpm.socket}|fcgi://php-fpm"`,
        '    </FilesMatch>',
        '</Directory>',
      ],
    }));
    const lighttpdCgi = await start(startLighttpd({ scriptsDir: served }));
    const lighttpdFcgi = await start(startLighttpd({ scriptsDir: served, fastcgi: true }));

    const targets: Target[] = [
      { name: T.cgiHello, url: apacheCgi.url('/cgi-bin/hello.cgi') },
      { name: T.fcgidHello, url: apacheFcgid.url('/cgi-bin/hello.cgi') },
      { name: T.proxyHello, url: apacheProxy.url('/cgi-bin/hello.cgi') },
      { name: T.lighttpdCgiHello, url: lighttpdCgi.url('/cgi-bin/hello.cgi') },
      { name: T.lighttpdHello, url: lighttpdFcgi.url('/cgi-bin/hello.cgi') },
      { name: T.nodeFastCgi, url: apacheProxy.url('/node-fastcgi/hello') },
      { name: T.nodeFastCgiReuse, url: apacheProxy.url('/node-fastcgi-reuse/hello') },
      { name: T.phpHello, url: apacheProxy.url('/php/hello.php') },
    ];
    const counters: Array<[string, string, RunningServer | undefined]> = [
      [T.cgiCounter, apacheCgi.url('/cgi-bin/counter.cgi'), apacheCgi],
      [T.fcgidCounter, apacheFcgid.url('/cgi-bin/counter.cgi'), apacheFcgid],
      [T.proxyCounter, apacheProxy.url('/cgi-bin/counter.cgi'), apacheProxy],
      [T.proxyCounterFast, apacheProxy.url('/cgi-bin/counter-nondurable.cgi'), apacheProxy],
      [T.lighttpdCounter, lighttpdFcgi.url('/cgi-bin/counter.cgi'), lighttpdFcgi],
      [T.phpCounter, apacheProxy.url('/php/counter.php'), undefined],
    ];
    const sessionsOf = new Map<string, { cookies: string[]; server: RunningServer }>();
    for (const [name, url, server] of counters) {
      const cookies = await createSessions(url, SESSIONS);
      const cookiesFile = join(work, `${targets.length}.cookies`);
      writeFileSync(cookiesFile, `${cookies.join('\n')}\n`);
      targets.push({ name, url, cookiesFile });
      if (server !== undefined) sessionsOf.set(name, { cookies, server });
    }

    // Untimed: mod_fcgid and PHP-FPM start their processes on demand, Node compiles as it goes.
    const warmups = new Map(targets.map((target) => [target.name, runWrk(target, 2, options.connections)]));
    const loads = new Map<string, Load[]>(targets.map((t) => [t.name, []]));
    const seconds = Math.max(1, Math.round(options.seconds / options.rounds));
    for (let round = 0; round < options.rounds; round++) {
      for (const target of targets) loads.get(target.name)!.push(runWrk(target, seconds, options.connections));
    }
    const summary = new Map([...loads].map(([name, runs]) => [name, summarize(runs)]));
    const lost = new Map<string, number>();
    const beyond = new Map<string, number>();
    for (const [name, { cookies, server }] of sessionsOf) {
      // Each session counted 1 at its creation, then one per answered visit, the warm-up's too.
      const counted = countVisits(server.sessionsDir, cookies) - cookies.length;
      const answered = [warmups.get(name)!, ...loads.get(name)!].reduce((sum, r) => sum + r.requests - r.errors, 0);
      lost.set(name, Math.max(0, answered - counted));
      beyond.set(name, counted - answered);
    }
    const memory = await benchFastCgiMemory(served);
    return {
      markdown: `${report(targets, summary, lost, beyond, options, seconds, phpFpm.version, [apacheCgi, lighttpdCgi])}\n${memory.markdown}`,
      memory: memory.runs,
      rps: new Map([...summary].map(([name, s]) => [name, s.rps])),
      errors: new Map([...summary].map(([name, s]) => [name, s.errors])),
      lost,
      phpVersion: phpFpm.version,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    rmSync(work, { recursive: true, force: true });
  }
}

/** The served folder: hello.cgi, counter.cgi, and counter.cgi built with `durable: false`. */
async function prepareScripts(distDir: string, served: string): Promise<string> {
  mkdirSync(served);
  for (const name of ['hello.cgi', 'counter.cgi', 'package.json']) copyFileSync(join(distDir, name), join(served, name));
  // The demo's own source with one option changed, built as the build builds it. Its name starts
  // with _ so that a build running meanwhile does not take it for a script.
  const source = readFileSync(join(root, 'cgi-bin', 'counter.ts'), 'utf8');
  const changed = source.replace(/(open(?:Demo)?Session)\(request, response\)/, '$1(request, response, { durable: false })');
  if (changed === source) throw new Error('bench: cgi-bin/counter.ts no longer calls openDemoSession(request, response)');
  const entry = join(root, 'cgi-bin', '_bench-counter-nondurable.ts');
  writeFileSync(entry, changed);
  try {
    const [built] = await bundleScripts([entry], served);
    renameSync(built!, join(served, 'counter-nondurable.cgi'));
  } finally {
    rmSync(entry, { force: true });
  }
  return served;
}

/** PHP's scripts (bench/baselines) in a folder PHP-FPM's user can read, and its sessions folder. */
function preparePhp(work: string): { dir: string; sessions: string } {
  const dir = join(work, 'php');
  const sessions = join(work, 'php-sessions');
  mkdirSync(dir, { mode: 0o755 });
  mkdirSync(sessions, { mode: 0o700 });
  for (const name of ['hello.php', 'counter.php']) copyFileSync(join(here, 'baselines', name), join(dir, name));
  const user = wwwData();
  if (user !== undefined) chownSync(sessions, user.uid, user.gid);
  return { dir, sessions };
}

/** node-fastcgi's hello (bench/baselines), bundled with the library into the work folder, as a
 * daemon on a Unix socket, as the web server's user. */
async function startNodeFastCgi(work: string): Promise<{ socket: string; stop: () => Promise<void> }> {
  const file = join(work, 'hello-node-fastcgi.cjs');
  await build({ entryPoints: [join(here, 'baselines', 'hello-node-fastcgi.cjs')], outfile: file, bundle: true, platform: 'node', format: 'cjs', logLevel: 'warning' });
  const socketDir = join(work, 'node-fastcgi');
  mkdirSync(socketDir, { mode: 0o755 });
  const user = wwwData();
  if (user !== undefined) chownSync(socketDir, user.uid, user.gid);
  const socket = join(socketDir, 'hello.sock');
  const child: ChildProcess = spawn(process.execPath, [file, socket], { stdio: ['ignore', 'ignore', 'inherit'], ...(user ?? {}) });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (spawnSync('test', ['-S', socket]).status !== 0) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error('bench: the node-fastcgi hello did not start');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { socket, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

/** The sum of the visits stored in the sessions of these cookies. */
function countVisits(sessionsDir: string, cookies: string[]): number {
  let sum = 0;
  for (const cookie of cookies) {
    const id = cookie.slice(cookie.indexOf('=') + 1);
    const record = JSON.parse(readFileSync(join(sessionsDir, `${id}.json`), 'utf8')) as { data: { visits?: number } };
    sum += record.data.visits ?? 0;
  }
  return sum;
}

function report(targets: Target[], summary: Map<string, Load>, lost: Map<string, number>, beyond: Map<string, number>,
  options: FastCgiBenchOptions, seconds: number, phpVersion: string, cgiServers: RunningServer[]): string {
  const cgiHello = summary.get(T.cgiHello)!.rps;
  const rows = targets.map((t) => {
    const s = summary.get(t.name)!;
    return `| ${t.name} | ${fixed(s.rps)} | ${fixed(s.rps / cgiHello, 1)} | ${fixed(s.p50, 2)} | ${fixed(s.p99)} | ${s.requests} | ${s.errors === 0 ? '0' : `**${s.errors}**`} |`;
  });
  const lostRows = [...lost].map(([name, n]) => `| ${name} | ${n === 0 ? '0' : `**${n}**`} | ${beyond.get(name)} |`);
  return `## FastCGI: the same scripts as persistent processes (wrk, ${options.connections} connections, ${options.rounds} × ${seconds} s per target)

${cgiServers.map((s) => s.version).join(' and ')}, each with our shipped configuration (apache.conf,
apache-fcgid.conf, apache-proxy-fcgi.conf with one \`cgi-shim fastcgi\` daemon of one worker per
script, lighttpd-cgi.conf, lighttpd-fastcgi.conf), on 127.0.0.1; wrk ${wrkVersion()} on the same
machine. PHP-FPM ${phpVersion} with Debian's pool settings (pm dynamic, at most 5 children) behind
the same Apache, as Debian's php8.2-fpm.conf hands it PHP files (bench/baselines/hello.php and
counter.php, which counts in PHP's file sessions); node-fastcgi 2.0.0's hello is the library's
README server with hello.cgi's page (bench/baselines/hello-node-fastcgi.cjs), one process. Every
target had 2 s of untimed load first (mod_fcgid and PHP-FPM start processes on demand); then the
targets take turns, ${options.rounds} rounds, and req/s and latencies are medians over the rounds. Counters
are loaded with the cookies of ${SESSIONS} sessions each, in turn (bench/rotate-cookies.lua); the
durable: false counter is counter.cgi built with that one option. Errors are non-2xx answers and
socket errors.

| target | req/s | × CGI hello (Apache) | p50 ms | p99 ms | requests | errors |
|---|---|---|---|---|---|---|
${rows.join('\n')}

Lost updates: for each counter of ours, the visits its ${SESSIONS} session files hold after the load
against the 2xx answers wrk counted. "Beyond" are visits counted but not answered to wrk: the
requests in flight when a round ended, which the server finished after wrk had closed.

| counter | lost | beyond |
|---|---|---|
${lostRows.join('\n')}
`;
}

function wwwData(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const fields = readFileSync('/etc/passwd', 'utf8').split('\n').find((line) => line.startsWith('www-data:'))?.split(':');
  return fields === undefined ? undefined : { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/**
 * Whether a CGI run of hello.cgi loads node:net, which only the FastCGI adapter imports: its code
 * must stay unevaluated for a CGI request (checked from inside the process, at its exit).
 */
export function cgiLoadsFastCgiCode(distDir: string): boolean {
  const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-cgi-modules-'));
  try {
    const probe = join(work, 'probe.cjs');
    writeFileSync(probe, "process.on('exit', () => require('node:fs').writeSync(2, `modules ${process.moduleLoadList.includes('NativeModule net')}\\n`));\n");
    const result = spawnSync(join(distDir, 'hello.cgi'), [], {
      env: { PATH: '/usr/bin:/bin', GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', QUERY_STRING: '', NODE_OPTIONS: `--require ${probe}` },
      encoding: 'utf8',
    });
    const seen = /modules (true|false)/.exec(result.stderr)?.[1];
    if (result.status !== 0 || seen === undefined) throw new Error(`bench: hello.cgi as CGI failed: ${result.stderr}`);
    return seen === 'true';
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
