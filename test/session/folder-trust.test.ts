// The sessions folder of a built script run as a web server runs it: copied alone into a
// root-owned cgi-bin and run as www-data without CGI_SESSION_DIR, facing folders and files of
// other local users, a full disk, a key file that is not one. As root (CI), folders and files
// are made as nobody and scripts run as www-data; otherwise these tests cannot act as others.

import test from 'ava';
import { mkdirSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cookieValue, DIST_CGI_BIN, runScript, type ScriptRun } from '../helpers/cgi.js';
import { buildFixtures } from '../helpers/fixtures.js';
import { fillUp, mountSmallDisk } from '../helpers/full-disk.js';
import { tempDir } from '../helpers/temp-dir.js';
import { IS_ROOT, lookUpUser, NOBODY } from '../helpers/users.js';

if (!IS_ROOT) {
  test.skip('the sessions folder of a script run as www-data (needs root to act as www-data and nobody)', () => {});
} else {
  const www = lookUpUser('www-data');

  /** A fresh folder www-data may pass through, as /srv or /var/lib are. */
  async function openTempDir(): Promise<string> {
    const dir = await tempDir();
    await chmod(dir, 0o755);
    return dir;
  }

  /** Where a web server's temporary folder would be: root's, open to all, sticky. */
  async function systemTmp(root: string): Promise<string> {
    const tmp = join(root, 'tmp');
    await mkdir(tmp);
    await chmod(tmp, 0o1777);
    return tmp;
  }

  /** The one line a script wrote to stderr, failing the test if it wrote more or none. */
  function oneLine(t: import('ava').ExecutionContext, run: ScriptRun): string {
    const lines = run.stderr.split('\n').filter(Boolean);
    t.is(lines.length, 1, run.stderr);
    return lines[0] ?? '';
  }

  test('counter.cgi copied alone into a root-owned cgi-bin works as www-data, keeping sessions in its private folder', async (t) => {
    const root = await openTempDir();
    const cgiBin = join(root, 'cgi-bin');
    await mkdir(cgiBin);
    await copyFile(join(DIST_CGI_BIN, 'counter.cgi'), join(cgiBin, 'counter.cgi'));
    await chmod(join(cgiBin, 'counter.cgi'), 0o755);
    const tmp = await systemTmp(root);
    const run = (cookie?: string) => runScript(join(cgiBin, 'counter.cgi'), {
      env: { TMPDIR: tmp, SCRIPT_NAME: '/cgi-bin/counter.cgi', ...(cookie ? { HTTP_COOKIE: cookie } : {}) }, cwd: cgiBin, user: www,
    });
    const first = await run();
    t.is(first.response.status, 200, first.stderr);
    const folder = join(tmp, `node-cgi-shim-sessions-${www.uid}`);
    t.true(oneLine(t, first).startsWith(`cgi-shim: made the sessions folder ${folder} (mode 0700): no CGI_SESSION_DIR is set`));
    const sid = cookieValue(first.response, 'sid')!;
    const second = await run(`sid=${sid}`);
    t.regex(second.response.text, /id="count">2</);
    t.is(second.stderr, '', 'said once: when the folder was made');
    const info = await stat(folder);
    t.is(info.uid, www.uid);
    t.is(info.mode & 0o777, 0o700);
    t.deepEqual(await readdir(folder), [`${sid}.json`]);
    t.deepEqual(await readdir(cgiBin), ['counter.cgi'], 'nothing beside the script');
  });

  test('a sessions folder of another user, open to all, is refused: 500, one line, nothing read or written', async (t) => {
    const dir = join(await openTempDir(), 'sessions');
    await mkdir(dir);
    await chown(dir, NOBODY, NOBODY);
    await chmod(dir, 0o777);
    // What that user planted to be logged in as grace.
    const id = 'g'.repeat(43);
    await writeFile(join(dir, `${id}.json`), `{"v":1,"createdAt":${Date.now()},"touchedAt":${Date.now()},"data":{"visits":41}}\n`, { mode: 0o600 });
    await chown(join(dir, `${id}.json`), NOBODY, NOBODY);
    const run = await runScript('counter', { env: { CGI_SESSION_DIR: dir, HTTP_COOKIE: `sid=${id}` }, user: www });
    t.is(run.response.status, 500);
    t.notRegex(run.response.text, /41|42|sessions/);
    t.is(oneLine(t, run), `cgi-shim: GET /cgi-bin/counter.cgi: the sessions folder ${dir} is owned by uid ${NOBODY}, not by uid ${www.uid} ` +
      `that runs this script, and that user could read or plant sessions; fix: chown ${www.uid} ${dir} && chmod 0700 ${dir}, or set ` +
      `CGI_SESSION_DIR to an absolute path of a folder owned by uid ${www.uid}, mode 0700, outside every document root (README.md, Deploy)`);
    t.deepEqual(await readdir(dir), [`${id}.json`]);
    t.is((await stat(dir)).mode & 0o7777, 0o777);
  });

  test('a sticky folder open to all, such as /tmp, is no sessions folder either', async (t) => {
    const tmp = await systemTmp(await openTempDir());
    const run = await runScript('counter', { env: { CGI_SESSION_DIR: tmp }, user: www });
    t.is(run.response.status, 500);
    t.regex(oneLine(t, run), new RegExp(`the sessions folder ${tmp} is owned by uid 0, not by uid ${www.uid}`));
    t.deepEqual(await readdir(tmp), []);
  });

  test('a session file of another user in the script\'s own folder counts as no session, and is logged', async (t) => {
    const dir = join(await openTempDir(), 'sessions');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, www.uid, www.gid);
    // Left by another user while the folder was open (readable, so that the script would read it).
    const id = 'g'.repeat(43);
    await writeFile(join(dir, `${id}.json`), `{"v":1,"createdAt":${Date.now()},"touchedAt":${Date.now()},"data":{"visits":41}}\n`);
    await chmod(join(dir, `${id}.json`), 0o644);
    await chown(join(dir, `${id}.json`), NOBODY, NOBODY);
    const run = await runScript('counter', { env: { CGI_SESSION_DIR: dir, HTTP_COOKIE: `sid=${id}` }, user: www });
    t.is(run.response.status, 200);
    t.regex(run.response.text, /id="count">1</);
    t.not(cookieValue(run.response, 'sid'), id);
    // Once for the cookie's read; once more when the save's garbage collection (one request in
    // a hundred) reads the folder's sessions.
    const lines = run.stderr.split('\n').filter(Boolean);
    t.true(lines.length === 1 || lines.length === 2, run.stderr);
    for (const line of lines) {
      t.is(line, `cgi-shim: ignoring session file ${join(dir, `${id}.json`)}: owned by uid ${NOBODY}, not by uid ${www.uid}; treated as no session`);
    }
  });

  test('a CGI_SESSION_DIR the script\'s user cannot make answers 500 with one line, not a 503 to retry', async (t) => {
    const root = await openTempDir(); // Root's, as /usr/lib/cgi-bin is.
    const dir = join(root, 'sessions');
    const run = await runScript('counter', { env: { CGI_SESSION_DIR: dir }, user: www });
    t.is(run.response.status, 500);
    t.is(run.response.header('retry-after'), undefined);
    t.is(oneLine(t, run), `cgi-shim: GET /cgi-bin/counter.cgi: the sessions folder ${dir} cannot be made: EACCES: permission denied, ` +
      `mkdir '${dir}' (this script runs as uid ${www.uid}); fix: set CGI_SESSION_DIR to an absolute path of a folder owned by ` +
      `uid ${www.uid}, mode 0700, outside every document root (README.md, Deploy)`);
  });

  test('a relative CGI_SESSION_DIR answers 500 with one line', async (t) => {
    const run = await runScript('counter', { env: { CGI_SESSION_DIR: 'sessions' } });
    t.is(run.response.status, 500);
    t.regex(oneLine(t, run), /^cgi-shim: GET \/cgi-bin\/counter\.cgi: CGI_SESSION_DIR must be an absolute path, not "sessions"; fix: /);
  });

  test('a full disk answers 503 with Retry-After, and the session is kept', async (t) => {
    const dir = join(await tempDir(), 'sessions');
    mkdirSync(dir);
    // A small file system of its own, filled up after the first visit.
    mountSmallDisk(t, dir);
    const first = await runScript('counter', { env: { CGI_SESSION_DIR: dir } });
    const sid = cookieValue(first.response, 'sid')!;
    const before = await readFile(join(dir, `${sid}.json`), 'utf8');
    fillUp(join(dir, 'filler'));
    const run = await runScript('counter', { env: { CGI_SESSION_DIR: dir, HTTP_COOKIE: `sid=${sid}` } });
    t.is(run.response.status, 503, run.stderr);
    t.is(run.response.header('retry-after'), '10');
    t.regex(run.stderr, /ENOSPC/);
    t.is(await readFile(join(dir, `${sid}.json`), 'utf8'), before);
  });

  test('a key file that is a session file renamed is refused: 500, one line, no forged value signed', async (t) => {
    const scripts = await buildFixtures('signer');
    const dir = join(await tempDir(), 'sessions');
    const counter = await runScript('counter', { env: { CGI_SESSION_DIR: dir } });
    await rename(join(dir, `${cookieValue(counter.response, 'sid')}.json`), join(dir, '.secret-key'));
    const run = await runScript(join(scripts, 'signer.cgi'), { env: { CGI_SESSION_DIR: dir, QUERY_STRING: 'value=paid', SCRIPT_NAME: '/cgi-bin/signer.cgi' } });
    t.is(run.response.status, 500);
    t.regex(oneLine(t, run), new RegExp(`^cgi-shim: GET /cgi-bin/signer\\.cgi\\?value=paid: cannot use the signing key file ${dir}/\\.secret-key: ` +
      'it holds [0-9]+ bytes, not 32 bytes as 43 base64url characters, as the runtime writes a key; fix: remove it'));
    t.notRegex(run.response.text, /paid/);
  });

  test('a key file of another user is refused, and one made by the runtime is used', async (t) => {
    const scripts = await buildFixtures('signer');
    const dir = join(await tempDir(), 'sessions');
    const made = await runScript(join(scripts, 'signer.cgi'), { env: { CGI_SESSION_DIR: dir, QUERY_STRING: 'value=v' } });
    t.is(made.response.status, 200);
    t.is((await stat(join(dir, '.secret-key'))).mode & 0o777, 0o600);
    await chown(join(dir, '.secret-key'), NOBODY, NOBODY);
    const run = await runScript(join(scripts, 'signer.cgi'), { env: { CGI_SESSION_DIR: dir, QUERY_STRING: 'value=v' } });
    t.is(run.response.status, 500);
    t.regex(oneLine(t, run), /\.secret-key: it is owned by uid 65534, not by uid 0 that runs this script; fix: chown 0 /);
  });
}
