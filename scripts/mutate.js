// `npm run mutate [-- <group|module>...] [--all] [--concurrency N] [--survivors]`: mutation
// testing (StrykerJS) of the modules that carry SECURITY.md's promises, one Stryker run per module
// so that each mutant is judged only by that module's fast in-process tests. With no group or
// module named, only the modules whose code or tests changed since their last run are run again
// (`--all`: every one). `--survivors` tests again only the mutants that survived or timed out in
// the module's last report (after adding tests) and updates that report. Not part of `npm test`.
// See docs/mutation.md.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Module under src/ (without .ts) → the test files that judge its mutants. */
const MODULES = {
  'session/session': ['test/session/session.test.ts', 'test/session/csrf.test.ts'],
  'session/file-store': ['test/session/file-store.test.ts', 'test/session/store-contract.test.ts', 'test/session/gc.test.ts', 'test/session/session.test.ts'],
  'session/file-calls': ['test/session/file-calls.test.ts', 'test/session/file-store.test.ts', 'test/session/store-contract.test.ts'],
  'session/lock': ['test/session/lock.test.ts', 'test/session/file-store.test.ts', 'test/session/store-contract.test.ts'],
  'session/record': ['test/session/record.test.ts', 'test/session/store-contract.test.ts'],
  'session/redis/store': ['test/session/redis/store.test.ts', 'test/session/redis/lock.test.ts', 'test/session/store-contract.test.ts'],
  'session/redis/lock': ['test/session/redis/lock.test.ts', 'test/session/redis/store.test.ts', 'test/session/store-contract.test.ts', 'test/session/redis/exit.test.ts'],
  'session/id': ['test/session/id.test.ts'],
  'session/csrf': ['test/session/csrf.test.ts'],
  'session/gc': ['test/session/gc.test.ts'],
  'session/options': ['test/session/options.test.ts', 'test/session/session.test.ts'],
  'secrets/signing': ['test/secrets/signing.test.ts'],
  'secrets/passwords': ['test/secrets/passwords.test.ts'],
  'base/html': ['test/base/html.test.ts'],
  'core/cookies': ['test/core/cookies.test.ts'],
  'core/forms': ['test/core/forms.test.ts'],
  'core/request': ['test/core/request.test.ts'],
  'adapters/cgi': ['test/adapters/cgi.test.ts'],
  'adapters/fastcgi/records': ['test/adapters/fastcgi/records.test.ts', 'test/adapters/fastcgi/responder.test.ts'],
  'host/script-path': ['test/host/script-path.test.ts'],
  'host/environment': ['test/host/environment.test.ts'],
  'host/output': ['test/host/output.test.ts', 'test/host/transfer.test.ts'],
  'host/transfer': ['test/host/transfer.test.ts', 'test/host/server.test.ts'],
};

const GROUPS = {
  session: Object.keys(MODULES).filter((m) => m.startsWith('session/')),
  secrets: ['secrets/signing', 'secrets/passwords'],
  html: ['base/html'],
  cookies: ['core/cookies'],
  body: ['core/forms', 'core/request', 'adapters/cgi', 'adapters/fastcgi/records'],
  host: Object.keys(MODULES).filter((m) => m.startsWith('host/')),
};

const args = process.argv.slice(2);
const at = args.indexOf('--concurrency');
const concurrency = at >= 0 ? args.splice(at, 2)[1] : '2';
const survivorsOnly = args.includes('--survivors');
if (survivorsOnly) args.splice(args.indexOf('--survivors'), 1);
const all = args.includes('--all');
if (all) args.splice(args.indexOf('--all'), 1);
// Named modules always run; the default skips those whose last run still holds.
const changedOnly = args.length === 0 && !all && !survivorsOnly;
const names = args.length > 0 ? args : Object.keys(GROUPS);
const modules = names.flatMap((name) => {
  if (GROUPS[name]) return GROUPS[name];
  if (MODULES[name]) return [name];
  console.error(`mutate: unknown group or module "${name}"; groups: ${Object.keys(GROUPS).join(', ')}; ` +
    `modules: ${Object.keys(MODULES).join(', ')}`);
  process.exit(2);
});

const rows = [];
for (const module of modules) {
  if (changedOnly && existsSync(fingerprintFile(module)) && readFileSync(fingerprintFile(module), 'utf8') === fingerprint(module)) {
    console.log(`\n=== src/${module}.ts and its tests are unchanged since its last run: its report stands`);
    rows.push(summarize(module));
    continue;
  }
  const ranges = survivorsOnly ? survivorRanges(module) : '';
  if (survivorsOnly && ranges === '') {
    rows.push(summarize(module));
    continue;
  }
  console.log(`\n=== mutate src/${module}.ts${ranges === '' ? '' : ` (${ranges.split(',').length} places)`} with ${MODULES[module].join(' ')}`);
  const run = spawnSync('node', ['node_modules/@stryker-mutator/core/bin/stryker.js', 'run', 'scripts/stryker.config.mjs',
    '--concurrency', concurrency], {
    stdio: 'inherit',
    env: { ...process.env, MUTATE_MODULE: module, MUTATE_TESTS: MODULES[module].join(' '), MUTATE_RANGES: ranges },
  });
  if (run.status !== 0) {
    console.error(`mutate: Stryker failed on src/${module}.ts (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
  if (survivorsOnly) mergeRerun(module);
  writeFileSync(fingerprintFile(module), fingerprint(module));
  rows.push(summarize(module));
}

for (const r of rows) {
  for (const line of r.survivors) console.log(`src/${r.module}.ts:${line}`);
}

console.log('\n| module | mutants | killed | timeout | survived | no coverage | score |');
console.log('|---|--:|--:|--:|--:|--:|--:|');
for (const r of rows) {
  console.log(`| src/${r.module}.ts | ${r.total} | ${r.Killed} | ${r.Timeout} | ${r.Survived} | ${r.NoCoverage} | ${r.score} |`);
}

function fingerprintFile(module) {
  return `reports/mutation/${module}.fingerprint`;
}

/** A hash of what a module's mutation score depends on: its source and the modules of src/ it
 * imports, the tests that judge it and their helpers, the Stryker settings and the dependencies'
 * versions. The same hash as at its last run: that run's report still holds. */
function fingerprint(module) {
  const source = `src/${module}.ts`;
  const imported = [...readFileSync(source, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)]
    .map((match) => join(dirname(source), `${match[1]}.ts`));
  const helpers = readdirSync('test/helpers').map((name) => join('test/helpers', name));
  const files = [source, ...imported, ...MODULES[module], ...helpers, 'scripts/stryker.config.mjs', 'package-lock.json'];
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(existsSync(file) ? readFileSync(file) : '(missing)').update('\0');
  return hash.digest('hex');
}

/** Where the module's surviving or timed-out mutants are in its last report, as Stryker ranges
 * `line:column-line:column`, comma-separated; refuses a
 * report of another version of the source, whose mutants would not be the same. */
function survivorRanges(module) {
  const path = `reports/mutation/${module}.json`;
  if (!existsSync(path)) {
    console.error(`mutate: no report of src/${module}.ts here yet (${path}); run it whole first: npm run mutate -- ${module}`);
    process.exit(2);
  }
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const [file] = Object.values(report.files);
  if (file.source !== readFileSync(`src/${module}.ts`, 'utf8')) {
    console.error(`mutate: src/${module}.ts changed since its last full run; run it whole: npm run mutate -- ${module}`);
    process.exit(2);
  }
  // A timeout may be a loop the mutant made endless, or a machine too busy: tested again too.
  return file.mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage' || m.status === 'Timeout')
    // One column of slack each side: Stryker's ranges and its report may count columns differently.
    .map(({ location: { start, end } }) => `${start.line}:${Math.max(0, start.column - 1)}-${end.line}:${end.column + 1}`)
    .filter((range, i, all) => all.indexOf(range) === i).join(',');
}

/** Puts the statuses of a survivors-only run into the module's full report. */
function mergeRerun(module) {
  const path = `reports/mutation/${module}.json`;
  const report = JSON.parse(readFileSync(path, 'utf8'));
  const rerun = JSON.parse(readFileSync(`reports/mutation/${module}.survivors.json`, 'utf8'));
  const key = (m) => `${JSON.stringify(m.location)} ${m.mutatorName} ${m.replacement}`;
  const fresh = new Map(Object.values(rerun.files).flatMap((file) => file.mutants).map((m) => [key(m), m]));
  for (const file of Object.values(report.files)) {
    file.mutants = file.mutants.map((m) => fresh.get(key(m)) ?? m);
  }
  writeFileSync(path, JSON.stringify(report));
}

/** Counts a module's mutants by status from Stryker's JSON report; compile errors do not count. */
function summarize(module) {
  const report = JSON.parse(readFileSync(`reports/mutation/${module}.json`, 'utf8'));
  const counts = { module, Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, total: 0, survivors: [] };
  for (const file of Object.values(report.files)) {
    const lines = file.source.split('\n');
    for (const mutant of file.mutants) {
      if (!(mutant.status in counts)) continue; // CompileError, RuntimeError, Ignored
      counts[mutant.status]++;
      counts.total++;
      if (mutant.status === 'Survived' || mutant.status === 'NoCoverage') counts.survivors.push(describe(mutant, lines));
    }
  }
  const detected = counts.Killed + counts.Timeout;
  counts.score = counts.total === 0 ? 'n/a' : `${(100 * detected / counts.total).toFixed(1)} %`;
  return counts;
}

/** One line for a surviving mutant: where, which mutator, and the code it replaced with what. */
function describe(mutant, lines) {
  const { start, end } = mutant.location;
  const original = start.line === end.line
    ? lines[start.line - 1].slice(start.column - 1, end.column - 1)
    : `${lines[start.line - 1].slice(start.column - 1)} …`;
  const squeeze = (text) => text.replace(/\s+/g, ' ').slice(0, 90);
  return `${start.line}:${start.column} ${mutant.mutatorName}: ${squeeze(original)} → ${squeeze(mutant.replacement ?? '')}`;
}
