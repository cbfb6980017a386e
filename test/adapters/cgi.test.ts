import test from 'ava';
import { run, type Handler } from '../../src/adapters/cgi.js';
import { parseCgiOutput } from '../helpers/cgi.js';
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
