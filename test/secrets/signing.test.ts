import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSigner } from '../../src/index.js';
import { CgiError, ConfigError, HttpError } from '../../src/base/errors.js';
import { createSignerWithKey } from '../../src/secrets/signing.js';
import { fillUp, mountSmallDisk } from '../helpers/full-disk.js';
import { tempDir } from '../helpers/temp-dir.js';
import { IS_ROOT, NOBODY } from '../helpers/users.js';

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
  t.deepEqual(await readdir(dir), ['.secret-key'], 'no temporary file is left');
});

test('createSigner refuses a key file others can read', async (t) => {
  const dir = await tempDir();
  const keyFile = join(dir, 'key');
  await writeFile(keyFile, 'x'.repeat(64));
  await chmod(keyFile, 0o644);
  await t.throwsAsync(createSigner({ env: {}, keyFile }), { instanceOf: CgiError, message: /mode 0644 lets others read or write it; fix: chmod 600 / });
});

test('createSigner refuses a key file that is not what the runtime writes: a session file renamed to it', async (t) => {
  const dir = await tempDir();
  const keyFile = join(dir, '.secret-key');
  // The attack: this JSON's text base64url-decodes to 42 bytes, which passed as a key.
  await writeFile(keyFile, '{"v":1,"createdAt":1700000000000,"touchedAt":1700000000000,"data":{"visits":3}}\n', { mode: 0o600 });
  const error = await t.throwsAsync(createSigner({ env: {}, dir }), { instanceOf: ConfigError });
  t.is(error?.code, 'ESECRET');
  t.is(error?.message, `cannot use the signing key file ${keyFile}: it holds 80 bytes, not 32 bytes as 43 base64url characters, as the ` +
    'runtime writes a key; fix: remove it and the next request makes a new one (values signed with the old key stop verifying), or set CGI_SECRET');
});

test('createSigner refuses a key of another shape: too short, another alphabet, a spare bit set', async (t) => {
  const dir = await tempDir();
  const keyFile = join(dir, 'key');
  const good = randomBytes(32).toString('base64url');
  // The last of 43 characters carries 4 bits of the key and 2 spare ones, which are zero: its
  // place in the alphabet is a multiple of 4. The next character decodes to the same key.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const spareBitSet = good.slice(0, 42) + alphabet[alphabet.indexOf(good.at(-1)!) + 1]!;
  for (const text of [good.slice(1), `${good.slice(0, 42)}+`, spareBitSet, `${good}\n\n`, ` ${good}`, `${good}A`]) {
    await writeFile(keyFile, text, { mode: 0o600 });
    await t.throwsAsync(createSigner({ env: {}, keyFile }), { instanceOf: ConfigError, message: /not 32 bytes as 43 base64url characters/ }, JSON.stringify(text));
  }
  // Exactly what the runtime writes, with or without a final line break (a file written by hand).
  for (const text of [good, `${good}\n`]) {
    await writeFile(keyFile, text, { mode: 0o600 });
    const signer = await createSigner({ env: {}, keyFile });
    t.is(createSignerWithKey(Buffer.from(good, 'base64url')).verify(signer.sign('v')), 'v');
  }
});

if (IS_ROOT) {
  test('createSigner refuses a key file of another user, even one closed to others', async (t) => {
    const dir = await tempDir();
    const keyFile = join(dir, 'key');
    await writeFile(keyFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
    await chown(keyFile, NOBODY, NOBODY);
    await t.throwsAsync(createSigner({ env: {}, keyFile }), {
      instanceOf: ConfigError,
      message: `cannot use the signing key file ${keyFile}: it is owned by uid ${NOBODY}, not by uid 0 that runs this script; fix: chown 0 ${keyFile}, ` +
        'or remove it and the next request makes a new one (values signed with the old key stop verifying), or set CGI_SECRET',
    });
  });

  test('createSigner refuses a sessions folder of another user before it reads or makes a key there', async (t) => {
    const dir = join(await tempDir(), 'sessions');
    await mkdir(dir, { mode: 0o777 });
    await chown(dir, NOBODY, NOBODY);
    await chmod(dir, 0o777);
    await t.throwsAsync(createSigner({ env: {}, dir }), { instanceOf: ConfigError, message: /is owned by uid 65534, not by uid 0/ });
    t.deepEqual(await readdir(dir), []);
  });

  test('createSigner on a full disk: HttpError 503 with Retry-After, its cause naming the key file it could not make, no file left', async (t) => {
    const dir = join(await tempDir(), 'sessions');
    await mkdir(dir);
    mountSmallDisk(t, dir);
    fillUp(join(dir, 'filler'));
    const error = await t.throwsAsync(createSigner({ env: {}, dir }), { instanceOf: HttpError });
    t.is(error!.status, 503);
    t.true(error!.expose);
    t.deepEqual(error!.headers, { 'Retry-After': '10' });
    t.is(error!.message, 'This page is unavailable for a moment. Please try again later.');
    const cause = error!.cause as CgiError;
    t.is(cause.code, 'ESESSIONSTORE');
    t.true(cause.message.startsWith(`cannot use the signing key file ${dir}/.secret-key: ENOSPC`), cause.message);
    t.deepEqual(await readdir(dir), ['filler']);
  });
} else {
  test.skip('createSigner refuses a key file or folder of another user, and answers 503 on a full disk (needs root to make them)', () => {});
}

test('verify refuses anything before a signed value, and a value not encoded as sign encodes it', (t) => {
  const signer = createSignerWithKey(KEY);
  const signed = signer.sign('a'); // 'YQ.<mac>'
  t.is(signer.verify(signed), 'a');
  t.is(signer.verify(`x!${signed}`), undefined);
  // 'YR' decodes to 'a' too (its spare bits differ): one signature, one encoding.
  t.is(signer.verify(`YR${signed.slice(2)}`), undefined);
});

test('sign refuses a value that is not a string', (t) => {
  t.throws(() => createSignerWithKey(KEY).sign(5 as unknown as string), { instanceOf: TypeError, message: 'argument value is invalid: 5' });
});

test('createSigner treats an empty CGI_SECRET as unset; a short one is a ConfigError ESECRET', async (t) => {
  const dir = await tempDir();
  const signer = await createSigner({ env: { CGI_SECRET: '' }, dir });
  t.deepEqual(await readdir(dir), ['.secret-key']);
  t.is((await createSigner({ env: {}, dir })).verify(signer.sign('v')), 'v');
  const error = await t.throwsAsync(createSigner({ env: { CGI_SECRET: 'x'.repeat(31) }, dir }), { instanceOf: ConfigError });
  t.is(error!.code, 'ESECRET');
});

test('createSigner refuses a key file that is a folder or a symbolic link', async (t) => {
  const dir = await tempDir();
  await mkdir(join(dir, 'folder'));
  const folder = await t.throwsAsync(createSigner({ env: {}, keyFile: join(dir, 'folder') }), { instanceOf: ConfigError });
  t.is(folder!.code, 'ESECRET');
  t.regex(folder!.message, /^cannot use the signing key file .*\/folder: it is not a regular file; fix: remove it/);
  await writeFile(join(dir, 'real'), randomBytes(32).toString('base64url'), { mode: 0o600 });
  await symlink(join(dir, 'real'), join(dir, 'link'));
  const link = await t.throwsAsync(createSigner({ env: {}, keyFile: join(dir, 'link') }), { instanceOf: ConfigError });
  t.is(link!.code, 'ESECRET');
  t.regex(link!.message, /^cannot use the signing key file .*\/link: it is a symbolic link; fix: remove it/);
});

test.serial('createSigner closes the key file it reads', async (t) => {
  const dir = await tempDir();
  await createSigner({ env: {}, dir });
  const open = () => readdirSync('/proc/self/fd').length;
  const before = open();
  await createSigner({ env: {}, dir });
  t.is(open(), before);
});

test('createSigner: a key file it cannot open for another reason than a bad file is a ConfigError ESECRET naming it', async (t) => {
  const dir = await tempDir();
  await writeFile(join(dir, 'file'), '');
  const keyFile = join(dir, 'file', 'key'); // Under a regular file: ENOTDIR.
  const error = await t.throwsAsync(createSigner({ env: {}, keyFile }), { instanceOf: ConfigError });
  t.is(error!.code, 'ESECRET');
  t.true(error!.message.startsWith(`cannot use the signing key file ${keyFile}: ENOTDIR`), error!.message);
});
