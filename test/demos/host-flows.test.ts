// Every demo's flow (flows.ts) through the local CGI host, as `npm start` serves them.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHost, type Host } from '../../src/host/server.js';
import { DIST_CGI_BIN } from '../helpers/cgi.js';
import { exclusively } from '../helpers/exclusive.js';
import { waitForLogLine } from '../helpers/host.js';
import { DEMO_FLOWS, type DemoSite } from './flows.js';

let host: Host | undefined;
let sessionsDir = '';
const logLines: string[] = [];

test.before(async () => {
  sessionsDir = await mkdtemp(join(tmpdir(), 'cgi-shim-demo-sessions-'));
  host = await startHost({
    dir: DIST_CGI_BIN, port: 0, log: (line) => logLines.push(line),
    hostEnv: { PATH: process.env.PATH, CGI_SESSION_DIR: sessionsDir, CGI_SECRET: randomBytes(32).toString('hex') },
  });
});

test.after.always(async () => {
  await host?.close();
  await rm(sessionsDir, { recursive: true, force: true });
});

test('local host: / redirects to the index of the demos', async (t) => {
  const response = await fetch(new URL('/', host!.url), { redirect: 'manual' });
  t.is(response.status, 302);
  t.is(response.headers.get('location'), '/cgi-bin/index.cgi');
});

test('local host: logs one line per request', async (t) => {
  await (await fetch(new URL('/cgi-bin/hello.cgi?name=Ada', host!.url))).text();
  t.truthy(await waitForLogLine(logLines, /^GET \/cgi-bin\/hello\.cgi\?name=Ada 200 [0-9]+ms$/));
});

for (const flow of DEMO_FLOWS) {
  test(`local host: ${flow.title}`, async (t) => {
    if (host === undefined) throw new Error('the host did not start');
    const base = host.url;
    const site: DemoSite = { url: (path) => new URL(path, base).href, sessionsDir };
    await (flow.heavy ? exclusively(() => flow.run(t, site)) : flow.run(t, site));
  });
}
