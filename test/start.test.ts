// `npm start` (build, then serve the demos), killed by its process ID as a user or a supervisor
// would kill it, stops entirely: no server is left behind holding the port. Runs in a copy of the
// project, whose build does not rewrite dist/ under the tests running beside it.
import test from 'ava';
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { exclusively } from './helpers/exclusive.js';
import { copyProject } from './helpers/project-copy.js';

test('npm start, killed by its PID, stops the server too', async (t) => {
  const project = await copyProject();
  t.teardown(() => rm(project, { recursive: true, force: true }));
  const { npm, url, output } = await exclusively(async () => {
    const child = spawn('npm', ['start', '--', '--port', '0'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; });
    const served = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        text += chunk;
        const match = /^serving (http:\/\/127\.0\.0\.1:[0-9]+\/)$/m.exec(text);
        if (match) resolve(match[1]!);
      });
      child.once('close', () => reject(new Error(`npm start ended before serving:\n${text}`)));
    });
    return { npm: child, url: served, output: () => text };
  });
  t.is((await fetch(new URL('cgi-bin/hello.cgi', url))).status, 200);
  // 'close' comes once everyone holding npm's stdout and stderr has ended: the server too.
  const closed = new Promise<void>((resolve) => npm.on('close', () => resolve()));
  npm.kill('SIGTERM');
  await closed;
  t.regex(output(), /cgi-shim serve: (SIGTERM|npm ended), stopping/);
  await t.throwsAsync(fetch(url), undefined, 'the server still answers after npm start was killed');
});
