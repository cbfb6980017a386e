// `cgi-shim fastcgi` as a user meets it: its usage errors. (Serving, recycling and stopping are
// in test/adapters/fastcgi/process.test.ts, through the same command.)
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FASTCGI_DEFAULTS } from '../../src/adapters/fastcgi/serve.js';
import { withNodeOptions } from '../../src/cli/fastcgi.js';
import { DIST_CGI_BIN, ROOT } from '../helpers/cgi.js';
import { runCli } from '../helpers/cli.js';

const HELLO = join(DIST_CGI_BIN, 'hello.cgi');

test('cgi-shim fastcgi --help shows the options and exits 0', async (t) => {
  const run = await runCli(['fastcgi', '--help']);
  t.is(run.code, 0);
  t.regex(run.stdout.toString(), /--listen HOST:PORT\|PATH[\s\S]*--workers N[\s\S]*CGI_FCGI_MAX_REQUESTS/);
});

for (const [args, message] of [
  [[], /the script to run is missing/],
  [[HELLO], /--listen is missing/],
  [[HELLO, '--listen', 'localhost:9000'], /--listen is invalid: "localhost:9000" \(HOST:PORT with an IP address, or a socket path\)/],
  [[HELLO, '--listen', '127.0.0.1:70000'], /--listen is invalid/],
  [[HELLO, '--listen', '/tmp/x.sock', '--workers', '0'], /--workers must be a whole number from 1 to 256, not "0"/],
  [[HELLO, '--listen', '/tmp/x.sock', '--socket-mode', 'rw'], /--socket-mode must be octal permissions such as 660, not "rw"/],
] as const) {
  test(`cgi-shim fastcgi ${args.map((a) => a.replace(DIST_CGI_BIN, 'dist/cgi-bin')).join(' ') || '(no arguments)'} is a usage error`, async (t) => {
    const run = await runCli(['fastcgi', ...args]);
    t.is(run.code, 2);
    t.regex(run.stderr, message);
  });
}

test('cgi-shim fastcgi refuses a script it cannot run', async (t) => {
  const run = await runCli(['fastcgi', join(DIST_CGI_BIN, 'package.json'), '--listen', '/tmp/x.sock']);
  t.is(run.code, 2);
  t.regex(run.stderr, /cannot run .*package\.json/);
});

test('withNodeOptions adds the option after the user\'s, unless they set it themselves', (t) => {
  t.is(withNodeOptions(undefined, '--max-semi-space-size=1'), '--max-semi-space-size=1');
  t.is(withNodeOptions('   ', '--max-semi-space-size=1'), '--max-semi-space-size=1');
  t.is(withNodeOptions('--enable-source-maps', '--max-semi-space-size=1'), '--enable-source-maps --max-semi-space-size=1');
  t.is(withNodeOptions('--require "/srv/a  b.js"', '--max-semi-space-size=1'), '--require "/srv/a  b.js" --max-semi-space-size=1');
  t.is(withNodeOptions('--max-semi-space-size=8 --trace-warnings', '--max-semi-space-size=1'), '--max-semi-space-size=8 --trace-warnings');
  t.is(withNodeOptions('--max_semi_space_size=4', '--max-semi-space-size=1'), '--max_semi_space_size=4');
  t.is(withNodeOptions('--max-semi-space-size-x=8', '--max-semi-space-size=1'), '--max-semi-space-size-x=8 --max-semi-space-size=1');
});

test('the shipped FastCGI configurations start processes with the same Node option as cgi-shim fastcgi', (t) => {
  const option = FASTCGI_DEFAULTS.nodeOptions;
  t.true(readFileSync(join(ROOT, 'apache-fcgid.conf'), 'utf8').includes(`\nFcgidInitialEnv NODE_OPTIONS "${option}"\n`));
  t.true(readFileSync(join(ROOT, 'lighttpd-fastcgi.conf'), 'utf8').includes(`"NODE_OPTIONS" => "${option}"`));
});
