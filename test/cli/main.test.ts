// The `cgi-shim` command itself: its version, and what it suggests for a typo.
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../helpers/cgi.js';
import { runCli } from '../helpers/cli.js';

test('cgi-shim --version prints the version of package.json', async (t) => {
  const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-v']) {
    const run = await runCli([flag]);
    t.is(run.code, 0);
    t.is(run.stdout.toString(), `${version}\n`);
  }
});

test('cgi-shim suggests the command meant by a typo', async (t) => {
  const run = await runCli(['serv']);
  t.is(run.code, 2);
  t.regex(run.stderr, /^cgi-shim: unknown command "serv" \(did you mean serve\?\)\n/);
  const far = await runCli(['deploy']);
  t.regex(far.stderr, /^cgi-shim: unknown command "deploy"\n/);
});

test('a command suggests the option meant by a typo', async (t) => {
  const run = await runCli(['serve', '--prot', '9000']);
  t.is(run.code, 2);
  t.regex(run.stderr, /^cgi-shim serve: unknown option '--prot' \(did you mean --port\?\)\n/);
  const build = await runCli(['build', '--output=x']);
  t.regex(build.stderr, /^cgi-shim build: unknown option '--output=x'\n|^cgi-shim build: unknown option '--output'\n/);
});
