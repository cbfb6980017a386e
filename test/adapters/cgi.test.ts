import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

test('a script run from its TypeScript source answers, and says on stderr to build it for a web server', async (t) => {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'cgi-bin/hello.ts'], {
    cwd: ROOT, env: { PATH: process.env.PATH, QUERY_STRING: 'name=Ada' },
  });
  t.regex(stdout, /<h1>Hello, Ada!<\/h1>/);
  t.regex(stderr, /cgi-bin\/hello\.ts runs from TypeScript source; for a web server, build it first: npx cgi-shim build/);
});
