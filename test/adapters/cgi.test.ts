import test, { type ExecutionContext } from 'ava';
import { execFile, spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type Handler } from '../../src/adapters/cgi.js';
import { bindSocket } from '../../src/host/fastcgi-daemon.js';
import { parseCgiOutput, ROOT } from '../helpers/cgi.js';
import { fastCgiRequest, type FcgiResponse } from '../helpers/fastcgi-client.js';
import { tempDir } from '../helpers/temp-dir.js';
import { BASE_ENV, BEHAVIOURS, type AdapterRun, type InvokeOptions } from './behaviour.js';

async function invoke(handler: Handler, options: InvokeOptions = {}): Promise<AdapterRun & { writes: number }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const status = await run(handler, {
    env: BASE_ENV, stdin: Buffer.alloc(0),
    ...options, stdout: (c) => out.push(Buffer.from(c)), stderr: (c) => err.push(Buffer.from(c)),
  });
  return { status, response: parseCgiOutput(Buffer.concat(out)), stderr: Buffer.concat(err).toString(), writes: out.length };
}

test('run writes the response once', async (t) => {
  const result = await invoke((_req, res) => { res.text('ok'); });
  t.is(result.writes, 1);
});

test('run given its own stdout leaves the process alone: no exit status set, no exit hook added', async (t) => {
  const hooks = process.listenerCount('beforeExit');
  const result = await invoke(() => { throw new Error('fails'); });
  t.is(result.status, 1);
  t.is(process.exitCode, undefined);
  t.is(process.listenerCount('beforeExit'), hooks);
});

// The same table runs through the FastCGI adapter (fastcgi/serve.test.ts).
for (const behaviour of BEHAVIOURS) {
  test(`run ${behaviour.title}`, (t) => behaviour.run(t, invoke));
}

/** Stryker's variable naming the mutant `npm run mutate` is testing, passed on to a script run
 * from source so that the mutant runs there too (scripts/stryker.config.mjs). */
const MUTANT_ENV = '__STRYKER_ACTIVE_MUTANT__';
const mutant = process.env[MUTANT_ENV] === undefined ? {} : { [MUTANT_ENV]: process.env[MUTANT_ENV] };

/** Runs `script` from its TypeScript source in a process of its own, with `env` only. */
function runSource(script: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', script], { cwd: ROOT, env: { PATH: process.env.PATH, ...mutant, ...env } }, (error, stdout, stderr) => {
      resolve({ code: typeof error?.code === 'number' ? error.code : error === null ? 0 : -1, stdout, stderr });
    });
  });
}

test('a script run from its TypeScript source answers, and says on stderr to build it for a web server', async (t) => {
  const { stdout, stderr } = await runSource('cgi-bin/hello.ts', { QUERY_STRING: 'name=Ada' });
  t.regex(stdout, /<h1>Hello, Ada!<\/h1>/);
  t.regex(stderr, /cgi-bin\/hello\.ts runs from TypeScript source; for a web server, build it first: npx cgi-shim build/);
});

const CGI = { GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET' };

test('the advice to build is given for every TypeScript extension, and not for JavaScript', async (t) => {
  const mts = await runSource('test/fixtures/scripts/module-source.mts', { ...CGI, QUERY_STRING: '' });
  t.is(parseCgiOutput(Buffer.from(mts.stdout)).text, 'mts', mts.stderr);
  t.regex(mts.stderr, /module-source\.mts runs from TypeScript source; for a web server, build it first/);
  const plain = await runSource('test/fixtures/scripts/plain.mjs', { ...CGI, QUERY_STRING: '' });
  t.is(parseCgiOutput(Buffer.from(plain.stdout)).text, 'plain', plain.stderr);
  t.is(plain.stderr, '');
});

test('a script process exits 0 after its answer and 1 after a failure, whose 500 page it still sends', async (t) => {
  const fine = await runSource('test/fixtures/scripts/failures.ts', { ...CGI, QUERY_STRING: '' });
  t.is(fine.code, 0, fine.stderr);
  t.is(parseCgiOutput(Buffer.from(fine.stdout)).text, 'fine');
  const failed = await runSource('test/fixtures/scripts/failures.ts', { ...CGI, QUERY_STRING: 'mode=throw' });
  t.is(failed.code, 1, failed.stderr);
  t.is(parseCgiOutput(Buffer.from(failed.stdout)).status, 500);
});

test('a script whose handler never settles answers 500, says why on stderr, and exits 1', async (t) => {
  const run = await runSource('test/fixtures/scripts/failures.ts', { ...CGI, QUERY_STRING: 'mode=never' });
  t.is(run.code, 1, run.stderr);
  t.is(parseCgiOutput(Buffer.from(run.stdout)).status, 500);
  t.regex(run.stderr, /the handler never finished: it returned a promise that did not settle/);
});

test('a client\'s Proxy header (HTTP_PROXY) is gone from the script process\'s own environment, which HTTP clients read (httpoxy)', async (t) => {
  const run = await runSource('test/fixtures/probe.ts', { ...CGI, QUERY_STRING: 'case=proxy-env', HTTP_PROXY: 'http://attacker.example:8080' });
  t.is(parseCgiOutput(Buffer.from(run.stdout)).text, '(unset)\n', run.stderr);
});

test('a script process lets its timers and a \'beforeExit\' listener\'s work finish before it exits', async (t) => {
  const run = await runSource('test/fixtures/scripts/after-response.ts', { ...CGI, QUERY_STRING: '' });
  t.is(run.code, 0, run.stderr);
  t.is(parseCgiOutput(Buffer.from(run.stdout)).text, 'fine');
  t.regex(run.stderr, /timer done\n/);
  t.regex(run.stderr, /beforeExit work done\n/);
  t.regex(run.stderr, /exit listener ran with 0\n/);
});

/** A Unix socket bound but not yet listening, as `cgi-shim fastcgi` hands one to a worker as
 * fd 0; closed, and its folder removed, when the test ends. */
async function boundSocket(t: ExecutionContext): Promise<{ path: string; fd: number }> {
  const dir = await tempDir('cgi-shim-cgi-socket-');
  const path = join(dir, 's.sock');
  const handle = await bindSocket({ path }, 0o600);
  t.teardown(async () => {
    handle.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { path, fd: handle.fd };
}

/** Starts `script` from source with `fd` as its stdin and `env` only; killed when the test ends. */
function startSource(t: ExecutionContext, script: string, fd: number, env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: ROOT, env: { PATH: process.env.PATH, ...mutant, ...env }, stdio: [fd, 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const { stdout, stderr } = child;
  if (stdout === null || stderr === null) throw new Error('spawn gave no pipes');
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  t.teardown(() => { child.kill('SIGKILL'); });
  return { child, exited, stdout: () => Buffer.concat(out), stderr: () => Buffer.concat(err).toString() };
}

test('a script started without GATEWAY_INTERFACE on a listening socket serves FastCGI there', async (t) => {
  const socket = await boundSocket(t);
  const script = startSource(t, 'cgi-bin/hello.ts', socket.fd, {});
  let response: FcgiResponse | undefined;
  const deadline = Date.now() + 30_000;
  while (response === undefined) {
    if (Date.now() > deadline || script.child.exitCode !== null) throw new Error(`no FastCGI answer; stderr: ${script.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    response = await fastCgiRequest(socket.path, { ...CGI, SCRIPT_NAME: '/cgi-bin/hello.cgi', QUERY_STRING: 'name=fcgi' }).catch(() => undefined);
  }
  t.regex(response.cgi.text, /Hello, fcgi!/);
  t.is(script.stdout().length, 0);
});

test('a script started with GATEWAY_INTERFACE is a CGI request, whatever its stdin is', async (t) => {
  const socket = await boundSocket(t);
  const script = startSource(t, 'cgi-bin/hello.ts', socket.fd, { ...CGI, QUERY_STRING: 'name=cgi' });
  // One serving FastCGI would wait for connections forever: give up well before ava does.
  const gaveUp = new Promise<string>((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000).unref());
  t.is(await Promise.race([script.exited, gaveUp]), 0, script.stderr());
  t.regex(parseCgiOutput(script.stdout()).text, /Hello, cgi!/);
});
