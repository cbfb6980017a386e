// Counts calls to node:fs functions made by the code under test, which imports them as ES
// module names: syncBuiltinESMExports makes those names see the counting stand-ins.

import { createRequire, syncBuiltinESMExports } from 'node:module';

type Fs = typeof import('node:fs');

/** Runs `body` and resolves with how many times it called the named node:fs functions. Use it
 * in serial tests: calls of anything else running at the time are counted too. */
export async function countFsCalls(names: ReadonlyArray<keyof Fs>, body: () => Promise<void>): Promise<number> {
  const fs = createRequire(import.meta.url)('node:fs') as Record<string, unknown>;
  const real = new Map(names.map((name) => [name, fs[name] as (...args: unknown[]) => unknown]));
  let calls = 0;
  for (const [name, original] of real) fs[name] = (...args: unknown[]) => { calls++; return original(...args); };
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    for (const [name, original] of real) fs[name] = original;
    syncBuiltinESMExports();
  }
  return calls;
}
