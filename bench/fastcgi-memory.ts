// Memory of a FastCGI process over 100,000 requests: a built script started as a FastCGI server
// starts it (a listening socket as its stdin), loaded straight over FastCGI (no web server between)
// on 8 kept connections. Its resident set is read from /proc at checkpoints, and its live heap from
// V8's --trace-gc lines (the heap left after each full collection): a leak would show in both.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FASTCGI_DEFAULTS } from '../src/adapters/fastcgi/serve.js';
import { bindSocket } from '../src/host/fastcgi-daemon.js';
import { FcgiConnection } from '../test/helpers/fastcgi-client.js';
import { fixed } from './lib.js';

/** Requests after which the resident set is read. */
export const CHECKPOINTS = [1000, 10_000, 25_000, 50_000, 75_000, 100_000];
/** The checkpoint from which the live heap's growth counts: by then the code is compiled and
 * optimized and the caches are filled, which makes the heap larger once; a leak keeps growing. */
const WARM = 10_000;
const CONNECTIONS = 8;
const SESSIONS = 100;
export interface MemoryRun {
  name: string;
  /** Started as the shipped configurations and `cgi-shim fastcgi` start it (with their
   * NODE_OPTIONS), which is what the goal is about; otherwise with Node's defaults, to compare. */
  shipped: boolean;
  /** MiB of resident memory at each checkpoint. */
  rssMiB: number[];
  /** MiB of live heap after the last full collection before each checkpoint (NaN: none yet). */
  heapMiB: number[];
  /** Growth of the resident set from the first checkpoint to the last, as a fraction. */
  growth: number;
  /** Growth of the live heap, from the first value at or after request {@link WARM} to the last. */
  heapGrowth: number;
  seconds: number;
  failed: number;
}

/** Runs the section on a folder holding hello.cgi and counter-nondurable.cgi (counter.cgi with
 * `durable: false`: the fsyncs would make it a measure of the disk); resolves with Markdown and
 * the runs (hello.cgi as shipped, then with Node's defaults; the counter the same). */
export async function benchFastCgiMemory(scriptsDir: string): Promise<{ markdown: string; runs: MemoryRun[] }> {
  const shipped = FASTCGI_DEFAULTS.nodeOptions;
  const runs = [
    await measure('hello.cgi', join(scriptsDir, 'hello.cgi'), false, shipped),
    await measure('hello.cgi', join(scriptsDir, 'hello.cgi'), false, ''),
    await measure('counter.cgi (durable: false)', join(scriptsDir, 'counter-nondurable.cgi'), true, shipped),
    await measure('counter.cgi (durable: false)', join(scriptsDir, 'counter-nondurable.cgi'), true, ''),
  ];
  const cells = (values: number[]) => values.map((v) => fixed(v)).join(' | ');
  const rows = runs.flatMap((r) => [
    `| ${r.name}, ${r.shipped ? 'as shipped' : "Node's defaults"} | resident | ${cells(r.rssMiB)} | ${fixed(r.growth * 100)} % | ${fixed(100_000 / r.seconds, 0)} | ${r.failed} |`,
    `| ${r.name}, ${r.shipped ? 'as shipped' : "Node's defaults"} | live heap | ${cells(r.heapMiB)} | ${fixed(r.heapGrowth * 100)} % | | |`,
  ]);
  const markdown = `## Memory of a FastCGI process over 100,000 requests

One process of the built script, started as mod_fcgid or lighttpd starts one (a listening socket
as its stdin), loaded over FastCGI by the benchmark itself on ${CONNECTIONS} kept connections
(FCGI_KEEP_CONN, as mod_proxy_fcgi with enablereuse); counter.cgi with the cookies of ${SESSIONS}
sessions in turn, saving without fsync (with it, this run measures the disk). "As shipped" is
with NODE_OPTIONS=${shipped}, as apache-fcgid.conf, lighttpd-fastcgi.conf and \`cgi-shim fastcgi\`
start a process (it keeps V8's young generation at 1 MiB); "Node's defaults", without it. MiB
after the request named: the resident set (VmRSS), and the
live heap V8 reports after its last full collection (--trace-gc; n/a: none yet). Growth is from
request 1,000 to request 100,000 for the resident set, and for the live heap from request
${WARM.toLocaleString('en')}: by then V8 has compiled and optimized the code and filled its caches, which makes the
heap larger once, where a leak would go on growing. req/s is the whole run's; failed, answers
other than 200.

| process | memory | ${CHECKPOINTS.map((n) => n.toLocaleString('en')).join(' | ')} | growth | req/s | failed |
|---|---|${CHECKPOINTS.map(() => '---|').join('')}---|---|---|
${rows.join('\n')}
`;
  return { markdown, runs };
}

async function measure(name: string, script: string, withSessions: boolean, nodeOptions: string): Promise<MemoryRun> {
  const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-memory-'));
  const socketPath = join(work, 'app.sock');
  // Bound here, listened on by the script, as cgi-shim fastcgi hands a socket over.
  const handle = await bindSocket({ path: socketPath }, 0o600);
  // Node started here rather than by the shebang, since NODE_OPTIONS does not take --trace-gc.
  const child = spawn(process.execPath, ['--trace-gc', script], {
    stdio: [handle.fd, 'pipe', 'inherit'],
    env: { PATH: '/usr/bin:/bin', CGI_SESSION_DIR: join(work, 'sessions'), ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
  });
  let sent = 0;
  let lastHeapMiB = NaN;
  let gcText = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    gcText = (gcText + chunk.toString()).slice(-4096);
    for (const match of gcText.matchAll(/Mark-Compact[^\n]*?-> ([\d.]+) \(/g)) lastHeapMiB = Number(match[1]);
    gcText = gcText.slice(gcText.lastIndexOf('\n') + 1);
  });
  try {
    const connections = await openWhenReady(socketPath);
    const params = { GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/bench.cgi', QUERY_STRING: '', SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1' };
    const cookies = withSessions ? await makeSessions(connections[0]!, params) : [];
    let failed = 0;
    const rssMiB: number[] = [];
    const heapMiB: number[] = [];
    const started = Date.now();
    for (const checkpoint of CHECKPOINTS) {
      await Promise.all(connections.map(async (connection) => {
        while (sent < checkpoint) {
          const cookie = cookies[sent % Math.max(1, cookies.length)];
          sent++;
          const response = await connection.request(cookie === undefined ? params : { ...params, HTTP_COOKIE: cookie }, undefined, { keepConn: true });
          if (response.cgi.status !== 200) failed++;
        }
      }));
      rssMiB.push(residentKiB(child.pid!) / 1024);
      heapMiB.push(lastHeapMiB);
    }
    const seconds = (Date.now() - started) / 1000;
    for (const connection of connections) connection.close();
    const firstHeap = heapMiB.slice(CHECKPOINTS.indexOf(WARM)).find((value) => !Number.isNaN(value)) ?? NaN;
    return { name, shipped: nodeOptions !== '', rssMiB, heapMiB, growth: rssMiB[rssMiB.length - 1]! / rssMiB[0]! - 1, heapGrowth: heapMiB[heapMiB.length - 1]! / firstHeap - 1, seconds, failed };
  } finally {
    child.kill('SIGKILL');
    handle.close();
    rmSync(work, { recursive: true, force: true });
  }
}

async function openWhenReady(path: string): Promise<FcgiConnection[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await Promise.all(Array.from({ length: CONNECTIONS }, () => FcgiConnection.open(path)));
    } catch (error) {
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

async function makeSessions(connection: FcgiConnection, params: Record<string, string>): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const response = await connection.request(params, undefined, { keepConn: true });
    const cookie = response.cgi.header('set-cookie')?.split(';', 1)[0];
    if (cookie === undefined) throw new Error('bench: counter.cgi set no session cookie');
    cookies.push(cookie);
  }
  return cookies;
}

function residentKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`bench: no VmRSS for process ${pid}`);
  return Number(match[1]);
}
