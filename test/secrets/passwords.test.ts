import test from 'ava';
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
