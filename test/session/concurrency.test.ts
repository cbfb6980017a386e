// 100 processes, one session: every update must survive. Serial tests: each already loads both cores.
import test from 'ava';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseRecord } from '../../src/session/record.js';
import { runScript } from '../helpers/cgi.js';
import { buildFixture } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/temp-dir.js';
import { exclusively } from '../helpers/exclusive.js';

const PARALLEL = 100;

function sidFrom(setCookie: string | undefined): string {
  const match = /^sid=([A-Za-z0-9_-]{43});/.exec(setCookie ?? '');
  if (!match) throw new Error(`no session cookie in ${setCookie}`);
  return match[1]!;
}

test.serial(`${PARALLEL} concurrent processes each append their number to one session exactly once`, async (t) => {
  const root = await tempDir();
  const dir = join(root, 'sessions');
  const script = await buildFixture('append', root);
  const env = { CGI_SESSION_DIR: dir };
  const first = await runScript(script, { env: { ...env, QUERY_STRING: 'n=0' } });
  t.is(first.response.status, 200, first.stderr);
  const sid = sidFrom(first.response.header('set-cookie'));
  const runs = await exclusively(() => Promise.all(Array.from({ length: PARALLEL }, (_, i) =>
    runScript(script, { env: { ...env, QUERY_STRING: `n=${i + 1}`, HTTP_COOKIE: `sid=${sid}` }, timeoutMs: 90_000 }))));
  t.deepEqual(runs.map((run) => run.response.status), Array(PARALLEL).fill(200), runs.map((run) => run.stderr).join(''));
  // Every process saw a different length: the updates happened one after another.
  t.is(new Set(runs.map((run) => run.response.text)).size, PARALLEL);
  const record = parseRecord(await readFile(join(dir, `${sid}.json`), 'utf8'));
  const seen = (record!.data.seen as number[]).slice().sort((a, b) => a - b);
  t.deepEqual(seen, Array.from({ length: PARALLEL + 1 }, (_, i) => i));
  t.deepEqual(await readdir(dir), [`${sid}.json`]); // No lock or temporary file left behind.
});

test.serial(`counter.cgi counts ${PARALLEL} parallel requests with one cookie`, async (t) => {
  const dir = join(await tempDir(), 'sessions');
  const first = await runScript('counter', { env: { CGI_SESSION_DIR: dir } });
  const sid = sidFrom(first.response.header('set-cookie'));
  const runs = await exclusively(() => Promise.all(Array.from({ length: PARALLEL }, () =>
    runScript('counter', { env: { CGI_SESSION_DIR: dir, HTTP_COOKIE: `sid=${sid}` }, timeoutMs: 60_000 }))));
  t.deepEqual(runs.map((run) => run.response.status), Array(PARALLEL).fill(200), runs.map((run) => run.stderr).join(''));
  const counts = runs.map((run) => Number(/id="count">(\d+)</.exec(run.response.text)?.[1])).sort((a, b) => a - b);
  t.deepEqual(counts, Array.from({ length: PARALLEL }, (_, i) => i + 2));
  const last = await runScript('counter', { env: { CGI_SESSION_DIR: dir, HTTP_COOKIE: `sid=${sid}` } });
  t.regex(last.response.text, new RegExp(`id="count">${PARALLEL + 2}<`));
});
