// `cgi-shim gc`: removes expired sessions and crash debris; meant for cron. Sessions whose lock is
// held are in use and are left alone. On a terminal it shows how far it is: a large folder takes
// a while (BENCHMARKS.md, scale).

import { sweepSessions } from '../session/gc.js';
import { parseCommand, usageError } from './args.js';
import { SESSION_OPTIONS, SESSION_OPTIONS_HELP, sessionSettings, storeFor } from './session-args.js';

const SPEC = {
  name: 'gc',
  usage: `usage: cgi-shim gc [options]

Removes expired sessions (and temporary files or locks left by crashed scripts) from the
sessions folder. Run it from cron, e.g. every 10 minutes. Locked sessions are never removed.
Sessions kept in Redis expire by themselves: then it says so and does nothing.
On a terminal, it shows its progress on stderr.

${SESSION_OPTIONS_HELP}`,
  options: SESSION_OPTIONS,
} as const;

/** How often the progress line is redrawn, in ms. */
const PROGRESS_EVERY_MS = 200;

/** Runs the command; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const settings = sessionSettings(parsed.values, process.env);
  if (typeof settings === 'string') return usageError(SPEC.name, settings);
  const { store, where, close } = await storeFor(settings);
  if (store.expiresSessions === true) {
    await close();
    process.stdout.write(`nothing to do: sessions in ${where} expire by themselves (Redis key expiry)\n`);
    return 0;
  }
  const progress = process.stderr.isTTY ? new ProgressLine() : undefined;
  const result = await sweepSessions(store, { ...settings, now: Date.now(), onProgress: progress?.update });
  progress?.clear();
  process.stdout.write(`examined ${result.examined}, removed ${result.removed} expired, ` +
    `skipped ${result.locked} locked, removed ${result.leftovers} leftovers (${where})\n`);
  return 0;
}

/** One line on the terminal, redrawn in place: `gc: 12,000 of 100,000 sessions examined (12 %)`. */
class ProgressLine {
  #drawnAt = 0;
  #drawn = false;

  readonly update = (examined: number, total: number): void => {
    const now = Date.now();
    if (now - this.#drawnAt < PROGRESS_EVERY_MS && examined < total) return;
    this.#drawnAt = now;
    this.#drawn = true;
    const percent = Math.floor((examined / total) * 100);
    process.stderr.write(`\rgc: ${examined.toLocaleString('en')} of ${total.toLocaleString('en')} sessions examined (${percent} %)`);
  };

  clear(): void {
    if (this.#drawn) process.stderr.write('\r\x1b[K');
  }
}
