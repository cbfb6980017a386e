import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSignerWithKey } from '../../src/secrets/signing.js';
import { cookieValue, runScript } from '../helpers/cgi.js';
import { formTokenOf, postForm } from '../helpers/demo-forms.js';
import { tempDir } from '../helpers/temp-dir.js';

const DAY_MS = 86_400_000;

/** A garage of its own: key and sessions folder. */
async function garage() {
  const secret = randomBytes(32).toString('hex');
  const env = { CGI_SECRET: secret, CGI_SESSION_DIR: join(await tempDir(), 'sessions') };
  const signer = createSignerWithKey(Buffer.from(secret));
  const ticket = (enteredAt: number) => signer.sign(JSON.stringify({ id: randomBytes(16).toString('base64url'), number: 123456, enteredAt }));
  return { env, signer, ticket };
}

test('parking.cgi charges per started hour and hands a signed receipt for this script alone', async (t) => {
  const { env, signer, ticket } = await garage();
  const token = await formTokenOf('parking', env);
  const leave = await postForm('parking', env, `ticket=${ticket(Date.now() - 150 * 60_000)}; ${token.cookie}`, { action: 'leave', _csrf: token.field });
  t.is(leave.response.status, 303);
  const receipt = JSON.parse(signer.verify(cookieValue(leave.response, 'receipt'))!) as { cents: number };
  t.is(receipt.cents, 600, 'two and a half hours: three started hours at $2');
  t.regex(leave.response.headerAll('set-cookie').find((c) => c.startsWith('receipt='))!, /; Max-Age=600; Path=\/cgi-bin\/parking\.cgi;/);
  const shown = await runScript('parking', { env: { ...env, HTTP_COOKIE: `receipt=${cookieValue(leave.response, 'receipt')}` } });
  t.regex(shown.response.text, /id="paid">\$6\.00</);
});

test('parking.cgi refuses a ticket older than its lifetime, and a signed value that is no ticket', async (t) => {
  const { env, signer, ticket } = await garage();
  const old = await runScript('parking', { env: { ...env, HTTP_COOKIE: `ticket=${ticket(Date.now() - 8 * DAY_MS)}` } });
  t.is(old.response.status, 403);
  t.regex(old.response.text, /id="refused">This ticket is more than 7 days\s+old/);
  for (const value of ['"a string"', '{"number":1,"enteredAt":1}', '{"id":"../../etc/passwd","number":1,"enteredAt":1}']) {
    const odd = await runScript('parking', { env: { ...env, HTTP_COOKIE: `ticket=${signer.sign(value)}` } });
    t.is(odd.response.status, 403, value);
    t.regex(odd.response.text, /not issued by this garage/);
  }
});

test('parking.cgi forgets spent tickets once they would have expired anyway', async (t) => {
  const { env, ticket } = await garage();
  const spent = join(env.CGI_SESSION_DIR, 'parking-spent');
  await mkdir(spent, { recursive: true });
  const [stale, recent] = ['A', 'B'].map((c) => c.repeat(22));
  await writeFile(join(spent, stale!), '1');
  await writeFile(join(spent, recent!), '1');
  const eightDaysAgo = new Date(Date.now() - 8 * DAY_MS);
  await utimes(join(spent, stale!), eightDaysAgo, eightDaysAgo);
  const token = await formTokenOf('parking', env);
  const leave = await postForm('parking', env, `ticket=${ticket(Date.now())}; ${token.cookie}`, { action: 'leave', _csrf: token.field });
  t.is(leave.response.status, 303);
  const marks = await readdir(spent);
  t.false(marks.includes(stale!), 'a mark older than any valid ticket is gone');
  t.true(marks.includes(recent!));
  t.is(marks.length, 2, 'and the ticket just spent is marked');
});
