import test from 'ava';
import { randomBytes, scryptSync } from 'node:crypto';
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
