import test from 'ava';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCgiOutput, DIST_CGI_BIN, ROOT } from '../helpers/cgi.js';
import { runCli } from '../helpers/cli.js';
import { makeScriptsFolder } from '../helpers/host.js';

test('cgi-shim run prints the raw CGI output of dist/cgi-bin/hello.cgi', async (t) => {
  const run = await runCli(['run', join(DIST_CGI_BIN, 'hello.cgi'), '--query', 'name=Ada']);
  t.is(run.code, 0, run.stderr);
  const response = parseCgiOutput(run.stdout);
  t.is(response.status, 200);
  t.is(response.header('content-type'), 'text/html; charset=utf-8');
  t.regex(response.text, /<h1>Hello, Ada!<\/h1>/);
});

test('cgi-shim run finds a built script by name and prints only the body with --body-only', async (t) => {
  const run = await runCli(['run', 'hello', '--query', 'name=%3Cb%3E', '--body-only']);
  t.is(run.code, 0, run.stderr);
  const text = run.stdout.toString();
  t.true(text.startsWith('<!doctype html>'));
  t.regex(text, /Hello, &lt;b&gt;!/);
});

test('cgi-shim run builds the environment from its flags', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  const run = await runCli([
    'run', join(dir, 'env.cgi'), '--method', 'PUT', '--path', '/a b', '--query', 'x=1',
    '--cookie', 'a=1; b=2', '--header', 'X-Test: yes', '--header', 'Accept: text/plain', '--body-only',
  ]);
  t.is(run.code, 0, run.stderr);
  const { env } = JSON.parse(run.stdout.toString()) as { env: Record<string, string> };
  t.like(env, {
    GATEWAY_INTERFACE: 'CGI/1.1', REQUEST_METHOD: 'PUT', PATH_INFO: '/a b', QUERY_STRING: 'x=1',
    SCRIPT_NAME: '/cgi-bin/env.cgi', SCRIPT_FILENAME: join(dir, 'env.cgi'), REQUEST_URI: '/cgi-bin/env.cgi/a%20b?x=1',
    HTTP_COOKIE: 'a=1; b=2', HTTP_X_TEST: 'yes', HTTP_ACCEPT: 'text/plain', REMOTE_ADDR: '127.0.0.1',
  });
  t.false('CONTENT_LENGTH' in env);
});

test('cgi-shim run passes CGI_SESSION_DIR, absolute, and nothing else of its environment', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  const run = await runCli(['run', join(dir, 'env.cgi'), '--body-only'], { env: { CGI_SESSION_DIR: 'my-sessions', SECRET_TOKEN: 'x' } });
  const { env } = JSON.parse(run.stdout.toString()) as { env: Record<string, string> };
  t.is(env.CGI_SESSION_DIR, join(ROOT, 'my-sessions'));
  t.false('SECRET_TOKEN' in env);
});

test('cgi-shim run --form posts an urlencoded body', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  const echoed = await runCli(['run', join(dir, 'echo.cgi'), '--form', 'name=Ada Lovelace', '--form', 'note=a&b=c', '--body-only']);
  t.is(echoed.code, 0, echoed.stderr);
  t.is(echoed.stdout.toString(), 'name=Ada+Lovelace&note=a%26b%3Dc');
  const env = await runCli(['run', join(dir, 'env.cgi'), '--form', 'a=1', '--body-only']);
  t.like((JSON.parse(env.stdout.toString()) as { env: Record<string, string> }).env, {
    REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: '3',
  });
});

test('cgi-shim run --body-file sends a file, or standard input with -', async (t) => {
  const { base, dir } = await makeScriptsFolder(t);
  const file = join(base, 'body.json');
  await writeFile(file, '{"a":1}');
  const fromFile = await runCli(['run', join(dir, 'echo.cgi'), '--body-file', file, '--content-type', 'application/json', '--body-only']);
  t.is(fromFile.stdout.toString(), '{"a":1}');
  const fromStdin = await runCli(['run', join(dir, 'echo.cgi'), '--body-file', '-', '--body-only'], { stdin: 'from stdin' });
  t.is(fromStdin.stdout.toString(), 'from stdin');
});

test('cgi-shim run exits 1 when the script prints invalid CGI', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  const run = await runCli(['run', join(dir, 'bad.cgi'), '--query', 'malformed']);
  t.is(run.code, 1);
  t.regex(run.stderr, /invalid header block/);
  t.is(run.stdout.toString(), 'Content Type: text/plain\n\nbody\n', 'the raw output is still shown');
});

test('cgi-shim run exits 1 when the script fails', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  const run = await runCli(['run', join(dir, 'bad.cgi'), '--query', 'nothing']);
  t.is(run.code, 1);
  t.regex(run.stderr, /exited with 3/);
});

test('cgi-shim run reports a missing script with exit status 2', async (t) => {
  const run = await runCli(['run', 'no-such-script']);
  t.is(run.code, 2);
  t.regex(run.stderr, /no such script: no-such-script/);
});

test('cgi-shim run refuses a script that is not executable with exit status 2', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  await chmod(join(dir, 'env.cgi'), 0o644);
  const run = await runCli(['run', join(dir, 'env.cgi')]);
  t.is(run.code, 2);
  t.regex(run.stderr, /env\.cgi is not executable/);
});

for (const [title, args, message] of [
  ['an unknown flag', ['hello', '--bogus'], /^cgi-shim run: unknown option '--bogus'\nRun `cgi-shim run --help`/],
  ['no script', [], /expected one script/],
  ['--form with --body-file', ['hello', '--form', 'a=1', '--body-file', 'x'], /cannot be combined/],
  ['a malformed --form', ['hello', '--form', 'novalue'], /--form must look like/],
  ['a malformed --header', ['hello', '--header', 'no colon'], /--header must look like/],
  ['a relative --path', ['hello', '--path', 'x'], /--path must start with/],
] as const) {
  test(`cgi-shim run refuses ${title} with exit status 2`, async (t) => {
    const run = await runCli(['run', ...args]);
    t.is(run.code, 2);
    t.regex(run.stderr, message);
  });
}

test('cgi-shim run refuses TypeScript source and says to build it first', async (t) => {
  const run = await runCli(['run', 'cgi-bin/hello.ts']);
  t.is(run.code, 2);
  t.regex(run.stderr, /cgi-bin\/hello\.ts is TypeScript source, not a CGI script: build it first: `npx cgi-shim build`.*; then `npx cgi-shim run hello`/);
});
