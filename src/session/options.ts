// Session options: what a script may set, with defaults, resolved once per request into the
// complete settings the session glue works from.

import { writeAll } from '../base/sync-io.js';
import type { CgiRequest } from '../core/request.js';
import type { Timeouts } from './gc.js';
import { resolveLockTiming, type LockTiming } from './lock-timing.js';
import { openStore } from './store-choice.js';
import type { SessionStore } from './store.js';

/** Options of `openSession`. Give the same options in every script sharing sessions. */
export interface SessionOptions extends LockTiming {
  /**
   * Lock the session for the whole request (read-modify-write). `false` opens it read-only: no
   * lock is taken, so parallel requests are not held up, but nothing can be changed or saved, the
   * idle timer is not renewed, and a missing session is not created. @default true
   */
  lock?: boolean;
  /** The sessions folder of the file store. @default CGI_SESSION_DIR, else see `resolveDataDir` */
  dir?: string;
  /** Where sessions are kept. @default the Redis server named by CGI_SESSION_STORE
   * (`redis://[user:password@]host:port/db`, `rediss://…`, or a unix socket path), else files
   * in `dir` */
  store?: SessionStore;
  /** The cookie's name; over HTTPS it gets the `__Host-` prefix (or `__Secure-` when `cookiePath`
   * is not `/`). @default 'sid' */
  cookieName?: string;
  /** The cookie's Path. @default '/' */
  cookiePath?: string;
  /** The cookie's SameSite. @default 'lax' */
  sameSite?: 'lax' | 'strict';
  /** Seconds without a request after which a session is gone. @default 1800 (30 min) */
  idleTimeoutSeconds?: number;
  /** Seconds after creation (or regeneration) after which a session is gone. @default 28800 (8 h) */
  absoluteTimeoutSeconds?: number;
  /** An unchanged session is saved again (renewing its idle timer) once its last save is this
   * old, so idle sessions are not rewritten on every request. @default 60 */
  touchAfterSeconds?: number;
  /** Chance that a request sweeps expired sessions after saving. 0 turns it off (use
   * `cgi-shim gc` from cron). @default 0.01, and 0 under FastCGI, where a sweep would hold up
   * every request of the process */
  gcProbability?: number;
  /** Most sessions one such sweep examines. @default 20 */
  gcMaxSessions?: number;
  /** Largest session data in bytes of JSON. @default 65536 */
  maxDataBytes?: number;
  /** Flush every save to the disk, so it survives a power cut (file store; see
   * `FileStoreOptions.durable` for what is kept without it and what it saves). @default true */
  durable?: boolean;
  /** The clock, ms since the epoch. For tests. @default Date.now */
  now?: () => number;
  /** Where diagnostics go (an unreadable session file, a lost lock), one line each. @default stderr */
  log?: (line: string) => void;
}

/** The options with defaults filled in, and what follows from the request (cookie name, Secure). */
export interface Settings extends Timeouts {
  store: SessionStore;
  lock: boolean;
  cookieName: string;
  cookiePath: string;
  secure: boolean;
  sameSite: 'lax' | 'strict';
  touchAfterMs: number;
  gcProbability: number;
  gcMaxSessions: number;
  staleMs: number;
  now: () => number;
  log: (line: string) => void;
}

/** The defaults of {@link SessionOptions} that are plain values (for help texts and tools). */
export const SESSION_DEFAULTS = {
  cookieName: 'sid',
  cookiePath: '/',
  sameSite: 'lax',
  idleTimeoutSeconds: 30 * 60,
  absoluteTimeoutSeconds: 8 * 60 * 60,
  touchAfterSeconds: 60,
  gcProbability: 0.01,
  gcMaxSessions: 20,
} as const;

/** Resolves `options` for `request`, the store included; a bad value throws a TypeError naming
 * the option. */
export async function resolveSettings(request: CgiRequest, options: SessionOptions): Promise<Settings> {
  const timing = resolveLockTiming(options);
  const seconds = (name: keyof SessionOptions, fallback: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw new TypeError(`option ${name} is invalid: ${String(value)}`);
    return value * 1000;
  };
  const cookiePath = options.cookiePath ?? SESSION_DEFAULTS.cookiePath;
  const baseName = options.cookieName ?? SESSION_DEFAULTS.cookieName;
  // RFC 6265bis §4.1.3: __Host- binds the cookie to this host, over HTTPS, with Path=/.
  const prefix = !request.https ? '' : cookiePath === '/' ? '__Host-' : '__Secure-';
  // The FastCGI adapter sets FCGI_ROLE (as PHP does); its process serves many requests at once,
  // so it sweeps from cron rather than on a request, and waits on the disk without blocking.
  const manyAtOnce = request.env.FCGI_ROLE !== undefined;
  const gcProbability = options.gcProbability ?? (manyAtOnce ? 0 : SESSION_DEFAULTS.gcProbability);
  if (!(gcProbability >= 0 && gcProbability <= 1)) throw new TypeError(`option gcProbability is invalid: ${gcProbability}`);
  const log = options.log ?? ((line: string) => writeAll(2, `${line}\n`));
  const idleMs = seconds('idleTimeoutSeconds', SESSION_DEFAULTS.idleTimeoutSeconds);
  const absoluteMs = seconds('absoluteTimeoutSeconds', SESSION_DEFAULTS.absoluteTimeoutSeconds);
  const now = options.now ?? Date.now;
  const store = options.store ?? await openStore({
    env: request.env,
    dir: options.dir,
    maxDataBytes: options.maxDataBytes,
    durable: options.durable,
    threadPool: manyAtOnce,
    idleTimeoutSeconds: idleMs / 1000,
    absoluteTimeoutSeconds: absoluteMs / 1000,
    now,
    log,
    ...timing,
  });
  return {
    store,
    lock: options.lock ?? true,
    cookieName: prefix + baseName,
    cookiePath,
    secure: request.https,
    sameSite: options.sameSite ?? SESSION_DEFAULTS.sameSite,
    idleMs,
    absoluteMs,
    touchAfterMs: seconds('touchAfterSeconds', SESSION_DEFAULTS.touchAfterSeconds),
    gcProbability,
    gcMaxSessions: options.gcMaxSessions ?? SESSION_DEFAULTS.gcMaxSessions,
    staleMs: timing.staleMs,
    now,
    log,
  };
}
