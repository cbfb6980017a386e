// `cgi-shim gc`: removes expired sessions and crash debris; meant for cron. Sessions whose lock is
// held are in use and are left alone.

import { sweepSessions } from '../session/gc.js';
import { parseCommand, usageError } from './args.js';
import { SESSION_OPTIONS, SESSION_OPTIONS_HELP, sessionSettings, storeFor } from './session-args.js';

const SPEC = {
  name: 'gc',
  usage: `usage: cgi-shim gc [options]

Removes expired sessions (and temporary files or locks left by crashed scripts) from the
sessions folder. Run it from cron, e.g. every 10 minutes. Locked sessions are never removed.

${SESSION_OPTIONS_HELP}`,
  options: SESSION_OPTIONS,
} as const;

/** Runs the command; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const settings = sessionSettings(parsed.values, process.env);
  if (typeof settings === 'string') return usageError(SPEC.name, settings);
  const result = await sweepSessions(storeFor(settings), { ...settings, now: Date.now() });
  process.stdout.write(`examined ${result.examined}, removed ${result.removed} expired, ` +
    `skipped ${result.locked} locked, removed ${result.leftovers} leftovers (${settings.dir})\n`);
  return 0;
}
