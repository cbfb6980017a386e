import test from 'ava';
import { execFile } from 'node:child_process';
import { run, type Handler } from '../../src/adapters/cgi.js';
import { parseCgiOutput, ROOT } from '../helpers/cgi.js';
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
