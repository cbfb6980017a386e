// Registers the server tests of one server setup: one private server per test file, started
// before its tests and stopped after them (also when one fails), and every flow of flows.ts run
// against it. When the server (or a module it needs) is not installed the suite fails on CI and
// is skipped, loudly, elsewhere.

import test from 'ava';
import { isInstalled, packagesFor, type RunningServer, type ServerKind, type ServerOptions } from '../helpers/servers.js';
import type { ApacheMode } from '../helpers/server-config.js';
import { FIXTURE_SCRIPTS, FLOWS, type ServerFlow } from './flows.js';
import { exclusively } from '../helpers/exclusive.js';

/** A setup other than the server's plain CGI one. */
export interface SuiteVariant {
  /** Read as "<label>: <title>" in the test list, e.g. `apache mod_fcgid`. */
  label: string;
  /** For Apache: the modules the setup needs. */
  mode?: ApacheMode;
  /** Flows of this setup only, run after the common ones. */
  flows?: ServerFlow[];
}

/** Defines the suite for `kind`; `start` starts the server as the setup wants. Returns false when
 * the server is missing (and the suite skipped), so a file can leave out its own extra tests. */
export function serverSuite(kind: ServerKind, start: (options: ServerOptions) => Promise<RunningServer>, variant?: SuiteVariant): boolean {
  const label = variant?.label ?? kind;
  const flows = [...FLOWS, ...(variant?.flows ?? [])];
  if (!isInstalled(kind, variant?.mode)) {
    const packages = packagesFor(kind, variant?.mode);
    const message = `${label} is not installed, so the ${label} server tests cannot run. Install it with: sudo apt-get install ${packages}`;
    if (process.env.CI === 'true') {
      test(`${label}: the server is installed (required on CI)`, (t) => t.fail(message));
    } else {
      console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPED: ${message}\n${'!'.repeat(100)}\n`);
      for (const flow of flows) test.skip(`${label}: ${flow.title} (not installed: sudo apt-get install ${packages})`, () => {});
    }
    return false;
  }

  let server: RunningServer | undefined;
  test.before(async () => {
    server = await start({ extraScripts: FIXTURE_SCRIPTS });
  });
  test.afterEach.always(async (t) => {
    // A failure through a server is often explained by its error log.
    if (!t.passed && server !== undefined) t.log(`${server.errorLog}, last lines:\n${(await server.readLog(server.errorLog)).split('\n').slice(-30).join('\n')}`);
  });
  test.after.always(async () => {
    await server?.stop();
  });
  for (const flow of flows) {
    test(`${label}: ${flow.title}`, async (t) => {
      if (server === undefined) throw new Error(`${label} did not start`);
      const running = server;
      await (flow.heavy ? exclusively(() => flow.run(t, running)) : flow.run(t, running));
    });
  }
  return true;
}
