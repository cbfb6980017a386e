// `npm run docs`: TypeDoc makes the API reference from the doc comments of src/index.ts's exports,
// with every type they mention documented too (typedoc.json treats a warning as an error, and
// leaves out source links: they need a public git remote, which a clone or a CI checkout may lack).
import test from 'ava';
import { execFile } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './helpers/cgi.js';
import { tempDir } from './helpers/temp-dir.js';

test('the API reference builds without a warning and documents the public API', async (t) => {
  const out = await tempDir('cgi-shim-api-');
  t.teardown(() => rm(out, { recursive: true, force: true }));
  const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
  await promisify(execFile)(process.execPath, [typedoc, '--out', out], { cwd: ROOT });
  t.true((await readdir(join(out, 'functions'))).includes('openSession.html'));
  const run = await readFile(join(out, 'functions', 'run.html'), 'utf8');
  t.regex(run, /Runs a CGI script: call it once at the top level of the script/);
});
