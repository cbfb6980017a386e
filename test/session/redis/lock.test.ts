// The Redis lock beyond the store contract: what a lost or released lock answers and logs, the
// tokens that tell holders apart, and the scripts' precomputed SHA-1s.
import { createHash } from 'node:crypto';
import { CgiError, ConfigError } from '../../../src/base/errors.js';
import { RedisClient } from '../../../src/session/redis/client.js';
import { createSessionId } from '../../../src/session/id.js';
import { acquireRedisLock, RedisLock, RENEW_SCRIPT, UNLOCK_SCRIPT } from '../../../src/session/redis/lock.js';
import { WRITE_SCRIPT } from '../../../src/session/redis/store.js';
import { startRedis } from '../../helpers/redis-server.js';
import { redisTest, sharedRedis } from '../../helpers/redis-test.js';

const test = redisTest();
/** Long enough that no lock of these tests expires or is renewed while they run. */
const TIMING = { staleMs: 60_000, updateMs: 30_000, waitMs: 0 };

const redis = sharedRedis(test);

test('each script\'s SHA-1 is its source\'s, so EVALSHA finds it without a second round trip', (t) => {
  for (const script of [UNLOCK_SCRIPT, RENEW_SCRIPT, WRITE_SCRIPT]) {
    t.is(script.sha1, createHash('sha1').update(script.source).digest('hex'));
  }
});

test('a lock held elsewhere is refused with ESESSIONLOCKED, naming the lock and the wait', async (t) => {
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const held = await acquireRedisLock(redis.client, key, TIMING, () => {});
  const error = await t.throwsAsync(acquireRedisLock(redis.client, key, { ...TIMING, waitMs: 50 }, () => {}), { instanceOf: CgiError });
  t.is(error!.code, 'ESESSIONLOCKED');
  t.is(error!.message, `session lock ${key} still held after 50 ms`);
  await held.release();
});

test('assertHeld after release is ESESSIONLOCKLOST, and the lock is gone from the server', async (t) => {
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const lock = await acquireRedisLock(redis.client, key, TIMING, () => {});
  await lock.release();
  t.true(lock.released);
  t.is(await redis.client.command(['EXISTS', key]), 0);
  const error = await t.throwsAsync(lock.assertHeld(), { instanceOf: CgiError });
  t.is(error!.code, 'ESESSIONLOCKLOST');
  t.is(error!.message, `session lock ${key} is no longer held (it was released); nothing was written`);
});

test('a lock another holder took: assertHeld is ESESSIONLOCKLOST, logged once, and releasing it leaves the other\'s lock', async (t) => {
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const lines: string[] = [];
  const lock = await acquireRedisLock(redis.client, key, TIMING, (line) => lines.push(line));
  await redis.client.command(['SET', key, 'another holder\'s token']); // As after our lock expired.
  const lost = `session lock ${key} is no longer held (it expired or another process holds it); nothing was written`;
  await t.throwsAsync(lock.assertHeld(), { instanceOf: CgiError, message: lost });
  t.true(lock.compromised);
  const again = await t.throwsAsync(lock.assertHeld(), { instanceOf: CgiError });
  t.is(again!.message, `session lock ${key} is no longer held (it was lost); nothing was written`);
  lock.markCompromised('once more');
  t.deepEqual(lines, [`cgi-shim: session lock ${key} was lost (it expired or another process holds it); the session will not be saved`]);
  await lock.release();
  t.is(await redis.client.command(['GET', key]), 'another holder\'s token');
  await redis.client.command(['DEL', key]);
});

test('a released lock is not marked lost afterwards, and logs nothing', async (t) => {
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const lines: string[] = [];
  const lock = await acquireRedisLock(redis.client, key, TIMING, (line) => lines.push(line));
  await lock.release();
  lock.markCompromised('too late');
  t.false(lock.compromised);
  t.deepEqual(lines, []);
});

test('locks taken at the same moment in one process have tokens of their own', async (t) => {
  const keys = await Promise.all(Array.from({ length: 50 }, async () => `cgi-shim:lock:${await createSessionId()}`));
  const locks = await Promise.all(keys.map((key) => acquireRedisLock(redis.client, key, TIMING, () => {})));
  t.is(new Set(locks.map((lock) => lock.token)).size, 50);
  await Promise.all(locks.map((lock) => lock.release()));
});

test('a database the server does not have is ESESSIONCONFIG (a 500: waiting will not fix it), saying the fix, with its cause', async (t) => {
  const wrong = new RedisClient({ port: redis.server.port, db: 99 });
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const error = await t.throwsAsync(acquireRedisLock(wrong, key, TIMING, () => {}), { instanceOf: ConfigError });
  t.is(error!.code, 'ESESSIONCONFIG');
  t.true(error!.message.startsWith(`cannot lock ${key} on ${wrong.address}: `), error!.message);
  t.true(error!.message.endsWith('; fix: the user, password and database in CGI_SESSION_STORE, and an ACL that lets that user read and write ' +
    'the store\'s keys (SECURITY.md, Redis)'), error!.message);
  t.regex(String((error!.cause as Error).message), /DB index is out of range/);
  await wrong.close();
});

/** A client of a port where nothing listens: every command fails (ECONNREFUSED). */
function downClient(): RedisClient {
  return new RedisClient({ port: 1 });
}

/** Waits until `lines` holds a line matching `pattern`: an event, however long the machine takes. */
async function logged(lines: string[], pattern: RegExp): Promise<string> {
  for (;;) {
    const line = lines.find((entry) => pattern.test(entry));
    if (line !== undefined) return line;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a server that cannot be reached: taking or checking a lock is ESESSIONSTORE (a 503) naming it; a release that fails is logged', async (t) => {
  const client = downClient();
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const taking = await t.throwsAsync(acquireRedisLock(client, key, TIMING, () => {}), { instanceOf: CgiError });
  t.is(taking!.code, 'ESESSIONSTORE');
  t.true(taking!.message.startsWith(`cannot lock ${key} on ${client.address}: `), taking!.message);
  t.not(taking!.cause, undefined);
  const lines: string[] = [];
  const lock = new RedisLock(client, key, 'a token', TIMING, (line) => lines.push(line)); // As if the server went down since.
  const checking = await t.throwsAsync(lock.assertHeld(), { instanceOf: CgiError });
  t.is(checking!.code, 'ESESSIONSTORE');
  t.true(checking!.message.startsWith(`cannot check lock ${key} on ${client.address}: `), checking!.message);
  await lock.release();
  t.is(lines.length, 1);
  t.regex(lines[0]!, new RegExp(`^cgi-shim: releasing session lock ${key} failed \\(.+\\); it expires by itself$`));
  await client.close();
});

test('a held lock whose renewal fails says so in the log, at its first failure and only then', async (t) => {
  t.timeout(30_000); // A renewal that never comes fails the test instead of hanging it.
  const client = downClient();
  let failures = 0;
  const evalScript = client.evalScript.bind(client);
  client.evalScript = (...args) => evalScript(...args).catch((error: unknown) => {
    failures++;
    throw error;
  });
  const lines: string[] = [];
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const lock = new RedisLock(client, key, 'a token', { staleMs: 2000, updateMs: 1000, waitMs: 0 }, (line) => lines.push(line));
  while (failures < 1) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setImmediate(resolve)); // The lock's own handler of that failure.
  t.is(lines.length, 1, 'the first failure is logged');
  t.regex(lines[0]!, new RegExp(`^cgi-shim: renewing session lock ${key} failed: `));
  while (failures < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  await new Promise((resolve) => setImmediate(resolve));
  t.is(lines.length, 1, 'the next failures are not');
  await lock.release();
  await client.close();
});

test('a held lock whose renewal finds another holder is marked lost and says why', async (t) => {
  t.timeout(30_000); // A renewal that never comes fails the test instead of hanging it.
  const key = `cgi-shim:lock:${await createSessionId()}`;
  const lines: string[] = [];
  const lock = await acquireRedisLock(redis.client, key, { staleMs: 2000, updateMs: 1000, waitMs: 0 }, (line) => lines.push(line));
  await redis.client.command(['SET', key, 'another holder\'s token']); // As after our lock expired.
  t.is(await logged(lines, /was lost/), `cgi-shim: session lock ${key} was lost (it expired before it was renewed); the session will not be saved`);
  t.true(lock.compromised);
  await lock.release();
  await redis.client.command(['DEL', key]);
});

test('a server that wants a password none was given for is ESESSIONCONFIG (NOAUTH), not a 503 to wait out', async (t) => {
  const guarded = await startRedis({ config: ['requirepass a-password'] });
  t.teardown(() => guarded.dispose());
  const client = new RedisClient({ port: guarded.port });
  const error = await t.throwsAsync(acquireRedisLock(client, `cgi-shim:lock:${await createSessionId()}`, TIMING, () => {}), { instanceOf: ConfigError });
  t.is(error!.code, 'ESESSIONCONFIG');
  await client.close();
});
