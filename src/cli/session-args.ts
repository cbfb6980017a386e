// The options the session commands (`gc`, `sessions`) share: which store (a folder, or a Redis
// server), and the timeouts and lock timing the scripts use, with the scripts' own defaults.

import { join, resolve } from 'node:path';
import { resolveDataDir } from '../base/data-dir.js';
import { HOST_DEFAULTS } from '../host/server.js';
import type { FileSessionStore } from '../session/file-store.js';
import { LOCK_DEFAULTS } from '../session/lock-timing.js';
import { SESSION_DEFAULTS } from '../session/options.js';
import { RedisSessionStore } from '../session/redis/store.js';
import { openStore } from '../session/store-choice.js';
import type { SessionStore } from '../session/store.js';
import { positiveNumber, type ParsedArgs } from './args.js';

/** The options every session command understands, for parseCommand. */
export const SESSION_OPTIONS = {
  dir: { type: 'string' },
  store: { type: 'string' },
  'idle-timeout': { type: 'string', default: String(SESSION_DEFAULTS.idleTimeoutSeconds) },
  'absolute-timeout': { type: 'string', default: String(SESSION_DEFAULTS.absoluteTimeoutSeconds) },
  'stale-ms': { type: 'string', default: String(LOCK_DEFAULTS.staleMs) },
} as const;

/** Their lines of a command's --help text. */
export const SESSION_OPTIONS_HELP = `  --dir DIR                 sessions folder (default: $CGI_SESSION_DIR, else the project's
                            sessions/ that the scripts in ${HOST_DEFAULTS.dir} use, else this
                            user's private folder in $TMPDIR or /tmp, as scripts under a server)
  --store ADDRESS           the Redis server the scripts keep sessions in, as in CGI_SESSION_STORE:
                            redis://[user:password@]host:port/db, rediss://… or a socket path
                            (default: $CGI_SESSION_STORE unless --dir is given; with
                            $CGI_SESSION_STORE_CA for rediss://)
  --idle-timeout SECONDS    idle timeout the scripts use (default ${SESSION_DEFAULTS.idleTimeoutSeconds})
  --absolute-timeout SECONDS  absolute timeout the scripts use (default ${SESSION_DEFAULTS.absoluteTimeoutSeconds})
  --stale-ms MS             lock stale time the scripts use (default ${LOCK_DEFAULTS.staleMs})
  -h, --help                show this help
`;

/** The settings the options describe. */
export interface SessionSettings {
  dir: string;
  /** The environment naming the Redis store, when sessions are kept in Redis. */
  redis: { CGI_SESSION_STORE: string; CGI_SESSION_STORE_CA: string | undefined } | undefined;
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
  if (values.dir !== undefined && values.store !== undefined) return '--dir and --store name two stores: give one';
  const address = values.store ?? (values.dir === undefined ? env.CGI_SESSION_STORE : undefined);
  const redis = address === undefined || address === '' ? undefined : { CGI_SESSION_STORE: address, CGI_SESSION_STORE_CA: env.CGI_SESSION_STORE_CA };
  const dir = values.dir === undefined ? resolveDataDir(env, join(resolve(HOST_DEFAULTS.dir), 'index.cgi')) : resolve(values.dir);
  return { dir, redis, idleMs: idle * 1000, absoluteMs: absolute * 1000, staleMs };
}

/** A store opened by a command, and where it is, for messages (never with a password). */
export interface CommandStore {
  /** Either store: both list their sessions and tell which are locked. */
  store: SessionStore & Required<Pick<SessionStore, 'list' | 'isLocked'>>;
  where: string;
  /** Lets the process end at once (the Redis connection). */
  close(): Promise<void>;
}

/** The store the settings describe, chosen as a script chooses it (../session/store-choice.ts). */
export async function storeFor(settings: SessionSettings): Promise<CommandStore> {
  const store = await openStore({
    env: settings.redis ?? {},
    dir: settings.dir,
    staleMs: settings.staleMs,
    idleTimeoutSeconds: settings.idleMs / 1000,
    absoluteTimeoutSeconds: settings.absoluteMs / 1000,
  }) as FileSessionStore | RedisSessionStore;
  if (store instanceof RedisSessionStore) return { store, where: store.client.address, close: () => store.close() };
  return { store, where: store.dir, close: async () => {} };
}
