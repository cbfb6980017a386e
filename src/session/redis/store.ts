// The Redis store: one string key per session holding the same record as the file store
// (../record.ts), expiring by itself (PX from the idle and absolute timeouts on every save), so
// there is nothing to garbage-collect; one lock key per session while a request holds it
// (./lock.ts). Loaded only when CGI_SESSION_STORE names a server (../store-choice.ts).

import { readFileSync } from 'node:fs';
import { CgiError, ConfigError, errorCode, errorMessage } from '../../base/errors.js';
import { writeAll } from '../../base/sync-io.js';
import { isSessionId } from '../id.js';
import { resolveLockTiming, type ResolvedLockTiming } from '../lock-timing.js';
import { SESSION_DEFAULTS, type SessionOptions } from '../options.js';
import { parseRecord, RECORD_OVERHEAD_BYTES, resolveMaxDataBytes, serializeRecord } from '../record.js';
import type { SessionListing, SessionLock, SessionRecord, SessionStore, StoreLockOptions } from '../store.js';
import { RedisClient, type RedisClientOptions, type RedisScript } from './client.js';
import { acquireRedisLock, lockLost, RedisLock, storeError } from './lock.js';
import { parseRedisUrl } from './url.js';

/** Options of {@link RedisSessionStore}. Give the sessions' own timeouts: they become the keys'
 * expiry. */
export interface RedisStoreOptions extends Pick<SessionOptions, 'maxDataBytes' | 'idleTimeoutSeconds' | 'absoluteTimeoutSeconds' |
  'now' | 'log' | 'staleMs' | 'updateMs' | 'waitMs'> {
  /** The server: an address such as `redis://user:pass@host:6379/0`, `rediss://…` or a unix
   * socket path (see `parseRedisUrl`), client options (for a TLS `ca`, say), or a client to
   * share with other stores. Required. */
  server: string | RedisClientOptions | RedisClient;
  /** Put before every key, so several applications can share one database. The keys are
   * `<prefix>sess:<id>` and `<prefix>lock:<id>`. @default 'cgi-shim:' */
  prefix?: string;
}

/** Writes the record (ARGV[2]) with PX ARGV[3] — or deletes it when that is not positive: the
 * record has expired — only while the lock KEYS[2] holds the token ARGV[1] ('' for a brand-new
 * session, written without a lock). 1 if written, 0 if the lock was not ours. KEYS[1] session. */
export const WRITE_SCRIPT: RedisScript = {
  source: "if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end " +
    "if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) else redis.call('DEL', KEYS[1]) end return 1",
  sha1: 'b65a6ecbce5facebb9f44b56724bbf70edba6208',
};

const DEFAULT_PREFIX = 'cgi-shim:';
/** Keys asked for per SCAN call: a hint to the server, which bounds each call's work. */
const SCAN_COUNT = 1000;

/** Keeps sessions in Redis. See {@link SessionStore} for the contract. */
export class RedisSessionStore implements SessionStore {
  /** The connection; opened by the first command, and not holding the process while idle. */
  readonly client: RedisClient;
  readonly prefix: string;
  readonly maxDataBytes: number;
  readonly timing: ResolvedLockTiming;
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** Sessions expire by themselves: sweeps and `cgi-shim gc` have nothing to do. */
  readonly expiresSessions = true;
  readonly #now: () => number;
  readonly #log: (line: string) => void;

  constructor(options: RedisStoreOptions) {
    const server = options?.server;
    if (server instanceof RedisClient) this.client = server;
    else if (typeof server === 'string') this.client = new RedisClient(parseRedisUrl(server));
    else if (typeof server === 'object' && server !== null) this.client = new RedisClient(server);
    else throw new TypeError(`option server is invalid: ${String(server)}`);
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    // It goes into SCAN's MATCH pattern, where these are glob syntax.
    if (typeof prefix !== 'string' || /[\s*?[\]\\]/.test(prefix)) throw new TypeError(`option prefix is invalid: ${JSON.stringify(prefix)} (no spaces or glob characters)`);
    this.prefix = prefix;
    this.maxDataBytes = resolveMaxDataBytes(options.maxDataBytes);
    this.timing = resolveLockTiming(options);
    this.idleMs = milliseconds('idleTimeoutSeconds', options.idleTimeoutSeconds ?? SESSION_DEFAULTS.idleTimeoutSeconds);
    this.absoluteMs = milliseconds('absoluteTimeoutSeconds', options.absoluteTimeoutSeconds ?? SESSION_DEFAULTS.absoluteTimeoutSeconds);
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? ((line) => writeAll(2, `${line}\n`));
  }

  /** The key of session `id`. Throws a TypeError for anything not shaped like an ID. */
  keyOf(id: string): string {
    if (!isSessionId(id)) throw new TypeError('argument id is invalid: not a session ID');
    return `${this.prefix}sess:${id}`;
  }

  /** The key of session `id`'s lock. */
  lockKeyOf(id: string): string {
    if (!isSessionId(id)) throw new TypeError('argument id is invalid: not a session ID');
    return `${this.prefix}lock:${id}`;
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    const key = this.keyOf(id);
    let text;
    try {
      text = await this.client.command(['GET', key]);
    } catch (error) {
      if (errorCode(error) === 'WRONGTYPE') return this.#foreign(key, 'not a string');
      throw storeError(`cannot read ${key} on ${this.client.address}`, error);
    }
    if (text === null) return undefined;
    if (typeof text !== 'string') return this.#foreign(key, 'not a string');
    if (text.length > this.maxDataBytes + RECORD_OVERHEAD_BYTES) return this.#foreign(key, `${text.length} characters, over the limit`);
    return parseRecord(text) ?? this.#foreign(key, 'not a session record');
  }

  async write(id: string, record: SessionRecord, lock?: SessionLock): Promise<void> {
    const key = this.keyOf(id);
    const held = lock === undefined ? undefined : this.#ownLock(id, lock);
    const text = serializeRecord(record, this.maxDataBytes);
    if (held !== undefined && (held.compromised || held.released)) throw lockLost(held.key, held.released ? 'it was released' : 'it was lost');
    const expiresAt = Math.min(record.touchedAt + this.idleMs, record.createdAt + this.absoluteMs);
    const px = Math.ceil(expiresAt - this.#now()); // Not positive: already expired, so deleted.
    let reply;
    try {
      reply = await this.client.evalScript(WRITE_SCRIPT, [key, this.lockKeyOf(id)], [held?.token ?? '', text, px]);
    } catch (error) {
      throw storeError(`cannot save ${key} on ${this.client.address}`, error);
    }
    if (reply !== 1 && held !== undefined) {
      held.markCompromised('it expired or another process holds it');
      throw lockLost(held.key, 'it expired or another process holds it');
    }
  }

  async delete(id: string): Promise<void> {
    const key = this.keyOf(id);
    try {
      await this.client.command(['DEL', key]);
    } catch (error) {
      throw storeError(`cannot delete ${key} on ${this.client.address}`, error);
    }
  }

  async lock(id: string, options: StoreLockOptions = {}): Promise<SessionLock> {
    const key = this.lockKeyOf(id);
    const timing = options.waitMs === undefined ? this.timing : { ...this.timing, waitMs: options.waitMs };
    return acquireRedisLock(this.client, key, timing, this.#log);
  }

  /** Every stored session ID, by SCAN (never KEYS, which blocks the server while it walks every
   * key): the whole key space in steps of about SCAN_COUNT keys. SCAN may report a key twice;
   * each ID is listed once. */
  async list(): Promise<SessionListing[]> {
    const ids = new Set<string>();
    const pattern = `${this.prefix}sess:*`;
    const skip = this.prefix.length + 'sess:'.length;
    let cursor = '0';
    do {
      let reply;
      try {
        reply = await this.client.command(['SCAN', cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT]);
      } catch (error) {
        throw storeError(`cannot list sessions on ${this.client.address}`, error);
      }
      if (!Array.isArray(reply) || typeof reply[0] !== 'string' || !Array.isArray(reply[1])) {
        throw new CgiError('ESESSIONSTORE', `cannot list sessions on ${this.client.address}: unexpected SCAN reply`);
      }
      cursor = reply[0];
      for (const key of reply[1]) {
        const id = typeof key === 'string' ? key.slice(skip) : '';
        if (isSessionId(id)) ids.add(id);
      }
    } while (cursor !== '0');
    return [...ids].map((id) => ({ id }));
  }

  async isLocked(id: string): Promise<boolean> {
    const key = this.lockKeyOf(id);
    try {
      return (await this.client.command(['EXISTS', key])) === 1;
    } catch (error) {
      throw storeError(`cannot check lock ${key} on ${this.client.address}`, error);
    }
  }

  /** Closes the connection (a CLI command, a test); a script need not: an idle connection does
   * not keep the process alive. */
  close(): Promise<void> {
    return this.client.close();
  }

  #ownLock(id: string, lock: SessionLock): RedisLock {
    if (!(lock instanceof RedisLock) || lock.key !== this.lockKeyOf(id) || lock.client !== this.client) {
      throw new TypeError('argument lock is invalid: not a lock this store took on this session');
    }
    return lock;
  }

  #foreign(key: string, why: string): undefined {
    this.#log(`cgi-shim: ignoring ${key}: ${why}; treated as no session`);
    return undefined;
  }
}

/** One client per server per process: under a persistent process (FastCGI) every request reuses
 * the connection. Keyed by the environment's two variables. */
const CLIENTS = new Map<string, RedisClient>();

/**
 * The client of the server named by the environment, made once per process:
 * `CGI_SESSION_STORE` (an address, see `parseRedisUrl`), with `CGI_SESSION_STORE_CA` (a PEM file
 * of the CA that signed a rediss:// server's certificate; without it, the system's CAs).
 * Undefined when `CGI_SESSION_STORE` is unset or empty: the file store. A bad value is a
 * ConfigError `ESESSIONCONFIG` (a 500, not a 503: waiting will not fix a misconfiguration),
 * whose message never repeats the password.
 * @example redisClientFromEnv({ CGI_SESSION_STORE: 'redis://127.0.0.1:6379/2' })?.address
 * // 'redis://127.0.0.1:6379'
 */
export function redisClientFromEnv(env: Readonly<Record<string, string | undefined>>): RedisClient | undefined {
  const address = env.CGI_SESSION_STORE;
  if (address === undefined || address === '') return undefined;
  const caFile = env.CGI_SESSION_STORE_CA ?? '';
  const key = `${address}\n${caFile}`;
  let client = CLIENTS.get(key);
  if (client === undefined) {
    client = new RedisClient(redisServerFromEnv(address, caFile));
    CLIENTS.set(key, client);
  }
  return client;
}

function redisServerFromEnv(address: string, caFile: string): RedisClientOptions {
  let server: RedisClientOptions;
  try {
    server = parseRedisUrl(address);
  } catch (error) {
    throw new ConfigError('ESESSIONCONFIG', `CGI_SESSION_STORE is invalid: ${errorMessage(error)}; ` +
      'fix: redis://[user:password@]host:port/db, rediss://… (TLS) or the absolute path of a unix socket', { cause: error });
  }
  if (caFile === '') return server;
  // A CA given for a plain connection means TLS was meant: refuse rather than talk in clear.
  if (!server.tls) {
    throw new ConfigError('ESESSIONCONFIG', 'CGI_SESSION_STORE_CA is set but CGI_SESSION_STORE is not a rediss:// address; ' +
      'fix: rediss:// for TLS, or no CGI_SESSION_STORE_CA');
  }
  try {
    server.tls = { ca: readFileSync(caFile) };
  } catch (error) {
    throw new ConfigError('ESESSIONCONFIG', `CGI_SESSION_STORE_CA cannot be read: ${errorMessage(error)}; ` +
      'fix: the path of a PEM file the scripts\' user can read', { cause: error });
  }
  return server;
}

function milliseconds(name: string, seconds: number): number {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) throw new TypeError(`option ${name} is invalid: ${String(seconds)}`);
  return seconds * 1000;
}
