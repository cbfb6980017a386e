// ava's `test` for the files of Redis tests: where redis-server is missing they are skipped,
// loudly; on CI (CI=true) never.

import test, { type TestFn } from 'ava';
import { existsSync } from 'node:fs';
import { RedisClient } from '../../src/session/redis/client.js';
import { REDIS_MISSING, REDIS_SERVER, startRedis, type RedisServer } from './redis-server.js';

/**
 * ava's `test` for a file of Redis tests. Where redis-server is missing it says so loudly and
 * skips every test of the file (ava then runs none of its hooks either); on CI (CI=true) it
 * never skips, and startRedis (redis-server.ts) fails with how to install it.
 */
export function redisTest(): TestFn {
  if (existsSync(REDIS_SERVER) || process.env.CI === 'true') return test;
  console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPED: ${REDIS_MISSING}\n${'!'.repeat(100)}\n`);
  const note = (title: string) => `${title} (skipped: redis-server is not installed)`;
  // Only what the Redis test files use: test(), test.serial(), and hooks (which ava does not run
  // when every test of a file is skipped).
  const skipping = Object.assign((title: string) => test.skip(note(title), () => {}), {
    serial: (title: string) => test.serial.skip(note(title), () => {}),
    before: test.before,
    after: test.after,
  });
  return skipping as unknown as TestFn;
}

/** A redis-server and a client of it for the tests of one file (`test` from redisTest): started
 * before them, stopped after them. Read its fields inside the tests. */
export function sharedRedis(test: TestFn): { server: RedisServer; client: RedisClient } {
  const shared = {} as { server: RedisServer; client: RedisClient };
  test.before(async () => {
    shared.server = await startRedis();
    shared.client = new RedisClient({ port: shared.server.port });
  });
  test.after.always(async () => {
    await shared.client?.close();
    await shared.server?.dispose();
  });
  return shared;
}
