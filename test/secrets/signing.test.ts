import test from 'ava';
import { readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { createSigner } from '../../src/index.js';
import { CgiError } from '../../src/base/errors.js';
import { createSignerWithKey } from '../../src/secrets/signing.js';
import { tempDir } from '../helpers/temp-dir.js';

const KEY = 'k'.repeat(32);

test('a signed value verifies to the same value', (t) => {
  const signer = createSignerWithKey(KEY);
  for (const value of ['', 'plate=AB-123;until=1700000000', 'ünïcödé ✓', 'a.b.c']) {
    t.is(signer.verify(signer.sign(value)), value);
  }
});

test('a tampered value, signature or format is rejected', (t) => {
  const signer = createSignerWithKey(KEY);
  const signed = signer.sign('paid=0');
  const [value, mac] = signed.split('.') as [string, string];
  const forged = Buffer.from('paid=1').toString('base64url');
  t.is(signer.verify(`${forged}.${mac}`), undefined);
  t.is(signer.verify(`${value}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`), undefined);
  t.is(signer.verify(`${value}.${mac}x`), undefined);
  t.is(signer.verify(value), undefined);
  t.is(signer.verify(`${value}=.${mac}`), undefined);
  t.is(signer.verify(undefined), undefined);
  t.is(createSignerWithKey('x'.repeat(32)).verify(signed), undefined); // Another key.
});

test('createSignerWithKey refuses a short key', (t) => {
  t.throws(() => createSignerWithKey('short'), { instanceOf: TypeError, message: /argument key/ });
});

test('createSigner uses CGI_SECRET when set', async (t) => {
  const dir = await tempDir();
  const a = await createSigner({ env: { CGI_SECRET: KEY }, dir });
  t.is(createSignerWithKey(KEY).verify(a.sign('v')), 'v');
  await t.throwsAsync(createSigner({ env: { CGI_SECRET: 'short' }, dir }), { instanceOf: CgiError, message: /too short/ });
});

test('createSigner makes a key file with mode 0600 once and reuses it', async (t) => {
  const dir = join(await tempDir(), 'sessions');
  const first = await createSigner({ env: {}, dir });
  const keyFile = join(dir, '.secret-key');
  t.is((await stat(keyFile)).mode & 0o777, 0o600);
  const key = await readFile(keyFile, 'utf8');
  const second = await createSigner({ env: {}, dir });
  t.is(await readFile(keyFile, 'utf8'), key);
  t.is(second.verify(first.sign('v')), 'v');
});

test('createSigner refuses a key file others can read', async (t) => {
  const dir = await tempDir();
  const keyFile = join(dir, 'key');
  await writeFile(keyFile, 'x'.repeat(64));
  await chmod(keyFile, 0o644);
  await t.throwsAsync(createSigner({ env: {}, keyFile }), { instanceOf: CgiError, message: /chmod 600/ });
});
