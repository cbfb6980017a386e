import test from 'ava';
import { createSessionId, isSessionId } from '../../src/session/id.js';

test('createSessionId makes 43 base64url characters carrying 32 random bytes', async (t) => {
  const id = (await createSessionId());
  t.regex(id, /^[A-Za-z0-9_-]{43}$/);
  t.is(Buffer.from(id, 'base64url').length, 32);
});

test('createSessionId never repeats in 10000 draws', async (t) => {
  const ids = new Set(await Promise.all(Array.from({ length: 10_000 }, createSessionId)));
  t.is(ids.size, 10_000);
});

test('isSessionId accepts what createSessionId makes', async (t) => {
  for (let i = 0; i < 100; i++) t.true(isSessionId((await createSessionId())));
});

const hostile: Array<[string, unknown]> = [
  ['a path', '../../etc/passwd'],
  ['an absolute path', '/etc/passwd'],
  ['a 43-character path', `../../../../../../../../../../../etc/passwd`.padEnd(43, 'a')],
  ['a NUL byte', `${'a'.repeat(42)}\0`],
  ['a trailing newline', `${'a'.repeat(43)}\n`],
  ['one character short', 'a'.repeat(42)],
  ['one character long', 'a'.repeat(44)],
  ['very long', 'a'.repeat(100_000)],
  ['standard base64', `${'a'.repeat(41)}+/`],
  ['padding', `${'a'.repeat(42)}=`],
  ['non-ASCII letters', `${'a'.repeat(42)}é`],
  ['a dot', `${'a'.repeat(42)}.`],
  ['empty', ''],
  ['not a string', 42],
  ['undefined', undefined],
];
for (const [what, value] of hostile) {
  test(`isSessionId rejects ${what}`, (t) => {
    t.false(isSessionId(value));
  });
}
