import test from 'ava';
import { lockRetries, resolveLockTiming } from '../../src/session/lock-timing.js';

test('resolveLockTiming rejects bad values with a TypeError naming the option', (t) => {
  t.throws(() => resolveLockTiming({ staleMs: 1000 }), { instanceOf: TypeError, message: /option staleMs/ });
  t.throws(() => resolveLockTiming({ staleMs: 4000, updateMs: 3000 }), { instanceOf: TypeError, message: /option updateMs/ });
  t.throws(() => resolveLockTiming({ waitMs: -1 }), { instanceOf: TypeError, message: /option waitMs/ });
  t.deepEqual(resolveLockTiming(), { staleMs: 10_000, updateMs: 5000, waitMs: 8000 });
});

test('lockRetries allows no retry with waitMs 0', async (t) => {
  t.false(await lockRetries(0)());
});

test('lockRetries pauses between attempts until waitMs is spent, then says to give up', async (t) => {
  const started = Date.now();
  const retry = lockRetries(300);
  let retries = 0;
  while (await retry()) retries++;
  t.true(Date.now() - started >= 300);
  // Pauses that double from 5 ms up to 200 ms, each a random part of that: several, not hundreds.
  t.true(retries >= 2 && retries < 300, `${retries}`);
});
