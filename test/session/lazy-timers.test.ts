import test from 'ava';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { LazyTimeout, withLazyTimers } from '../../src/session/lazy-timers.js';

test.serial('a timer set inside withLazyTimers is lazy, and the globals are restored', (t) => {
  const realSet = globalThis.setTimeout;
  const realClear = globalThis.clearTimeout;
  const timer = withLazyTimers(() => setTimeout(() => t.fail('cleared timer fired'), 10));
  t.true(timer instanceof LazyTimeout);
  t.is(globalThis.setTimeout, realSet);
  t.is(globalThis.clearTimeout, realClear);
  withLazyTimers(() => clearTimeout(timer));
});

test.serial('a lazy timer becomes real when the event loop turns, for the time that remains', async (t) => {
  const delays: number[] = [];
  let realCallback: (() => void) | undefined;
  // A stand-in for Node's setTimeout, so what the lazy timer asks of it is seen, not timed.
  const fakeSetTimeout = ((callback: () => void, ms: number) => {
    delays.push(ms);
    realCallback = callback;
    return { ref() {}, unref() {} };
  }) as unknown as typeof setTimeout;
  let fired = 0;
  const timer = new LazyTimeout(() => { fired++; }, 50, fakeSetTimeout);
  t.false(timer.isReal);
  t.deepEqual(delays, []);
  await nextTurn();
  t.true(timer.isReal);
  t.is(delays.length, 1);
  t.true(delays[0]! >= 0 && delays[0]! <= 50, `asked for ${delays[0]} ms`);
  t.is(fired, 0);
  realCallback!();
  t.is(fired, 1);
});

test.serial('a lazy timer made with withLazyTimers fires once', async (t) => {
  let fired = 0;
  await new Promise<void>((resolve) => {
    withLazyTimers(() => setTimeout(() => {
      fired++;
      resolve();
    }, 20));
  });
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.is(fired, 1);
});

test.serial('clearing a lazy timer works before and after it became real', async (t) => {
  const early = withLazyTimers(() => setTimeout(() => t.fail('timer cleared before the loop turned fired'), 20));
  withLazyTimers(() => clearTimeout(early));
  const late = withLazyTimers(() => setTimeout(() => t.fail('timer cleared after the loop turned fired'), 40)) as unknown as LazyTimeout;
  await nextTurn();
  t.true(late.isReal);
  withLazyTimers(() => clearTimeout(late as unknown as NodeJS.Timeout));
  withLazyTimers(() => clearTimeout(late as unknown as NodeJS.Timeout)); // Twice is harmless.
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.pass();
});

test.serial('clearTimeout inside withLazyTimers still clears a real timer', async (t) => {
  const real = setTimeout(() => t.fail('real timer fired'), 20);
  withLazyTimers(() => clearTimeout(real));
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.pass();
});

test.serial('an unref\'d lazy timer keeps the process alive neither before nor after it becomes real', async (t) => {
  const timer = withLazyTimers(() => setTimeout(() => {}, 5000).unref()) as unknown as LazyTimeout;
  t.false(timer.hasRef());
  t.false(process.getActiveResourcesInfo().includes('Immediate'), 'the waiting immediate is unref\'d');
  await nextTurn();
  t.true(timer.isReal);
  t.false(process.getActiveResourcesInfo().includes('Timeout'), 'the real timer is unref\'d');
  timer.ref();
  t.true(process.getActiveResourcesInfo().includes('Timeout'));
  withLazyTimers(() => clearTimeout(timer as unknown as NodeJS.Timeout));
});
