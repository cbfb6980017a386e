// The README's shell recipe for the demos is run as written, so the commands it shows keep
// working: each answers what its comment says.
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers/cgi.js';

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
