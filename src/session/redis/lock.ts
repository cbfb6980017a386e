// Session locks in Redis: `SET <lock key> <token> NX PX <staleMs>`, renewed while held, released by
// a compare-and-delete script, so a holder that lost its lock (it expired: the process stalled
// past staleMs) can never remove or extend another holder's. Tried with the same bounded,
// jittered backoff as the file store's locks (../lock-timing.ts).

import { CgiError, ConfigError, errorCode, errorMessage } from '../../base/errors.js';
import { lockRetries, type ResolvedLockTiming } from '../lock-timing.js';
import type { SessionLock } from '../store.js';
import type { RedisClient, RedisScript } from './client.js';

/** Deletes the lock if it is still ours. KEYS[1] lock, ARGV[1] token. */
export const UNLOCK_SCRIPT: RedisScript = {
  source: "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
  sha1: '6fbe84d1140fd2047394924af9d845b83c070bec',
};

/** Extends the lock to ARGV[2] ms if it is still ours; 1 if so, 0 if not. KEYS[1] lock, ARGV[1] token. */
export const RENEW_SCRIPT: RedisScript = {
  source: "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
  sha1: 'e50f848e374a94192aa6f2e444e7eb8acc16501d',
};

/** Locks held by this process, released when it ends (see {@link trackLock}). */
const HELD = new Set<RedisLock>();
let exitHooked = false;

/**
 * Takes the lock `key`, retrying with jittered exponential backoff until `timing.waitMs` is spent;
 * then rejects with CgiError `ESESSIONLOCKED`. A failing server rejects with `ESESSIONSTORE`
 * (or `ESESSIONCONFIG`, see {@link storeError}).
 */
export async function acquireRedisLock(client: RedisClient, key: string, timing: ResolvedLockTiming, log: (line: string) => void): Promise<RedisLock> {
  const retry = lockRetries(timing.waitMs);
  const token = lockToken();
  for (;;) {
    let reply;
    try {
      reply = await client.command(['SET', key, token, 'NX', 'PX', timing.staleMs]);
    } catch (error) {
      throw storeError(`cannot lock ${key} on ${client.address}`, error);
    }
    if (reply === 'OK') return new RedisLock(client, key, token, timing, log);
    if (!(await retry())) throw new CgiError('ESESSIONLOCKED', `session lock ${key} still held after ${timing.waitMs} ms`);
  }
}

/** A lock we hold: its key, and the token that proves it is ours. */
export class RedisLock implements SessionLock {
  readonly client: RedisClient;
  readonly key: string;
  readonly token: string;
  readonly #staleMs: number;
  readonly #log: (line: string) => void;
  #compromised = false;
  #released = false;
  #renewal: NodeJS.Timeout | undefined;
  #renewFailureLogged = false;

  constructor(client: RedisClient, key: string, token: string, timing: ResolvedLockTiming, log: (line: string) => void) {
    this.client = client;
    this.key = key;
    this.token = token;
    this.#staleMs = timing.staleMs;
    this.#log = log;
    this.#renewal = setInterval(() => this.#renew(), timing.updateMs);
    this.#renewal.unref(); // A held lock must not keep a finished script alive; see trackLock.
    trackLock(this);
  }

  get compromised(): boolean {
    return this.#compromised;
  }

  /** Whether release() was called. */
  get released(): boolean {
    return this.#released;
  }

  /** Checks with the server that the lock is still ours and extends it by staleMs, so it stays
   * ours for a moment; rejects `ESESSIONLOCKLOST` if it is not, `ESESSIONSTORE` if unsure. */
  async assertHeld(): Promise<void> {
    if (this.#compromised || this.#released) throw lockLost(this.key, this.#released ? 'it was released' : 'it was lost');
    let reply;
    try {
      reply = await this.client.evalScript(RENEW_SCRIPT, [this.key], [this.token, this.#staleMs]);
    } catch (error) {
      throw storeError(`cannot check lock ${this.key} on ${this.client.address}`, error);
    }
    if (reply !== 1) {
      this.markCompromised('it expired or another process holds it');
      throw lockLost(this.key, 'it expired or another process holds it');
    }
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#stop();
    if (this.#compromised) return;
    try {
      await this.client.evalScript(UNLOCK_SCRIPT, [this.key], [this.token]);
    } catch (error) {
      this.#log(`cgi-shim: releasing session lock ${this.key} failed (${errorMessage(error)}); it expires by itself`);
    }
  }

  /** Notes that the lock is no longer ours (a write found another token); logged once. */
  markCompromised(why: string): void {
    if (this.#compromised || this.#released) return;
    this.#compromised = true;
    this.#log(`cgi-shim: session lock ${this.key} was lost (${why}); the session will not be saved`);
  }

  /** For the process `exit` handler: sends the release without waiting for anything. */
  releaseNow(): void {
    if (this.#released) return;
    this.#stop();
    if (!this.#compromised) this.client.sendNow(['EVAL', UNLOCK_SCRIPT.source, 1, this.key, this.token]);
  }

  #stop(): void {
    this.#released = true;
    clearInterval(this.#renewal);
    HELD.delete(this);
  }

  #renew(): void {
    this.client.evalScript(RENEW_SCRIPT, [this.key], [this.token, this.#staleMs]).then((reply) => {
      if (reply !== 1) this.markCompromised('it expired before it was renewed');
    }, (error: unknown) => {
      // The next write checks the token itself; one line is enough.
      if (!this.#renewFailureLogged) this.#log(`cgi-shim: renewing session lock ${this.key} failed: ${errorMessage(error)}`);
      this.#renewFailureLogged = true;
    });
  }
}

/** The CgiError of a write or check whose lock is not ours any more. */
export function lockLost(key: string, why: string): CgiError {
  return new CgiError('ESESSIONLOCKLOST', `session lock ${key} is no longer held (${why}); nothing was written`);
}

/** Server replies that no retry mends: no password given, or an ACL that forbids the command. */
const REFUSED = new Set(['NOAUTH', 'NOPERM', 'WRONGPASS']);

/**
 * An operational failure of the server: a CgiError `ESESSIONSTORE` (503: it may pass), or a
 * {@link ConfigError} `ESESSIONCONFIG` (500) for what waiting will not cure: a wrong password,
 * user or database, an ACL that forbids our keys, a certificate that does not verify.
 */
export function storeError(what: string, error: unknown): CgiError {
  const code = errorCode(error) ?? '';
  const message = `${what}: ${errorMessage(error)}`;
  if ((error as { isHandshake?: unknown } | null)?.isHandshake === true || REFUSED.has(code)) {
    return new ConfigError('ESESSIONCONFIG', `${message}; fix: the user, password and database in CGI_SESSION_STORE, ` +
      'and an ACL that lets that user read and write the store\'s keys (SECURITY.md, Redis)', { cause: error });
  }
  if (/CERT|SIGNATURE|^ERR_TLS_|^ERR_SSL_/.test(code)) {
    return new ConfigError('ESESSIONCONFIG', `${message}; fix: CGI_SESSION_STORE_CA names the CA that signed the server's ` +
      'certificate, and the address in CGI_SESSION_STORE is a name or IP address the certificate is for', { cause: error });
  }
  return new CgiError('ESESSIONSTORE', message, { cause: error });
}

/**
 * Remembers a held lock until it is released. A script that ends normally without releasing it
 * (its event loop empties) releases it on `beforeExit`, awaiting the reply; one that calls
 * process.exit() sends the release from `exit`, unanswered. Either way a lock never outlives its
 * process by more than staleMs, however it died.
 */
function trackLock(lock: RedisLock): void {
  HELD.add(lock);
  if (exitHooked) return;
  exitHooked = true;
  process.on('beforeExit', () => {
    for (const held of [...HELD]) void held.release(); // Their replies keep the loop turning.
  });
  process.on('exit', () => {
    for (const held of [...HELD]) held.releaseNow();
  });
}

/** A token unique to this acquisition. Not secret: anyone who can read the lock key can also
 * delete it, so only uniqueness matters, and Math.random spares loading node:crypto. */
function lockToken(): string {
  const random = () => Math.floor(Math.random() * 2 ** 52).toString(36);
  return `${process.pid}.${Date.now().toString(36)}.${random()}${random()}`;
}
