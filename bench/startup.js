// Start-up: whole-process wall time and peak memory of built scripts run as a server runs them,
// beside the floor (a plain Node script printing the same response, same shebang) and `node -e 0`.

import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shebangNode } from '../scripts/bundle.js';
import { fixed, peakMemoryKiB, timeProcesses } from './lib.js';

const SCRIPTS = ['hello', 'counter', 'questionnaire'];

/** Runs the start-up and size sections; resolves with Markdown. */
export async function benchStartup({ distDir, runs }) {
  const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-startup-'));
  const env = {
    PATH: '/usr/bin:/bin', GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'GET', QUERY_STRING: '',
    SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1', CGI_SESSION_DIR: join(work, 'sessions'),
  };
  const scripts = SCRIPTS.filter((name) => existsSync(join(distDir, `${name}.cgi`)))
    .map((name) => ({ name: `${name}.cgi`, file: join(distDir, `${name}.cgi`), env: withSessionCookie(join(distDir, `${name}.cgi`), env) }));
  const floor = { name: 'plain Node script (floor)', file: writeFloorScript(work, join(distDir, 'hello.cgi'), env), env };
  const bare = { name: 'node -e 0', file: shebangNode(), args: ['-e', '0'], env };
  const candidates = [floor, bare, ...scripts];
  const times = timeProcesses(candidates, { runs });
  const floorMs = times.get(floor.name);
  const floorKiB = peakMemoryKiB(floor);
  const rows = candidates.map((c) => {
    const kib = peakMemoryKiB(c);
    return `| ${c.name} | ${fixed(times.get(c.name))} | ${fixed(times.get(c.name) / floorMs, 3)} | ` +
      `${kib === undefined ? 'n/a' : fixed(kib / 1024)} | ${kib === undefined ? 'n/a' : fixed((kib - floorKiB) / 1024)} |`;
  });
  const sizes = scripts.map((s) => `| ${s.name} | ${statSync(s.file).size.toLocaleString('en')} |`);
  return `## Start-up (whole process, median of ${runs} interleaved runs)

Each run is one process started as a web server starts it (its CGI environment, empty stdin),
timed from spawn to exit. Session scripts run with a cookie of a live session (a return visit).

| process | median ms | × floor | peak RSS MiB | RSS − floor MiB |
|---|---|---|---|---|
${rows.join('\n')}

## Size of the built scripts

| script | bytes |
|---|---|
${sizes.join('\n')}
`;
}

/** A plain Node script that prints what hello.cgi prints, with the same shebang: the floor. */
function writeFloorScript(work, helloFile, env) {
  const output = spawnSync(helloFile, [], { env }).stdout.toString();
  const file = join(work, 'plain.cgi');
  writeFileSync(file, `#!${shebangNode()}\nprocess.stdout.write(${JSON.stringify(output)});\n`);
  chmodSync(file, 0o755);
  return file;
}

/** For a script that sets a session cookie on a first visit, the env of a return visit. */
function withSessionCookie(file, env) {
  const first = spawnSync(file, [], { env }).stdout.toString();
  const cookie = /^Set-Cookie: ([^;\n]+)/im.exec(first.split('\n\n')[0] ?? '')?.[1];
  return cookie ? { ...env, HTTP_COOKIE: cookie } : env;
}
