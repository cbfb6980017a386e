// The options the session commands (`gc`, `sessions`) share: which folder, and the timeouts and
// lock timing the scripts use, with the scripts' own defaults.

import { join, resolve } from 'node:path';
import { resolveDataDir } from '../base/data-dir.js';
import { HOST_DEFAULTS } from '../host/server.js';
import { FileSessionStore } from '../session/file-store.js';
import { LOCK_DEFAULTS } from '../session/lock.js';
import { SESSION_DEFAULTS } from '../session/options.js';
import { positiveNumber, type ParsedArgs } from './args.js';

/** The options every session command understands, for parseCommand. */
export const SESSION_OPTIONS = {
  dir: { type: 'string' },
  'idle-timeout': { type: 'string', default: String(SESSION_DEFAULTS.idleTimeoutSeconds) },
  'absolute-timeout': { type: 'string', default: String(SESSION_DEFAULTS.absoluteTimeoutSeconds) },
  'stale-ms': { type: 'string', default: String(LOCK_DEFAULTS.staleMs) },
} as const;

/** Their lines of a command's --help text. */
export const SESSION_OPTIONS_HELP = `  --dir DIR                 sessions folder (default: $CGI_SESSION_DIR, else the project's
                            sessions/ that the scripts in ${HOST_DEFAULTS.dir} use, else this
                            user's private folder in $TMPDIR or /tmp, as scripts under a server)
  --idle-timeout SECONDS    idle timeout the scripts use (default ${SESSION_DEFAULTS.idleTimeoutSeconds})
  --absolute-timeout SECONDS  absolute timeout the scripts use (default ${SESSION_DEFAULTS.absoluteTimeoutSeconds})
  --stale-ms MS             lock stale time the scripts use (default ${LOCK_DEFAULTS.staleMs})
  -h, --help                show this help
`;

/** The settings the options describe. */
export interface SessionSettings {
  dir: string;
  idleMs: number;
  absoluteMs: number;
  staleMs: number;
}

/** Reads the session options; a string is the usage error to report. */
export function sessionSettings(values: ParsedArgs<typeof SESSION_OPTIONS>['values'], env: Readonly<Record<string, string | undefined>>): SessionSettings | string {
  const idle = positiveNumber(values['idle-timeout']);
  const absolute = positiveNumber(values['absolute-timeout']);
  const staleMs = positiveNumber(values['stale-ms']);
  if (idle === undefined) return `--idle-timeout needs a positive number, not "${values['idle-timeout']}"`;
  if (absolute === undefined) return `--absolute-timeout needs a positive number, not "${values['absolute-timeout']}"`;
  if (staleMs === undefined) return `--stale-ms needs a positive number, not "${values['stale-ms']}"`;
  // The folder a built script in the default scripts folder would use from a shell, so that the
  // commands and the scripts agree.
  const dir = values.dir === undefined ? resolveDataDir(env, join(resolve(HOST_DEFAULTS.dir), 'index.cgi')) : resolve(values.dir);
  return { dir, idleMs: idle * 1000, absoluteMs: absolute * 1000, staleMs };
}

/** The file store the settings describe. */
export function storeFor(settings: SessionSettings): FileSessionStore {
  return new FileSessionStore({ dir: settings.dir, staleMs: settings.staleMs });
}
