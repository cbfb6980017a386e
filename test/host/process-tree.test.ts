import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { findStragglers, outputPipes, peerSockets } from '../../src/host/process-tree.js';

/** A child that sleeps with its stdout and stderr on sockets to us, as a script's are; killed
 * when the test ends. */
function sleeper(t: ExecutionContext): ChildProcess {
  const child = spawn('/bin/sleep', ['30'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  return child;
}

test('findStragglers finds a process holding one of the pipes, or with holdsAll only one holding every one', (t) => {
  const child = sleeper(t);
  const pipes = outputPipes(child.pid!);
  t.is(pipes.length, 2);
  t.deepEqual(findStragglers(pipes), [child.pid]);
  t.deepEqual(findStragglers(pipes, undefined, true), [child.pid]);
  const halfOurs = [pipes[0]!, 'socket:[1]'];
  t.deepEqual(findStragglers(halfOurs), [child.pid]);
  t.deepEqual(findStragglers(halfOurs, undefined, true), []);
});

test('peerSockets names a child\'s output sockets from our ends of them', (t) => {
  // The kernel numbers the two ends of a pair one after the other, but a new batch of numbers
  // may start between them (about one pair in 500): nearly every pair, not every one.
  let named = 0;
  for (let i = 0; i < 20; i++) {
    const child = sleeper(t);
    if (JSON.stringify(peerSockets([child.stdout!, child.stderr!])) === JSON.stringify(outputPipes(child.pid!))) named++;
    child.kill('SIGKILL');
  }
  t.true(named >= 18, `${named} of 20`);
  t.deepEqual(peerSockets([new PassThrough()]), [], 'a stream that is no socket names nothing');
});
