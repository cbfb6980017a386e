// StrykerJS settings for one module (scripts/mutate.js sets MUTATE_MODULE and MUTATE_TESTS):
// mutants of src/<module>.ts, each judged by ava running only that module's in-process tests.
// See docs/mutation.md.

const module = process.env.MUTATE_MODULE;
const tests = process.env.MUTATE_TESTS;
if (!module || !tests) throw new Error('run mutation testing through `npm run mutate` (scripts/mutate.js)');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // MUTATE_RANGES (`line:column-line:column,…`): only the mutants there (a survivors-only run).
  mutate: process.env.MUTATE_RANGES ? process.env.MUTATE_RANGES.split(',').map((range) => `src/${module}.ts:${range}`) : [`src/${module}.ts`],
  testRunner: 'command',
  // The command runner cannot tell which test covers a mutant, so every mutant runs the module's
  // whole test selection; --fail-fast stops at the first failure, which is all a kill needs.
  // Tests of built scripts are left out: a bundle in dist/ was built before any mutant existed.
  commandRunner: { command: `node node_modules/ava/entrypoints/cli.mjs --fail-fast --match '!a built script *' ${tests}` },
  coverageAnalysis: 'off',
  // A run over this long counts as a timeout, which Stryker counts as killed: generous, so that a
  // machine busy with other work does not pass a surviving mutant off as an endless loop.
  timeoutMS: 20_000,
  // Mutants that do not type-check could never ship (`npm run build` runs tsc): not counted.
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutate.json',
  concurrency: 2,
  // cgi-bin/ stays: test/adapters/cgi.test.ts runs a demo from its TypeScript source.
  ignorePatterns: ['dist', 'docs', 'test-output', 'sessions/*', 'reports', 'bench', 'starter', '*.log'],
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${module}${process.env.MUTATE_RANGES ? '.survivors' : ''}.json` },
  htmlReporter: { fileName: `reports/mutation/${module}${process.env.MUTATE_RANGES ? '.survivors' : ''}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 95, low: 85, break: null },
};
