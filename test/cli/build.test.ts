// `cgi-shim build` on a project of its own: scripts, shared modules, data files, the Node checks.
import test from 'ava';
import { access, chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runScript } from '../helpers/cgi.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp-dir.js';

/** A project folder with cgi-bin/: a TypeScript and a JavaScript script, a shared module, data. */
async function makeProject(): Promise<string> {
  const dir = await tempDir('cgi-shim-build-');
  await mkdir(join(dir, 'cgi-bin'));
  await writeFile(join(dir, 'cgi-bin', '_greeting.ts'), "export const greeting = (name: string): string => `Hi, ${name}`;\n");
  await writeFile(join(dir, 'cgi-bin', 'greet.ts'), `import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { run } from 'node-cgi-shim';
import { greeting } from './_greeting.js';
run((request, response) => {
  const suffix = readFileSync(join(dirname(process.argv[1]!), 'suffix.txt'), 'utf8').trim();
  response.text(greeting(request.query.get('name') ?? 'you') + suffix);
});
`);
  await writeFile(join(dir, 'cgi-bin', 'plain.mjs'), "import { run } from 'node-cgi-shim';\nrun((_q, r) => { r.json({ plain: true }); });\n");
  await writeFile(join(dir, 'cgi-bin', 'suffix.txt'), '!\n');
  await writeFile(join(dir, 'cgi-bin', 'notes.md'), 'not data\n');
  await writeFile(join(dir, 'cgi-bin', 'package.json'), '{}\n');
  return dir;
}

test('build makes one executable per script, leaves _ modules out, copies data, and the result runs', async (t) => {
  const dir = await makeProject();
  const build = await runCli(['build'], { cwd: dir });
  t.is(build.code, 0, build.stderr);
  t.regex(build.stdout.toString(), /^cgi-shim build: 2 scripts into dist\/cgi-bin \(#!\/\S+\): greet\.cgi, plain\.cgi; data: suffix\.txt\n$/);
  t.deepEqual((await readdir(join(dir, 'dist', 'cgi-bin'))).sort(), ['greet.cgi', 'package.json', 'plain.cgi', 'suffix.txt']);
  const greet = await runScript(join(dir, 'dist', 'cgi-bin', 'greet.cgi'), { env: { QUERY_STRING: 'name=Ada' } });
  t.is(greet.response.text, 'Hi, Ada!', greet.stderr);
  const plain = await runScript(join(dir, 'dist', 'cgi-bin', 'plain.cgi'));
  t.deepEqual(JSON.parse(plain.response.text), { plain: true });
});

test('build takes files and folders, --out and --data, and --clean removes what an earlier build left', async (t) => {
  const dir = await makeProject();
  const out = join(dir, 'out');
  await mkdir(out);
  await writeFile(join(out, 'old.cgi'), 'stale');
  await writeFile(join(out, 'keep.html'), 'not ours');
  const build = await runCli(['build', 'cgi-bin/plain.mjs', 'cgi-bin/notes.md', '--out', 'out', '--data', '.md', '--clean'], { cwd: dir });
  t.is(build.code, 0, build.stderr);
  t.deepEqual((await readdir(out)).sort(), ['keep.html', 'notes.md', 'package.json', 'plain.cgi']);
});

test('build refuses a missing input, a folder without scripts, and two scripts of one name', async (t) => {
  const dir = await makeProject();
  const missing = await runCli(['build', 'nowhere'], { cwd: dir });
  t.is(missing.code, 1);
  t.regex(missing.stderr, /nowhere: no such file or folder/);
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'empty', '_shared.ts'), 'export {};\n');
  const empty = await runCli(['build', 'empty'], { cwd: dir });
  t.is(empty.code, 1);
  t.regex(empty.stderr, /no scripts in empty: a script is a \.ts, \.mts, \.js, \.mjs file whose name does not start with _/);
  await writeFile(join(dir, 'cgi-bin', 'greet.js'), 'console.log(1);\n');
  const twice = await runCli(['build'], { cwd: dir });
  t.is(twice.code, 1);
  t.regex(twice.stderr, /greet\.js and cgi-bin\/greet\.ts would both be built as greet\.cgi|greet\.ts and cgi-bin\/greet\.js would both be built as greet\.cgi/);
});

test('build refuses a CGI_NODE that does not exist, and writes nothing', async (t) => {
  const dir = await makeProject();
  const build = await runCli(['build'], { cwd: dir, env: { CGI_NODE: '/opt/node/bin/node' } });
  t.is(build.code, 1);
  t.regex(build.stderr, /CGI_NODE: \/opt\/node\/bin\/node does not exist\. Name an installed Node .*, or use --node to build for a Node that exists only on the server/);
  await t.throwsAsync(access(join(dir, 'dist')));
});

test('build --node names a Node of another machine with a warning, and refuses a relative one', async (t) => {
  const dir = await makeProject();
  const cross = await runCli(['build', '--node', '/opt/node/bin/node'], { cwd: dir });
  t.is(cross.code, 0, cross.stderr);
  t.regex(cross.stderr, /warning: \/opt\/node\/bin\/node does not exist here; the scripts will run only where it does/);
  t.true((await readFile(join(dir, 'dist', 'cgi-bin', 'greet.cgi'), 'latin1')).startsWith('#!/opt/node/bin/node\n'));
  const relative = await runCli(['build', '--node', 'node'], { cwd: dir });
  t.is(relative.code, 1);
  t.regex(relative.stderr, /--node: node is not an absolute path/);
});

test('build refuses a Node that is not executable', async (t) => {
  const dir = await makeProject();
  const fake = join(dir, 'node');
  await writeFile(fake, '');
  await chmod(fake, 0o644);
  const build = await runCli(['build'], { cwd: dir, env: { CGI_NODE: fake } });
  t.is(build.code, 1);
  t.regex(build.stderr, /is not executable/);
});
