// The shell commands of README.md and docs/ are run as written, so they keep working: the demos
// recipe line by line, with what each answers; the other commands for a clone of the repository
// here (test/helpers/doc-blocks.ts), those for a user's project in test/package/consumer.test.ts.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers/cgi.js';
import { contextOf, DEMOS_RECIPE, docBlocks, isRunnable, runBlocks } from './helpers/doc-blocks.js';

test('README: the demos-from-a-shell recipe runs and does what it says', async (t) => {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### The demos from a shell'));
  const recipe = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  // `npm test` has built already; the rest runs as written, with its own sessions folder.
  const script = recipe.replace(/^npm run build$/m, ': built by npm test');
  t.not(script, recipe, 'the recipe starts by building');
  const sessions = await mkdtemp(join(tmpdir(), 'cgi-shim-readme-'));
  t.teardown(() => rm(sessions, { recursive: true, force: true }));
  // Like a reader at a prompt: no -e, since error.cgi exits 1 on purpose; every line's output counts.
  const { stdout } = await promisify(execFile)('bash', ['-c', script], {
    cwd: ROOT, env: { PATH: process.env.PATH, CGI_SESSION_DIR: sessions }, maxBuffer: 10 * 1024 * 1024,
  });
  t.notRegex(recipe, /\bsed\b/, 'cookies come from the jar, not scraped from headers');
  t.regex(stdout, /<h1>Hello, Ada!<\/h1>/);
  t.regex(stdout, /^#HttpOnly_localhost\tFALSE\t\/\tFALSE\t0\tsid\t[A-Za-z0-9_-]{43}$/m, 'the jar holds the session cookie');
  t.regex(stdout, /<strong id="flavor">ginger<\/strong>/);
  t.regex(stdout, /Set-Cookie: flavor=ginger; Max-Age=3600/);
  t.regex(stdout, /id="count">2</);
  t.regex(stdout, /Status: 303 See Other\n[\s\S]*Location: questionnaire\.cgi/);
  t.regex(stdout, /id="total">\$12\.00</);
  t.regex(stdout, /id="paid">\$0\.00</);
  t.regex(stdout, /^Status: 403 Forbidden$/m);
});

test('every shell block of README.md and docs/ is run by a test, or says what runs it instead; none has a placeholder', async (t) => {
  const blocks = (await docBlocks()).filter((block) => block.language === 'sh');
  t.true(blocks.length > 10);
  for (const block of blocks) {
    const where = `${block.file}:${block.line}`;
    t.notThrows(() => contextOf(block), where);
    if (block.skip !== undefined) t.regex(block.skip, /\.ci\/run|test\//, `${where}: say which test runs it instead`);
    const commands = block.code.split('\n').map((line) => line.replace(/\s+#.*$/, '')).join('\n');
    t.notRegex(commands, /<[a-z][a-z-]*>|\[--|…/, `${where}: a placeholder in a command`);
  }
});

test('README and docs: the shell blocks for a clone of the repository run as written', async (t) => {
  const blocks = (await docBlocks()).filter((block) => contextOf(block) === 'repo' && isRunnable(block)
    && !(block.file === DEMOS_RECIPE.file && block.heading === DEMOS_RECIPE.heading));
  const sessions = await mkdtemp(join(tmpdir(), 'cgi-shim-docs-'));
  t.teardown(() => rm(sessions, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH!, HOME: process.env.HOME ?? sessions, CGI_SESSION_DIR: sessions };
  // `npm test` has built already; building again here would rewrite dist/ under other tests.
  const runs = await runBlocks(blocks, { cwd: ROOT, env, rewrites: [['npm run build', ': built by npm test']] });
  const output = (file: string, heading: string) => runs.filter((run) => run.block.file === file && run.block.heading === heading)
    .map((run) => run.stdout).join('\n');
  t.deepEqual(runs.map((run) => `${run.block.file}:${run.block.line}`), blocks.map((block) => `${block.file}:${block.line}`));
  const shell = output('README.md', 'Running a script from a shell');
  t.regex(shell, /<h1>Hello, Ada!<\/h1>/);
  t.regex(shell, /<td>session<\/td><td>12345<\/td>/);
  t.regex(shell, /<h1>Hello, Grace!<\/h1>/);
  t.is(runs.find((run) => run.block.file === 'docs/local-host.md' && run.served !== undefined)?.served, 200);
  const local = output('docs/local-host.md', 'Without any tool: plain environment variables') + output('docs/local-host.md', '`cgi-shim run`: one request from the shell');
  t.regex(local, /Hello, Ada!/);
  t.regex(local, /Hello, Grace!/);
  t.regex(output('docs/sessions.md', 'Operations'), /^deleted [A-Za-z0-9_-]{43}$/m);
});
