// The order two holders of one lock get it in: the second only once the first lets go.

import type { ExecutionContext } from 'ava';
import type { SessionLock } from '../../src/session/store.js';

/**
 * Asks for the lock `first` holds (`takeSecond`), lets that waiter try and retry for a while,
 * checks it has not got it, releases `first`, and checks the waiter gets it only then, holding
 * it. Resolves with the second lock, still held.
 */
export async function secondGetsItOnceReleased(t: ExecutionContext, first: SessionLock, takeSecond: () => Promise<SessionLock>): Promise<SessionLock> {
  const events: string[] = [];
  const waiting = takeSecond().then((lock) => {
    events.push('second acquired');
    return lock;
  });
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.deepEqual(events, []);
  events.push('first released');
  await first.release();
  const second = await waiting;
  t.deepEqual(events, ['first released', 'second acquired']);
  await t.notThrowsAsync(second.assertHeld());
  return second;
}
