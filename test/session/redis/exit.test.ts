// A process using the Redis store ends when its work is done, and leaves no lock behind however
// it ends: child processes, as a CGI script runs, where nothing else keeps the event loop awake.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSessionId } from '../../../src/session/id.js';
import { startRedis } from '../../helpers/redis-server.js';
import { redisTest, sharedRedis } from '../../helpers/redis-test.js';

const test = redisTest();
const holdLock = fileURLToPath(new URL('../../fixtures/redis/hold-lock.ts', import.meta.url));
const ping = fileURLToPath(new URL('../../fixtures/redis/ping.ts', import.meta.url));

const redis = sharedRedis(test);

/** Runs a fixture under tsx; a process that hangs is killed after 60 s (and the test fails). */
function runFixture(file: string, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { encoding: 'utf8', timeout: 60_000 });
}

for (const mode of ['natural', 'exit', 'release']) {
  test(`a process holding a Redis lock ends and leaves no lock (${mode})`, async (t) => {
    const id = await createSessionId();
    const result = runFixture(holdLock, String(redis.server.port), id, mode);
    // The lock lasts 60 s and is renewed every 30 s: a process kept alive by either would be
    // killed by spawnSync's timeout (signal SIGTERM, no status).
    t.is(result.status, 0, result.stderr);
    t.is(result.stdout, 'locked tls-modules=0\n'); // node:tls is loaded only for rediss://.
    // The release sent from an `exit` handler is not awaited by the process: ask until it is in.
    let exists = 1;
    for (let i = 0; i < 50 && exists === 1; i++) {
      exists = Number(await redis.client.command(['EXISTS', `cgi-shim:lock:${id}`]));
      if (exists === 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.is(exists, 0);
    t.is(await redis.client.command(['EXISTS', `cgi-shim:sess:${id}`]), 1);
  });
}

test('a lone process closing its Redis connection lives until it is closed', (t) => {
  // The idle connection does not hold the process, but closing it does: else the process would
  // end before close() resolves, and "closed" would never be printed.
  const result = runFixture(ping, String(redis.server.port));
  t.is(result.stdout, 'PONG\nclosed\n', result.stderr);
});

test('a lone process whose Redis server hangs gets ETIMEDOUT and ends', async (t) => {
  const hung = await startRedis();
  t.teardown(() => hung.dispose());
  hung.pause();
  // Without its own timers firing in a process where nothing else wakes the event loop, it
  // would hang until spawnSync's timeout kills it.
  const result = runFixture(ping, String(hung.port));
  t.is(result.stdout, 'ETIMEDOUT\nclosed\n', result.stderr);
  t.is(result.status, 0);
});
