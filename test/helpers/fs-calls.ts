// Records calls to node:fs functions made by the code under test, which imports them as ES
// module names: syncBuiltinESMExports makes those names see the recording stand-ins.

import { createRequire, syncBuiltinESMExports } from 'node:module';

type Fs = typeof import('node:fs');

/** Runs `body` and resolves with one entry per call it made to the named node:fs functions, in
 * order: `describe(name, args)`, by default the name. Use it in serial tests: calls of anything
 * else running at the time are recorded too. */
export async function recordFsCalls(names: ReadonlyArray<keyof Fs>, body: () => Promise<void>,
  describe: (name: string, args: unknown[]) => string = (name) => name): Promise<string[]> {
  const fs = createRequire(import.meta.url)('node:fs') as Record<string, unknown>;
  const real = new Map(names.map((name) => [name, fs[name] as (...args: unknown[]) => unknown]));
  const calls: string[] = [];
  for (const [name, original] of real) {
    fs[name] = (...args: unknown[]) => {
      calls.push(describe(name, args));
      return original(...args);
    };
  }
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    for (const [name, original] of real) fs[name] = original;
    syncBuiltinESMExports();
  }
  return calls;
}

/** Runs `body` and resolves with how many times it called the named node:fs functions. */
export async function countFsCalls(names: ReadonlyArray<keyof Fs>, body: () => Promise<void>): Promise<number> {
  return (await recordFsCalls(names, body)).length;
}
