import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { ROOT } from '../helpers/cgi.js';
import { runCli } from '../helpers/cli.js';
import { makeScriptsFolder } from '../helpers/host.js';
import { tempDir } from '../helpers/temp-dir.js';

test('cgi-shim serve prints its URL, serves scripts, logs requests and stops on SIGTERM', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  const serve = await startServe(t, ['--dir', dir]);
  const response = await fetch(new URL('cgi-bin/status.cgi', serve.url));
  t.is(response.status, 418);
  t.is(await response.text(), 'short and stout\n');
  t.is(await serve.stop(), 0);
  t.regex(serve.stderr(), /^GET \/cgi-bin\/status\.cgi 418 [0-9]+ms$/m);
  t.regex(serve.stderr(), /^\[status\.cgi\] a warning for the error log$/m);
});

test('cgi-shim serve answers the names of --allowed-host, and 421 to others', async (t) => {
  const { dir } = await makeScriptsFolder(t);
  const serve = await startServe(t, ['--dir', dir, '--allowed-host', 'dev.example', '--allowed-host', 'other.test']);
  const statusFor = (host: string) => new Promise<number>((resolve, reject) => {
    const url = new URL('cgi-bin/status.cgi', serve.url);
    request(url, { headers: { Host: host } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject).end();
  });
  t.is(await statusFor('dev.example'), 418);
  t.is(await statusFor('other.test:8080'), 418);
  t.is(await statusFor('attacker.example'), 421);
  t.is(await serve.stop(), 0);
});

/** `cgi-shim serve --port 0 <args>`, once it prints its URL; stopped by the test's end. */
async function startServe(t: ExecutionContext, args: string[]): Promise<{ url: string; stderr: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'cgi-shim.js'), 'serve', '--port', '0', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const match = /^serving (http:\/\/127\.0\.0\.1:[0-9]+\/)\n/m.exec(stdout);
      if (match) resolve(match[1]!);
    });
    child.once('close', () => reject(new Error(`serve ended before listening: ${stderr}`)));
  });
  return { url, stderr: () => stderr, stop: () => { child.kill('SIGTERM'); return exited; } };
}

test('cgi-shim serve refuses a bad port with exit status 2', async (t) => {
  const run = await runCli(['serve', '--port', 'eighty']);
  t.is(run.code, 2);
  t.regex(run.stderr, /--port must be a whole number/);
});

test('cgi-shim serve reports a port in use', async (t) => {
  const { createServer } = await import('node:net');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  const port = (blocker.address() as import('node:net').AddressInfo).port;
  const run = await runCli(['serve', '--port', String(port), '--dir', 'test/fixtures/host-cgi-bin']);
  t.is(run.code, 1);
  t.regex(run.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
});

test('cgi-shim serve reports a missing scripts folder', async (t) => {
  const run = await runCli(['serve', '--port', '0', '--dir', '/nonexistent/cgi-bin']);
  t.is(run.code, 1);
  t.regex(run.stderr, /scripts folder \/nonexistent\/cgi-bin cannot be opened/);
});

test('cgi-shim lists serve and run in its usage', async (t) => {
  const run = await runCli(['--help']);
  t.is(run.code, 0);
  t.regex(run.stdout.toString(), /^  serve +host a folder/m);
  t.regex(run.stdout.toString(), /^  run +run one CGI script/m);
});

test('cgi-shim serve without built scripts says to build them', async (t) => {
  const dir = await tempDir();
  const run = await runCli(['serve', '--port', '0'], { cwd: dir });
  t.is(run.code, 1);
  t.regex(run.stderr, /scripts folder dist\/cgi-bin cannot be opened: build your scripts first: `npx cgi-shim build`/);
});
