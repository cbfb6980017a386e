// `cgi-shim gc`: removes expired sessions and crash debris; meant for cron. Sessions whose lock is
// held are in use and are left alone.

import { sweepSessions } from '../session/gc.js';
import { COMMON_HELP, readSessionArgs, storeFor } from './options.js';

const HELP = `usage: cgi-shim gc [options]

Removes expired sessions (and temporary files or locks left by crashed scripts) from the
sessions folder. Run it from cron, e.g. every 10 minutes. Locked sessions are never removed.

${COMMON_HELP}`;

/** Runs the command; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const options = readSessionArgs('gc', args, HELP);
  if (typeof options === 'number') return options;
  const result = await sweepSessions(storeFor(options), { ...options, now: Date.now() });
  process.stdout.write(`examined ${result.examined}, removed ${result.removed} expired, ` +
    `skipped ${result.locked} locked, removed ${result.leftovers} leftovers (${options.dir})\n`);
  return 0;
}
