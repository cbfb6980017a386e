// A built script copied alone into a real Apache, as a newcomer deploys it, with no
// CGI_SESSION_DIR: into a Debian-style cgi-bin (root-owned, ScriptAlias), and into a document root
// (ExecCGI and AddHandler in a folder owned by www-data), where anything made beside the script
// would be served to the world. Apache runs the scripts as www-data (the tests run as root).
// Each server gets TMPDIR of its own, as systemd's PrivateTmp gives Debian's apache2 a /tmp of
// its own: the scripts' private sessions folder is made there.

import test from 'ava';
import { chmod, chown, copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DIST_CGI_BIN } from '../helpers/cgi.js';
import { buildFixture } from '../helpers/fixtures.js';
import { fetchOnce } from '../helpers/http-client.js';
import { isInstalled, PACKAGES, startApache, type Layout, type RunningServer } from '../helpers/servers.js';
import { IS_ROOT, lookUpUser } from '../helpers/users.js';

if (!isInstalled('apache') || !IS_ROOT) {
  const why = !isInstalled('apache') ? `apache is not installed (sudo apt-get install ${PACKAGES.apache})` : 'they need root, to run Apache as www-data';
  if (process.env.CI === 'true') test('apache: deployment layouts can be tested (required on CI)', (t) => t.fail(why));
  else test.skip(`apache: deployment layouts, copied alone (${why})`, () => {});
} else {
  const www = lookUpUser('www-data');

  /** TMPDIR of the server's own, made as /tmp is (root's, open to all, sticky). */
  const tmpOf = (layout: Layout) => join(layout.root, 'tmp');

  test('apache: counter.cgi in a root-owned cgi-bin as Debian\'s (no CGI_SESSION_DIR) works, its sessions in a private folder', async (t) => {
    const server = await startApache({
      site: {
        config: (layout) => [
          `ScriptAlias /cgi-bin/ "${layout.scriptsDir}/"`,
          `<Directory "${layout.scriptsDir}">`, '    Options +ExecCGI', '    Require all granted', '</Directory>',
          `SetEnv TMPDIR "${tmpOf(layout)}"`,
        ].join('\n'),
      },
    });
    t.teardown(server.stop);
    await makeTmp(server);
    const first = await fetchOnce(server.url('/cgi-bin/counter.cgi'));
    t.is(first.status, 200, await server.readLog(server.errorLog));
    const cookie = first.headers.get('set-cookie')!.split(';', 1)[0]!;
    const second = await fetchOnce(server.url('/cgi-bin/counter.cgi'), { headers: { cookie } });
    t.regex(await second.text(), /id="count">2</);
    const folder = join(server.root, 'tmp', `node-cgi-shim-sessions-${www.uid}`);
    t.deepEqual(await readdir(folder), [`${cookie.slice('sid='.length)}.json`]);
    t.is((await stat(folder)).mode & 0o777, 0o700);
    const log = await server.readLog(server.errorLog);
    t.is(log.split('\n').filter((line) => line.includes('made the sessions folder')).length, 1, log);
    t.false((await readdir(server.scriptsDir)).includes('sessions'));
  });

  test('apache: scripts in a document root (AddHandler, folder owned by www-data) leave nothing there to serve', async (t) => {
    const server = await startApache({
      site: {
        modules: ['autoindex'],
        config: (layout) => [
          // The attack needs a listing or a guess: allow both, as careless setups do.
          `<Directory "${layout.docRoot}/app">`, '    Options +ExecCGI +Indexes', '    AddHandler cgi-script .cgi',
          '    Require all granted', '</Directory>',
          `SetEnv TMPDIR "${tmpOf(layout)}"`,
        ].join('\n'),
      },
    });
    t.teardown(server.stop);
    await makeTmp(server);
    const app = join(server.root, 'htdocs', 'app');
    await mkdir(app);
    await copyFile(join(DIST_CGI_BIN, 'counter.cgi'), join(app, 'counter.cgi'));
    await buildFixture('scripts/signer', app); // Makes the signing key on first use.
    for (const name of await readdir(app)) await chmod(join(app, name), name.endsWith('.cgi') ? 0o755 : 0o644);
    await chown(app, www.uid, www.gid);
    const first = await fetchOnce(server.url('/app/counter.cgi'));
    t.is(first.status, 200, await server.readLog(server.errorLog));
    const cookie = first.headers.get('set-cookie')!.split(';', 1)[0]!;
    t.regex(await (await fetchOnce(server.url('/app/counter.cgi'), { headers: { cookie } })).text(), /id="count">2</);
    t.is((await fetchOnce(server.url('/app/signer.cgi?value=paid'))).status, 200);
    for (const path of ['/app/sessions/', `/app/sessions/${cookie.slice('sid='.length)}.json`, '/app/sessions/.secret-key']) {
      t.is((await fetchOnce(server.url(path))).status, 404, path);
    }
    const listing = await (await fetchOnce(server.url('/app/'))).text();
    t.regex(listing, /counter\.cgi/);
    t.notRegex(listing, /sessions|secret/);
    t.deepEqual((await readdir(app)).sort(), ['counter.cgi', 'package.json', 'signer.cgi']);
    t.true((await readdir(join(server.root, 'tmp', `node-cgi-shim-sessions-${www.uid}`))).includes('.secret-key'));
  });
}

/** The server's TMPDIR: root's, open to all, sticky, as /tmp. */
async function makeTmp(server: RunningServer): Promise<void> {
  const tmp = join(server.root, 'tmp');
  await mkdir(tmp);
  await chmod(tmp, 0o1777);
}
