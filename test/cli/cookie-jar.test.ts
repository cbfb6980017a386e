import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cookie } from 'tough-cookie';
import { formatJarLine, parseJarLine } from '../../src/cli/cookie-jar.js';
import { runCli } from '../helpers/cli.js';
import { startTestHost } from '../helpers/host.js';
import { tempDir } from '../helpers/temp-dir.js';

const CURL = '/usr/bin/curl';

/** A script that sets cookies of every kind when asked (`?set`), and always answers with the
 * Cookie header it got. */
const JAR_SCRIPT = `#!/bin/sh
printf 'Content-Type: text/plain\\n'
if [ "$QUERY_STRING" = set ]; then
  printf 'Set-Cookie: a=1; Path=/\\n'
  printf 'Set-Cookie: deep=2; Path=/cgi-bin/other/\\n'
  printf 'Set-Cookie: browser=3\\n'
  printf 'Set-Cookie: gone=4; Max-Age=0\\n'
  printf 'Set-Cookie: later=5; Max-Age=3600; HttpOnly\\n'
fi
printf '\\n%s' "$HTTP_COOKIE"
`;
/** What the script's Cookie header holds after `?set`, in any order. */
const SENT_AFTER_SET = ['a=1', 'browser=3', 'later=5'];

function pairs(header: string): string[] {
  return header.split(';').map((pair) => pair.trim()).filter((pair) => pair !== '').sort();
}

test('parseJarLine reads curl\'s lines: host-only or domain, HttpOnly, secure, session or persistent', (t) => {
  t.like(parseJarLine('#HttpOnly_localhost\tFALSE\t/\tFALSE\t0\tsid\tabc', 'x'), {
    key: 'sid', value: 'abc', domain: 'localhost', hostOnly: true, httpOnly: true, secure: false, path: '/', expires: 'Infinity',
  });
  const persistent = parseJarLine('.example.org\tTRUE\t/cgi-bin/\tTRUE\t2000000000\tflavor\t', 'x');
  t.like(persistent, { domain: 'example.org', hostOnly: false, secure: true, value: '', path: '/cgi-bin/' });
  t.deepEqual(persistent?.expires, new Date(2_000_000_000_000));
  t.is(parseJarLine('# Netscape HTTP Cookie File', 'x'), undefined);
  t.is(parseJarLine('', 'x'), undefined);
});

test('parseJarLine refuses a line that is not seven tab-separated fields', (t) => {
  for (const line of ['localhost FALSE / FALSE 0 sid abc', 'localhost\tMAYBE\t/\tFALSE\t0\tsid\tabc', 'localhost\tFALSE\t/\tFALSE\tsoon\tsid\tabc', 'localhost\tFALSE\t/\tFALSE\t0\tsid']) {
    t.throws(() => parseJarLine(line, 'jar:3'), { instanceOf: TypeError, message: /^jar:3: not a line of a Netscape cookie file/ }, line);
  }
});

test('formatJarLine writes what parseJarLine reads', (t) => {
  for (const line of ['#HttpOnly_localhost\tFALSE\t/\tFALSE\t0\tsid\tabc\n', '.example.org\tTRUE\t/x/\tTRUE\t2000000000\tk\tv\n']) {
    t.is(formatJarLine(new Cookie(parseJarLine(line.trimEnd(), 'x'))), line);
  }
});

test('cgi-shim run --cookie-jar keeps cookies between runs by tough-cookie\'s rules, and drops the expired', async (t) => {
  const dir = await tempDir();
  const script = join(dir, 'jar.cgi');
  await writeFile(script, JAR_SCRIPT);
  await chmod(script, 0o755);
  const jar = join(dir, 'jar.txt');
  await writeFile(jar, [
    'localhost\tFALSE\t/\tFALSE\t1000000000\tstale\told', // Expired in 2001.
    '.example.org\tTRUE\t/\tFALSE\t0\tother\thost', // Another site's.
    'localhost\tFALSE\t/elsewhere/\tFALSE\t0\tpath\tmiss', // Another path.
    '',
  ].join('\n'));
  const first = await runCli(['run', script, '--query', 'set', '--cookie-jar', jar, '--body-only']);
  t.is(first.code, 0, first.stderr);
  t.is(first.stdout.toString(), '', 'nothing of the jar matched the first request');
  const second = await runCli(['run', script, '--cookie-jar', jar, '--cookie', 'extra=6', '--body-only']);
  t.deepEqual(pairs(second.stdout.toString()), [...SENT_AFTER_SET, 'extra=6'].sort());
  const saved = await readFile(jar, 'utf8');
  t.regex(saved, /^# Netscape HTTP Cookie File\n/);
  t.notRegex(saved, /\tstale\t|\tgone\t/, 'expired cookies are not written back');
  t.regex(saved, /^\.example\.org\tTRUE\t\/\tFALSE\t0\tother\thost$/m, 'other sites\' cookies are kept');
  t.regex(saved, /^#HttpOnly_localhost\tFALSE\t\/cgi-bin\tFALSE\t[1-9][0-9]{9}\tlater\t5$/m, 'HttpOnly, and Max-Age as a time');
  t.regex(saved, /^localhost\tFALSE\t\/cgi-bin\tFALSE\t0\tbrowser\t3$/m, 'no Path: the default path, a browser-session cookie');
  t.is((await stat(jar)).mode & 0o777, 0o600, 'cookies are credentials: the jar is private');
});

test('cgi-shim run --cookie-jar refuses a file that is not a cookie jar', async (t) => {
  const dir = await tempDir();
  const jar = join(dir, 'jar.txt');
  await writeFile(jar, 'sid=abc\n');
  const run = await runCli(['run', 'hello', '--cookie-jar', jar]);
  t.is(run.code, 2);
  t.regex(run.stderr, /cannot use --cookie-jar .*jar\.txt:1: not a line of a Netscape cookie file/);
});

if (!existsSync(CURL)) {
  const message = 'curl is not installed, so the cookie jar cannot be tried with curl. Install it with: sudo apt-get install curl';
  if (process.env.CI === 'true') test('cookie jar: curl is installed (required on CI)', (t) => t.fail(message));
  else {
    console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPED: ${message}\n${'!'.repeat(100)}\n`);
    test.skip('cookie jar: curl and cgi-shim run share one jar, both ways (not installed: curl)', () => {});
  }
} else {
  test('cookie jar: curl reads what cgi-shim run wrote, and cgi-shim run reads what curl wrote', async (t) => {
    const host = await startTestHost(t);
    const script = join(host.dir, 'jar.cgi');
    await writeFile(script, JAR_SCRIPT);
    await chmod(script, 0o755);
    const url = `http://localhost:${new URL(host.url).port}/cgi-bin/jar.cgi`;
    const curl = async (...args: string[]) => (await promisify(execFile)(CURL, ['-sS', ...args])).stdout;

    const ours = join(host.base, 'ours.txt');
    t.is((await runCli(['run', script, '--query', 'set', '--cookie-jar', ours])).code, 0);
    t.deepEqual(pairs(await curl('-b', ours, '-c', ours, url)), SENT_AFTER_SET, 'curl sends what cgi-shim run stored');
    t.deepEqual(pairs((await runCli(['run', script, '--cookie-jar', ours, '--body-only'])).stdout.toString()), SENT_AFTER_SET,
      'and cgi-shim run reads the jar curl wrote back');

    const theirs = join(host.base, 'theirs.txt');
    await curl('-c', theirs, `${url}?set`);
    t.deepEqual(pairs((await runCli(['run', script, '--cookie-jar', theirs, '--body-only'])).stdout.toString()), SENT_AFTER_SET,
      'cgi-shim run sends what curl stored');
    t.deepEqual(pairs(await curl('-b', theirs, url)), SENT_AFTER_SET, 'and curl reads the jar cgi-shim run wrote back');
  });
}
