// What a new user does, offline: pack this project, install the tarball into a fresh project made
// by `cgi-shim init`, write a TypeScript and a JavaScript script using forms and sessions,
// type-check them with the shipped types, build them with `npx cgi-shim build`, and run them from
// the shell, under `npx cgi-shim serve`, and copied alone into a real Apache with the shipped
// apache.conf. npm installs from its cache first (`--prefer-offline`): CI's `npm ci` filled it.

import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../helpers/cgi.js';
import { exclusively } from '../helpers/exclusive.js';
import { CookieClient } from '../helpers/http-client.js';
import { contextOf, docBlocks, runBlocks, type BlockRun } from '../helpers/doc-blocks.js';
import { copyProject } from '../helpers/project-copy.js';
import { isInstalled, startApache } from '../helpers/servers.js';
import { tempDir } from '../helpers/temp-dir.js';

const exec = promisify(execFile);
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund'];
const FIXTURE = join(ROOT, 'test', 'fixtures', 'consumer');

interface Setup {
  /** The copy of this project that was packed. */
  project: string;
  tarball: string;
  /** The consumer project. */
  dir: string;
}

let setup: Setup | undefined;
const cleanups: string[] = [];

test.before(async () => {
  const project = await copyProject();
  const packs = await tempDir('cgi-shim-pack-');
  cleanups.push(project, packs);
  // npm pack runs prepack, which compiles the library: a heavy step, taken in turn with the others.
  const { stdout } = await exclusively(() => exec('npm', ['pack', '--pack-destination', packs, ...NPM_FLAGS], { cwd: project, maxBuffer: 10 * 1024 * 1024 }));
  const tarball = join(packs, stdout.trim().split('\n').at(-1)!);
  const dir = join(await tempDir('cgi-shim-consumer-'), 'my-site');
  cleanups.push(join(dir, '..'));
  await exec(process.execPath, [join(project, 'bin', 'cgi-shim.js'), 'init', dir]);
  await exec('npm', ['install', tarball, ...NPM_FLAGS], { cwd: dir, maxBuffer: 10 * 1024 * 1024 });
  await cp(join(FIXTURE, 'cgi-bin'), join(dir, 'cgi-bin'), { recursive: true });
  setup = { project, tarball, dir };
});

test.after.always(async () => {
  for (const dir of cleanups) await rm(dir, { recursive: true, force: true });
});

function consumer(): Setup {
  if (setup === undefined) throw new Error('the consumer project was not set up');
  return setup;
}

test.serial('the tarball ships the library, its types, the command, the starter, docs and configs; no tests or benchmarks', async (t) => {
  const { stdout } = await exec('tar', ['-tzf', consumer().tarball], { maxBuffer: 10 * 1024 * 1024 });
  const files = stdout.trim().split('\n').map((line) => line.replace(/^package\//, ''));
  for (const file of ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin/cgi-shim.js', 'dist/lib/index.js', 'dist/lib/index.d.ts',
    'dist/lib/cli/main.js', 'dist/lib/build/code-cache-loader.js', 'dist/lib/build/signal-exit.cjs', 'starter/cgi-bin/hello.ts',
    'starter/gitignore', 'docs/tutorial.md', 'apache.conf', 'lighttpd-cgi.conf',
    'apache-fcgid.conf', 'apache-proxy-fcgi.conf', 'lighttpd-fastcgi.conf']) t.true(files.includes(file), `the tarball lacks ${file}`);
  t.deepEqual(files.filter((file) => /^(test|bench|scripts|cgi-bin|src|dist\/cgi-bin)\//.test(file)), []);
  t.false(files.some((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !file.startsWith('starter/')), 'TypeScript source in the tarball');
});

const TYPE_CHECKS = {
  node16: { module: 'Node16', moduleResolution: 'node16' },
  bundler: { module: 'ESNext', moduleResolution: 'bundler' },
};

for (const [resolution, settings] of Object.entries(TYPE_CHECKS)) {
  test.serial(`the consumer type-checks with the shipped types, moduleResolution ${resolution}, skipLibCheck off`, async (t) => {
    const { dir } = consumer();
    const compilerOptions = { target: 'ES2022', lib: ['ES2022'], types: ['node'], strict: true, noEmit: true, skipLibCheck: false, ...settings };
    await writeFile(join(dir, `tsconfig.${resolution}.json`), JSON.stringify({ compilerOptions, include: ['cgi-bin'] }));
    const check = await exclusively(() => exec('npx', ['tsc', '-p', `tsconfig.${resolution}.json`], { cwd: dir }))
      .then(() => 'passed', (error: { stdout: string }) => error.stdout);
    t.is(check, 'passed');
    // The same settings on a file that misuses the API must fail: the types are really read.
    await writeFile(join(dir, `misuse-${resolution}.ts`), "import { run } from 'node-cgi-shim';\n" +
      "run((request, response) => { response.status = request.query.get('status'); });\n");
    await writeFile(join(dir, `tsconfig.misuse-${resolution}.json`), JSON.stringify({ compilerOptions, files: [`misuse-${resolution}.ts`] }));
    const misuse = await exclusively(() => exec('npx', ['tsc', '-p', `tsconfig.misuse-${resolution}.json`], { cwd: dir }))
      .then(() => '', (error: { stdout: string }) => error.stdout);
    t.regex(misuse, /\(2,[0-9]+\): error TS2322: Type 'string \| null' is not assignable to type 'number'/);
  });
}

test.serial('npx cgi-shim build builds the scripts (not the _ module) and copies the data', async (t) => {
  const { dir } = consumer();
  const build = await exclusively(() => exec('npx', ['cgi-shim', 'build'], { cwd: dir }));
  t.regex(build.stdout, /^cgi-shim build: 5 scripts into dist\/cgi-bin \(#!\S+\): counter\.cgi, hello\.cgi, index\.cgi, notes\.cgi, tally\.cgi; data: motto\.txt\n$/);
  t.deepEqual((await readdir(join(dir, 'dist', 'cgi-bin'))).sort(),
    ['counter.cgi', 'hello.cgi', 'index.cgi', 'motto.txt', 'notes.cgi', 'package.json', 'tally.cgi']);
});

test.serial('the built scripts run from the shell', async (t) => {
  const { dir } = consumer();
  const sessions = await tempDir('cgi-shim-consumer-sessions-');
  t.teardown(() => rm(sessions, { recursive: true, force: true }));
  const shell = (command: string) => exec('bash', ['-c', command], { cwd: dir, env: { PATH: process.env.PATH, CGI_SESSION_DIR: sessions } });
  const hello = await shell("QUERY_STRING='name=Ada' ./dist/cgi-bin/hello.cgi");
  t.regex(hello.stdout, /^Status: 200 OK\n[\s\S]*<h1>Hello, Ada!<\/h1>/);
  const first = await shell('./dist/cgi-bin/notes.cgi');
  t.regex(first.stdout, /<title>Notes, kept on the server<\/title>/);
  const sid = /^Set-Cookie: sid=([^;]+)/m.exec(first.stdout)?.[1];
  const token = /name="_csrf" value="([^"]+)"/.exec(first.stdout)?.[1];
  t.truthy(sid && token, first.stdout);
  const body = `note=written+in+a+shell&_csrf=${encodeURIComponent(token!)}`;
  const saved = await shell(`printf '%s' '${body}' | REQUEST_METHOD=POST CONTENT_TYPE=application/x-www-form-urlencoded ` +
    `CONTENT_LENGTH=${body.length} HTTP_COOKIE='sid=${sid}' ./dist/cgi-bin/notes.cgi`);
  t.regex(saved.stdout, /^Status: 303 See Other\n/);
  const again = await shell(`HTTP_COOKIE='sid=${sid}' ./dist/cgi-bin/notes.cgi`);
  t.regex(again.stdout, /<p id="note">written in a shell<\/p>/);
});

test.serial('the built scripts run under npx cgi-shim serve, which stops when npx is killed', async (t) => {
  const { dir } = consumer();
  const npx = spawn('npx', ['cgi-shim', 'serve', '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  npx.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  // 'close': when the host, which shares npx's stdout and stderr, has ended too.
  const closed = new Promise<void>((resolve) => npx.on('close', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    npx.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const match = /^serving (http:\/\/127\.0\.0\.1:[0-9]+)\/\n/m.exec(chunk);
      if (match) resolve(match[1]!);
    });
    npx.once('close', () => reject(new Error(`serve ended before listening: ${stderr}`)));
  });
  await walkScripts(t, new CookieClient(url));
  npx.kill('SIGTERM');
  await closed;
  t.regex(stderr, /cgi-shim serve: (SIGTERM|npm ended), stopping/);
  await t.throwsAsync(fetch(url), undefined, 'the host still answers after npx was killed');
});

test.serial('the built scripts run copied alone into a real Apache with the shipped apache.conf', async (t) => {
  if (!isInstalled('apache')) {
    if (process.env.CI === 'true') return t.fail('apache2 is not installed (required on CI)');
    console.warn('\n!!! SKIPPED: Apache is not installed, so the consumer\'s scripts were not tried under it: sudo apt-get install apache2\n');
    return t.pass();
  }
  const { dir } = consumer();
  t.is(await readFile(join(dir, 'node_modules', 'node-cgi-shim', 'apache.conf'), 'utf8'), await readFile(join(ROOT, 'apache.conf'), 'utf8'),
    'the test server runs the apache.conf the package ships');
  const server = await startApache({ scriptsDir: join(dir, 'dist', 'cgi-bin') });
  t.teardown(server.stop);
  await walkScripts(t, new CookieClient(server.baseUrl));
});

/** One visitor: the TypeScript script's note and the JavaScript script's tally, through forms. */
async function walkScripts(t: import('ava').ExecutionContext, client: CookieClient): Promise<void> {
  const page = await (await client.request('/cgi-bin/notes.cgi')).text();
  const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? '';
  const saved = await client.request('/cgi-bin/notes.cgi', { method: 'POST', form: { note: 'kept <safe>', _csrf: token } });
  t.is(saved.status, 303);
  t.regex(await (await client.request('/cgi-bin/notes.cgi')).text(), /<p id="note">kept &lt;safe&gt;<\/p>/);
  const forged = await client.request('/cgi-bin/notes.cgi', { method: 'POST', form: { note: 'forged', _csrf: 'wrong' } });
  t.is(forged.status, 403);
  const tally = await (await client.request('/cgi-bin/tally.cgi')).text();
  const tallyToken = /name="_csrf" value="([^"]+)"/.exec(tally)?.[1] ?? '';
  await client.request('/cgi-bin/tally.cgi', { method: 'POST', form: { add: '2', _csrf: tallyToken } });
  const added = await client.request('/cgi-bin/tally.cgi', { method: 'POST', form: { add: '3', _csrf: tallyToken } });
  t.regex(await added.text(), /<p id="tally">5<\/p>/);
}

/** Runs the blocks of README.md and docs/ meant for a user's project, in a fresh folder: as
 * written, except where the package comes from, since it is not published from here. */
async function runProjectDocs(t: import('ava').ExecutionContext, files: readonly string[]): Promise<BlockRun[]> {
  const { project, tarball } = consumer();
  const blocks = (await docBlocks()).filter((block) => files.includes(block.file) && contextOf(block) === 'project')
    .sort((a, b) => files.indexOf(a.file) - files.indexOf(b.file));
  const dir = await tempDir('cgi-shim-docs-project-');
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return runBlocks(blocks, {
    cwd: dir,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? dir },
    rewrites: [
      ['npx node-cgi-shim init', `${process.execPath} ${join(project, 'bin', 'cgi-shim.js')} init`],
      ['npm install', `npm install ${tarball} ${NPM_FLAGS.join(' ')}`],
    ],
    writeFiles: true,
  });
}

/** What the runs of the blocks under `heading` printed. */
function printed(runs: readonly BlockRun[], heading: string): string {
  return runs.filter((run) => run.block.heading === heading).map((run) => run.stdout).join('\n');
}

test.serial('docs/tutorial.md, then docs/troubleshooting.md, run as written in a new project', async (t) => {
  const runs = await runProjectDocs(t, ['docs/tutorial.md', 'docs/troubleshooting.md']);
  t.true(runs.length >= 12, `${runs.length} blocks ran`);
  const shell = printed(runs, '4. Run it from a shell');
  t.regex(shell, /id="greeting">Hello, Ada!</);
  t.is(shell.match(/id="greeting">Hello, Grace!</g)?.length, 2, 'the POST from the shell and from cgi-shim run');
  t.is(runs.find((run) => run.block.heading === '5. Serve it locally')?.served, 200);
  t.regex(printed(runs, '6. Add a session'), /<span id="visits">2<\/span>/);
  t.regex(printed(runs, '7. Deploy to Apache'), /cgi-shim build: 5 scripts .*\(#!\/usr\/bin\/node\)/);
  t.regex(printed(runs, '"cannot execute: required file not found"'), /^Status: 200 OK$/m);
  const cookies = printed(runs, 'A Secure cookie never comes back over plain HTTP');
  t.regex(cookies, /^Set-Cookie: sid=[^;]+; Path=\/; HttpOnly; SameSite=Lax$/m);
  t.regex(cookies, /^Set-Cookie: __Host-sid=[^;]+;.*; Secure\b/m);
});

test.serial('README.md: the commands for your own project run as written in a new project', async (t) => {
  const runs = await runProjectDocs(t, ['README.md']);
  t.is(runs.find((run) => run.block.heading === 'Use it in your own project')?.served, 200);
  t.regex(printed(runs, 'Writing a script'), /\(#!\/opt\/node\/bin\/node\)/);
});
