// Built scripts run as FastCGI processes, as web servers and `cgi-shim fastcgi` start them:
// telling FastCGI from CGI at start-up, recycling after a request limit, stopping on SIGTERM
// under load, and an error outside any request. Nothing may be lost on the way.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { FASTCGI_DEFAULTS } from '../../../src/adapters/fastcgi/serve.js';
import { bindSocket } from '../../../src/host/fastcgi-daemon.js';
import { DIST_CGI_BIN, parseCgiOutput, ROOT } from '../../helpers/cgi.js';
import { startDaemon } from '../../helpers/fastcgi-daemon.js';
import { fastCgiRequest, type FcgiResponse, type FcgiTarget } from '../../helpers/fastcgi-client.js';
import { buildFixtures } from '../../helpers/fixtures.js';
import { exclusively } from '../../helpers/exclusive.js';
import { tempDir } from '../../helpers/temp-dir.js';

const PARAMS = { GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', SCRIPT_NAME: '/cgi-bin/probe.cgi', QUERY_STRING: '' };
let probe = '';

test.before(async () => {
  probe = join(await buildFixtures('fastcgi-probe'), 'fastcgi-probe.cgi');
});

test('a built script with a connected socket as stdin and no GATEWAY_INTERFACE runs as CGI', async (t) => {
  // Node's stdio 'pipe' is a connected socket pair, as mod_cgid's stdin is a connected socket.
  const child = spawn(join(DIST_CGI_BIN, 'hello.cgi'), [], { env: { PATH: '/usr/bin:/bin', QUERY_STRING: 'name=pair' }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  const out: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await new Promise((resolve) => child.once('close', resolve));
  t.is(code, 0);
  t.regex(parseCgiOutput(Buffer.concat(out)).text, /Hello, pair!/);
});

test('a built script serves FastCGI on the socket systemd passes (LISTEN_FDS)', async (t) => {
  const { path } = await systemdStarts(t, join(DIST_CGI_BIN, 'hello.cgi'), 'pipe');
  const response = await firstAnswer(path, { ...PARAMS, QUERY_STRING: 'name=systemd' });
  t.regex(response.cgi.text, /Hello, systemd!/);
});

test('cgi-shim fastcgi: workers recycled after CGI_FCGI_MAX_REQUESTS lose no request', async (t) => {
  await exclusively(async () => {
    const daemon = await startDaemon(probe, { workers: 2, env: { CGI_FCGI_MAX_REQUESTS: '25' } });
    t.teardown(() => daemon.stop());
    const pids = new Set<string>();
    const statuses: number[] = [];
    const client = async (n: number) => {
      for (let i = 0; i < 50; i++) {
        const response = await fastCgiRequest(daemon.path, { ...PARAMS, QUERY_STRING: `case=pid&n=${n}-${i}` });
        statuses.push(response.cgi.status);
        pids.add(response.cgi.text);
      }
    };
    await Promise.all(Array.from({ length: 4 }, (_, n) => client(n)));
    t.is(statuses.length, 200);
    t.deepEqual(statuses.filter((s) => s !== 200), []);
    t.true(pids.size >= 200 / 25, `${pids.size} processes answered`);
    t.regex(daemon.stderr(), /worker \d+ exited \(status 0\); starting another/);
    t.is(await daemon.stop(), 0);
  });
});

test('cgi-shim fastcgi starts its workers with NODE_OPTIONS capping the young generation, after the user\'s own', async (t) => {
  const daemon = await startDaemon(probe, { env: { NODE_OPTIONS: '--trace-warnings' } });
  t.teardown(() => daemon.stop());
  const response = await fastCgiRequest(daemon.path, { ...PARAMS, QUERY_STRING: 'case=pid' });
  const environment = readFileSync(`/proc/${response.cgi.text.trim()}/environ`, 'latin1').split('\0');
  t.true(environment.includes(`NODE_OPTIONS=--trace-warnings ${FASTCGI_DEFAULTS.nodeOptions}`), environment.filter((v) => v.startsWith('NODE_')).join(' '));
});

test('cgi-shim fastcgi: SIGTERM under load answers every request it began, and counts each once', async (t) => {
  await exclusively(async () => {
    const sessions = await tempDir('cgi-shim-fcgi-sessions-');
    t.teardown(() => rm(sessions, { recursive: true, force: true }));
    const daemon = await startDaemon(probe, { workers: 2, env: { CGI_SESSION_DIR: sessions } });
    t.teardown(() => daemon.stop());
    const first = await fastCgiRequest(daemon.path, { ...PARAMS, QUERY_STRING: 'case=count' });
    const cookie = /^(sid=[^;]+)/.exec(first.cgi.header('set-cookie') ?? '')?.[1] ?? '';
    let answered = 1;
    let refused = 0;
    let stopping: Promise<number | null> | undefined;
    const client = async () => {
      for (;;) {
        let response: FcgiResponse;
        try {
          response = await fastCgiRequest(daemon.path, { ...PARAMS, QUERY_STRING: 'case=count', HTTP_COOKIE: cookie });
        } catch {
          // Refused or reset before any worker took it: the daemon has stopped accepting.
          refused++;
          if (stopping !== undefined) return;
          continue;
        }
        t.is(response.cgi.status, 200);
        answered++;
        if (answered === 60) stopping = daemon.stop('SIGTERM');
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    t.is(await stopping, 0);
    const [file] = readdirSync(sessions).filter((name) => name.endsWith('.json'));
    const stored = JSON.parse(readFileSync(join(sessions, file!), 'utf8')) as { data: { visits: number } };
    t.log(`${answered} answered, ${refused} refused once the daemon stopped`);
    t.true(answered >= 60);
    t.is(stored.data.visits, answered, 'every visit that was counted was answered, and the other way round');
  });
});

test('an error thrown outside any request: logged, the request in flight answered, the worker replaced', async (t) => {
  const dir = await tempDir('cgi-shim-fcgi-crash-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const daemon = await startDaemon(probe);
  t.teardown(() => daemon.stop());
  const started = join(dir, 'started');
  const release = join(dir, 'until');
  const inFlight = fastCgiRequest(daemon.path, { ...PARAMS, QUERY_STRING: `case=wait&started=${started}&until=${release}` });
  await until(() => existsSync(started), 'the request in flight began');
  const thrower = await fastCgiRequest(daemon.path, { ...PARAMS, QUERY_STRING: 'case=timer-throw' });
  t.is(thrower.cgi.status, 200);
  await until(() => /an error outside any request/.test(daemon.stderr()), 'the error outside any request in the log');
  writeFileSync(release, '');
  const answered = await inFlight;
  t.is(answered.cgi.status, 200);
  const oldPid = answered.cgi.text;
  const next = await fastCgiRequest(daemon.path, { ...PARAMS, QUERY_STRING: 'case=pid' });
  t.is(next.cgi.status, 200);
  t.not(next.cgi.text, oldPid);
  t.regex(daemon.stderr(), /cgi-shim: an error outside any request: Error: thrown from a timer\n\s+at /);
  t.regex(daemon.stderr(), new RegExp(`worker ${oldPid} exited \\(status 1\\)`));
});

test('a malformed CGI_FCGI_MAX_REQUESTS stops the worker with a clear message', async (t) => {
  const dir = await tempDir('cgi-shim-fcgi-bad-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 's.sock');
  const handle = await bindSocket({ path }, 0o600);
  t.teardown(() => handle.close());
  const child = spawn(probe, [], { env: { CGI_FCGI_MAX_REQUESTS: 'lots' }, stdio: [handle.fd, 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise((resolve) => child.once('close', resolve));
  t.is(code, 1);
  t.regex(stderr, /CGI_FCGI_MAX_REQUESTS must be a whole number of at least 0, not "lots"/);
});

test('cgi-shim fastcgi serves on a TCP address too, and stops on SIGTERM with status 0', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(free));
    });
  });
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'cgi-shim.js'), 'fastcgi', join(DIST_CGI_BIN, 'hello.cgi'), '--listen', `127.0.0.1:${port}`], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(() => child.kill('SIGKILL'));
  const response = await firstAnswer(port, { ...PARAMS, QUERY_STRING: 'name=tcp' });
  t.regex(response.cgi.text, /Hello, tcp!/);
  child.kill('SIGTERM');
  t.is(await exited, 0);
});

test('cgi-shim fastcgi hands the socket systemd passes (LISTEN_FDS) to its workers', async (t) => {
  const cli = `${process.execPath} ${join(ROOT, 'bin', 'cgi-shim.js')} fastcgi ${join(DIST_CGI_BIN, 'hello.cgi')} --workers 2`;
  const { path, child } = await systemdStarts(t, cli, 'ignore');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const response = await firstAnswer(path, { ...PARAMS, QUERY_STRING: 'name=socket-unit' });
  t.regex(response.cgi.text, /Hello, socket-unit!/);
  child.kill('SIGTERM');
  t.is(await exited, 0);
});

/** Starts `command` as systemd's socket activation does: a Unix socket bound but not listening
 * (as cgi-shim fastcgi hands it over; this process never accepts) on fd 3, with LISTEN_PID and
 * LISTEN_FDS. Killed, and its folder removed, when the test ends. */
async function systemdStarts(t: ExecutionContext, command: string, stderr: 'pipe' | 'ignore') {
  const dir = await tempDir('cgi-shim-fcgi-systemd-');
  const path = join(dir, 's.sock');
  const handle = await bindSocket({ path }, 0o600);
  const child = spawn('/bin/sh', ['-c', `LISTEN_PID=$$ LISTEN_FDS=1 exec ${command}`], { stdio: ['ignore', 'ignore', stderr, handle.fd] });
  t.teardown(async () => {
    child.kill('SIGKILL');
    handle.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { path, child };
}

/** The answer to `params` once the application at `target` answers at all. */
async function firstAnswer(target: FcgiTarget, params: Record<string, string>): Promise<FcgiResponse> {
  let response: FcgiResponse | undefined;
  await until(async () => (response = await fastCgiRequest(target, params).catch(() => undefined)) !== undefined, `an answer on ${target}`);
  return response!;
}

/** Resolves once `check` holds; fails after 30 s with what was awaited, rather than hanging. */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting after 30 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
