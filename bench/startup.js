// Start-up: whole-process wall time and peak memory of built scripts run as a server runs them,
// beside the floor (a plain Node script printing the same response, same shebang) and `node -e 0`,
// and counter.cgi again with its sessions in a redis-server started here; and the size of every
// built script.

import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { REDIS_SERVER, startRedis } from '../test/helpers/redis-server.js';
import { cgiEnv, cookieFromOutput, fixed, peakMemoryKiB, timeProcesses } from './lib.js';

const SCRIPTS = ['hello', 'counter', 'questionnaire'];
const FLOOR = 'plain Node script (floor)';
/** The name of the Redis candidate in the table, for the goal. */
export const COUNTER_REDIS = 'counter.cgi, sessions in Redis';

/** Runs the start-up and size sections; resolves with Markdown, ratios to the floor and the
 * largest extra peak memory of a script over the floor. */
export async function benchStartup({ distDir, runs }) {
  const work = mkdtempSync(join(tmpdir(), 'cgi-shim-bench-startup-'));
  // The same built counter.cgi with CGI_SESSION_STORE: TCP to 127.0.0.1, no persistence.
  const redis = existsSync(REDIS_SERVER) ? await startRedis() : undefined;
  try {
    const env = cgiEnv(join(work, 'sessions'));
    const scripts = SCRIPTS.filter((name) => existsSync(join(distDir, `${name}.cgi`)))
      .map((name) => ({ name: `${name}.cgi`, file: join(distDir, `${name}.cgi`), env: withSessionCookie(join(distDir, `${name}.cgi`), env) }));
    if (redis !== undefined) {
      // A copy: each copy keeps its own code cache, as a server keeping its sessions in Redis would.
      const file = join(work, 'redis', 'counter.cgi');
      mkdirSync(dirname(file));
      copyFileSync(join(distDir, 'counter.cgi'), file);
      copyFileSync(join(distDir, 'package.json'), join(work, 'redis', 'package.json'));
      scripts.push({ name: COUNTER_REDIS, file, env: withSessionCookie(file, { ...env, CGI_SESSION_STORE: redis.url }) });
    }
    const node = shebangOf(join(distDir, 'hello.cgi'));
    const floor = { name: FLOOR, file: writeFloorScript(work, join(distDir, 'hello.cgi'), node, env), env };
    const bare = { name: 'node -e 0', file: node, args: ['-e', '0'], env };
    const candidates = [floor, bare, ...scripts];
    const times = timeProcesses(candidates, { runs });
    const floorMs = times.get(FLOOR);
    const memory = new Map(candidates.map((c) => [c.name, peakMemoryKiB(c)]));
    const floorKiB = memory.get(FLOOR);
    const rows = candidates.map((c) => {
      const kib = memory.get(c.name);
      return `| ${c.name} | ${fixed(times.get(c.name))} | ${fixed(times.get(c.name) / floorMs, 3)} | ` +
        `${kib === undefined ? 'n/a' : fixed(kib / 1024)} | ${kib === undefined ? 'n/a' : fixed((kib - floorKiB) / 1024)} |`;
    });
    const built = readdirSync(distDir).filter((name) => name.endsWith('.cgi')).sort();
    const sizes = built.map((name) => `| ${name} | ${statSync(join(distDir, name)).size.toLocaleString('en')} |`);
    const extras = scripts.map((s) => (memory.get(s.name) ?? NaN) - floorKiB).map((kib) => kib / 1024);
    const markdown = `## Start-up (whole process, median of ${runs} interleaved runs)

Each run is one process started as a web server starts it (its CGI environment, empty stdin),
timed from spawn to exit; the candidates take turns, so drift of the machine's load hits all alike.
Session scripts run with the cookie of a live session (a return visit: lock, read, write a
temporary file, fsync it, rename it, fsync the folder, unlock: the default durable save). "${COUNTER_REDIS}" is the same
counter.cgi with \`CGI_SESSION_STORE\` naming a redis-server on 127.0.0.1 (TCP, no persistence)
started by the bench (a copy of the file, with its own code cache): connect, lock, read, write,
unlock, five round trips.${redis === undefined ? ' **Not measured: redis-server is not installed.**' : ''} Built scripts run with their code
cache warm, as on a server after its first few requests (src/build/code-cache.ts). The floor prints the same bytes as hello.cgi with the same shebang in
the fastest way plain Node has: \`require('node:fs').writeSync(1, …)\` (process.stdout would load
the stream machinery). Peak memory is the maximum resident set (GNU time), median of 5 runs.

| process | median ms | × floor | peak RSS MiB | RSS − floor MiB |
|---|---|---|---|---|
${rows.join('\n')}

## Size of the built scripts

| script | bytes |
|---|---|
${sizes.join('\n')}
`;
    return { markdown, ratio: (name) => times.get(name) / floorMs, worstExtraMiB: Math.max(...extras) };
  } finally {
    await redis?.dispose();
    rmSync(work, { recursive: true, force: true });
  }
}

/** A plain Node script that prints what hello.cgi prints, with the same shebang: the floor. */
function writeFloorScript(work, helloFile, node, env) {
  const output = spawnSync(helloFile, [], { env }).stdout.toString();
  const file = join(work, 'plain.cgi');
  writeFileSync(file, `#!${node}\nrequire('node:fs').writeSync(1, ${JSON.stringify(output)});\n`);
  chmodSync(file, 0o755);
  // Beside the built scripts' own package.json: both are loaded as CommonJS in the same way.
  writeFileSync(join(work, 'package.json'), '{ "type": "commonjs" }\n');
  return file;
}

/** The Node a built script's shebang names. */
function shebangOf(file) {
  return readFileSync(file, 'latin1').split('\n', 1)[0].slice(2).trim();
}

/** For a script that sets a session cookie on a first visit, the env of a return visit. The
 * questionnaire is then started, as its button does (a POST with the session's CSRF token), so
 * each visit asks a question. */
function withSessionCookie(file, env) {
  const first = spawnSync(file, [], { env }).stdout;
  const cookie = cookieFromOutput(first);
  if (!cookie) return env;
  const returning = { ...env, HTTP_COOKIE: cookie };
  if (file.endsWith('questionnaire.cgi')) {
    const token = /name="_csrf" value="([^"]+)"/.exec(first.toString())?.[1] ?? '';
    const body = `action=start&_csrf=${encodeURIComponent(token)}`;
    const form = { REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: String(body.length) };
    spawnSync(file, [], { env: { ...returning, ...form }, input: body });
  }
  return returning;
}
