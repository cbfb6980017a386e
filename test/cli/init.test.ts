// `cgi-shim init`: the starter project it writes, and that it never overwrites a file.
import test from 'ava';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, runScript } from '../helpers/cgi.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

test('init writes the starter project, whose scripts build and run', async (t) => {
  const dir = join(await tempDir('cgi-shim-init-'), 'My Site');
  const init = await runCli(['init', dir]);
  t.is(init.code, 0, init.stderr);
  t.regex(init.stdout.toString(), /npm install\n {2}npx cgi-shim build\n {2}npx cgi-shim serve\n$/);
  t.deepEqual((await readdir(dir)).sort(), ['.gitignore', 'README.md', 'cgi-bin', 'package.json', 'sessions', 'tsconfig.json']);
  t.deepEqual((await readdir(join(dir, 'cgi-bin'))).sort(), ['counter.ts', 'hello.ts', 'index.ts']);
  t.is((await stat(join(dir, 'sessions'))).mode & 0o777, 0o700);
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  const own = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string; devDependencies: Record<string, string> };
  t.is(manifest.name as unknown as string, 'my-site');
  t.deepEqual(manifest.dependencies, { 'node-cgi-shim': `^${own.version}` });
  t.deepEqual(manifest.devDependencies, { '@types/node': own.devDependencies['@types/node'], typescript: own.devDependencies.typescript });
  t.is((await readFile(join(dir, '.gitignore'), 'utf8')), 'node_modules/\ndist/\nsessions/\n');

  const build = await runCli(['build'], { cwd: dir });
  t.is(build.code, 0, build.stderr);
  const hello = await runScript(join(dir, 'dist', 'cgi-bin', 'hello.cgi'), {
    env: { REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: '8' }, stdin: 'name=Ada',
  });
  t.regex(hello.response.text, /<h1>Hello, Ada!<\/h1>/);
  // Run from a shell (no GATEWAY_INTERFACE), a built script keeps its sessions in the project's
  // sessions/; under a server it would use CGI_SESSION_DIR or its user's private folder.
  const counter = await runScript(join(dir, 'dist', 'cgi-bin', 'counter.cgi'), { env: { GATEWAY_INTERFACE: '' } });
  t.regex(counter.response.text, /<span id="visits">1<\/span>/);
  t.is((await readdir(join(dir, 'sessions'))).length, 1, 'the session is kept in the project\'s sessions/');
});

test('init changes nothing in a folder that has one of its files', async (t) => {
  const dir = await tempDir('cgi-shim-init-');
  await writeFile(join(dir, 'package.json'), '{"name": "mine"}\n');
  const init = await runCli(['init', dir]);
  t.is(init.code, 1);
  t.regex(init.stderr, /already has package\.json; nothing was written/);
  t.deepEqual(await readdir(dir), ['package.json']);
  t.is(await readFile(join(dir, 'package.json'), 'utf8'), '{"name": "mine"}\n');
});
