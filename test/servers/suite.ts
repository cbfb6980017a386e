// Registers the server tests of one server kind: one private server per test file, started
// before its tests and stopped after them (also when one fails), and every flow of flows.ts run
// against it. When the server is not installed the suite fails on CI and is skipped, loudly,
// elsewhere.

import test from 'ava';
import { isInstalled, PACKAGES, type RunningServer, type ServerKind, type ServerOptions } from '../helpers/servers.js';
import { FIXTURE_SCRIPTS, FLOWS } from './flows.js';
import { exclusively } from '../helpers/exclusive.js';

/** Defines the suite for `kind`; `start` is startApache or startLighttpd. Returns false when the
 * server is missing (and the suite skipped), so a file can leave out its own extra tests. */
export function serverSuite(kind: ServerKind, start: (options: ServerOptions) => Promise<RunningServer>): boolean {
  if (!isInstalled(kind)) {
    const message = `${kind} is not installed, so the ${kind} server tests cannot run. Install it with: sudo apt-get install ${PACKAGES[kind]}`;
    if (process.env.CI === 'true') {
      test(`${kind}: the server is installed (required on CI)`, (t) => t.fail(message));
    } else {
      console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPED: ${message}\n${'!'.repeat(100)}\n`);
      for (const flow of FLOWS) test.skip(`${kind}: ${flow.title} (not installed: sudo apt-get install ${PACKAGES[kind]})`, () => {});
    }
    return false;
  }

  let server: RunningServer | undefined;
  test.before(async () => {
    server = await start({ extraScripts: FIXTURE_SCRIPTS });
  });
  test.after.always(async () => {
    await server?.stop();
  });
  for (const flow of FLOWS) {
    test(`${kind}: ${flow.title}`, async (t) => {
      if (server === undefined) throw new Error(`${kind} did not start`);
      const running = server;
      await (flow.heavy ? exclusively(() => flow.run(t, running)) : flow.run(t, running));
    });
  }
  return true;
}
