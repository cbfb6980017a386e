import test from 'ava';
import { randomBytes, scryptSync } from 'node:crypto';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { hashPassword, verifyPassword } from '../../src/secrets/passwords.js';

test('hashPassword makes a salted, self-describing hash that verifyPassword accepts', async (t) => {
  const hash = await hashPassword('correct horse battery');
  t.regex(hash, /^scrypt:16384:8:1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{43}$/);
  t.not(hash, await hashPassword('correct horse battery'));
  t.true(await verifyPassword('correct horse battery', hash));
});

test('verifyPassword refuses a wrong password', async (t) => {
  t.false(await verifyPassword('wrong', await hashPassword('right one')));
});

test('verifyPassword refuses unknown users and malformed hashes without throwing', async (t) => {
  t.false(await verifyPassword('anything', undefined));
  for (const bad of ['', 'plain', 'scrypt:3:8:1:AAAAAAAAAAAAAAAAAAAAAA:' + 'A'.repeat(43), 'scrypt:1048576:8:1:AAAAAAAAAAAAAAAAAAAAAA:' + 'A'.repeat(43)]) {
    t.false(await verifyPassword('anything', bad), bad);
  }
});

test('verifyPassword checks the demo users file format', async (t) => {
  t.true(await verifyPassword('analytical-engine', 'scrypt:16384:8:1:2ZgY_nIK8lh-Ct8mw89Npg:nhLBJNoXb5FSx0yZ7NfgwTMSIt0UEfTs5WZeq0EtJu0'));
});

/** A hash as another tool (or a later version of ours) would store it, with its own cost. */
function hashWithCost(password: string, N: number, r: number, p: number): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return `scrypt:${N}:${r}:${p}:${salt.toString('base64url')}:${key.toString('base64url')}`;
}

test('verifyPassword uses the cost a hash names, up to 64 MiB and p = 4', async (t) => {
  t.true(await verifyPassword('pw', hashWithCost('pw', 1024, 16, 2)), 'other N, r and p, two-digit r');
  t.true(await verifyPassword('pw', hashWithCost('pw', 65536, 8, 1)), '128 · N · r exactly 64 MiB');
  t.true(await verifyPassword('pw', hashWithCost('pw', 1024, 8, 4)), 'p = 4');
  // Over the caps, a stored hash is refused before any work (a tampered file must not make a
  // log-in cost seconds of CPU), even when it is right.
  t.false(await verifyPassword('pw', hashWithCost('pw', 1024, 8, 5)), 'p = 5');
});

test('verifyPassword refuses a hash with text around it, or a cost scrypt refuses, without throwing', async (t) => {
  const good = hashWithCost('pw', 1024, 8, 1);
  t.false(await verifyPassword('pw', `x${good}`));
  t.false(await verifyPassword('pw', `${good}\n`));
  t.false(await verifyPassword('pw', good.replace('scrypt:1024:', 'scrypt:1000:')), 'N not a power of two');
});

type ScryptCallback = (error: Error | null, key: Buffer) => void;

/** Runs `body` with node:crypto's scrypt replaced by `standIn` (which passwords.ts imports as an
 * ES module name: syncBuiltinESMExports makes that name see it). Serial tests only. */
async function withScrypt(standIn: (...args: unknown[]) => void, body: () => Promise<void>): Promise<void> {
  const crypto = createRequire(import.meta.url)('node:crypto') as Record<string, unknown>;
  const real = crypto.scrypt;
  crypto.scrypt = standIn;
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    crypto.scrypt = real;
    syncBuiltinESMExports();
  }
}

test.serial('verifyPassword refuses a hash over the memory cap before scrypt starts, whatever N and r make it', async (t) => {
  let calls = 0;
  await withScrypt((...args) => {
    calls++;
    (args.at(-1) as ScryptCallback)(null, Buffer.alloc(32));
  }, async () => {
    // 128 · N · r: 128 MiB as 2^17 · 8, and as 2^14 · 64; each is refused with no scrypt call.
    t.false(await verifyPassword('pw', `scrypt:131072:8:1:${'A'.repeat(22)}:${'A'.repeat(43)}`));
    t.false(await verifyPassword('pw', `scrypt:16384:64:1:${'A'.repeat(22)}:${'A'.repeat(43)}`));
    t.is(calls, 0);
    t.true(await verifyPassword('pw', `scrypt:1024:8:1:${'A'.repeat(22)}:${'A'.repeat(43)}`), 'under the cap, the stand-in\'s key is compared');
    t.is(calls, 1);
  });
});

test.serial('verifyPassword answers false when scrypt fails, and never matches an unknown user, whatever scrypt returns', async (t) => {
  await withScrypt((...args) => (args.at(-1) as ScryptCallback)(new Error('out of memory'), Buffer.alloc(0)), async () => {
    t.false(await verifyPassword('pw', `scrypt:1024:8:1:${'A'.repeat(22)}:${'A'.repeat(43)}`));
  });
  // The dummy check compares with zeros: even a key of zeros must not let an unknown user in.
  await withScrypt((...args) => (args.at(-1) as ScryptCallback)(null, Buffer.alloc(32)), async () => {
    t.false(await verifyPassword('pw', undefined));
    t.true(await verifyPassword('pw', `scrypt:1024:8:1:${'A'.repeat(22)}:${'A'.repeat(43)}`), 'the stand-in is used');
  });
});
