// The Redis lock beyond the store contract: what a lost or released lock answers and logs, the
// tokens that tell holders apart, and the scripts' precomputed SHA-1s.
import { createHash } from 'node:crypto';
import { CgiError, ConfigError } from '../../../src/base/errors.js';
import { RedisClient } from '../../../src/session/redis/client.js';
import { createSessionId } from '../../../src/session/id.js';
import { acquireRedisLock, RENEW_SCRIPT, UNLOCK_SCRIPT } from '../../../src/session/redis/lock.js';
import { WRITE_SCRIPT } from '../../../src/session/redis/store.js';
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
