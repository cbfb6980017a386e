// The glue between a request and its session: reads the ID from the cookie, locks and loads the
// session, and saves it (only if changed) and releases the lock when the response finishes.
// Loaded lazily (by the package's openSession): scripts without sessions never pay for this or
// proper-lockfile.

import { errorCode, errorMessage, HttpError } from '../base/errors.js';
import type { CgiRequest } from '../core/request.js';
import type { CgiResponse } from '../core/response.js';
import { CSRF_KEY } from './csrf.js';
import { isExpired, sweepSessions } from './gc.js';
import { createSessionId, isSessionId } from './id.js';
import { resolveSettings, type SessionOptions, type Settings } from './options.js';
import type { SessionData, SessionLock, SessionRecord } from './store.js';

export type { SessionOptions } from './options.js';

/** The session opened for each response: one per request, gone with it. */
const OPENED = new WeakMap<CgiResponse, Promise<Session>>();

/** A session's life is driven from here, through these; they are no members a script could call. */
let loadSession: (session: Session, id: string | undefined) => Promise<void>;
let finishSession: (session: Session, ok: boolean) => Promise<void>;

/**
 * Opens the session of this request. The session cookie's ID is used only if it has the exact
 * shape of our IDs and names a live session (strict mode); otherwise the request gets a fresh
 * session, which is saved — and its cookie set — only once something is stored in it.
 * Throws HttpError 503 (with `Retry-After`) when the session stays locked by other requests.
 * (The package's `openSession`, loaded on first use.)
 */
export async function beginSession(request: CgiRequest, response: CgiResponse, options: SessionOptions = {}): Promise<Session> {
  // A second call in one request gets the same session: opening it again would wait for the
  // lock this very request holds, until the 503.
  const opened = OPENED.get(response);
  if (opened !== undefined) return opened;
  const opening = openNewSession(request, response, options);
  OPENED.set(response, opening);
  return opening;
}

async function openNewSession(request: CgiRequest, response: CgiResponse, options: SessionOptions): Promise<Session> {
  const settings = await resolveSettings(request, options);
  response.setHeader('Cache-Control', 'no-store'); // A page showing session data is private.
  const claimed = request.cookies[settings.cookieName];
  const session = new Session(settings, response, claimed !== undefined);
  await loadSession(session, isSessionId(claimed) ? claimed : undefined);
  response.onFinish((ok) => finishSession(session, ok));
  return session;
}

/** One visitor's session. Values must be JSON-serializable. */
export class Session {
  #id = '';
  #record: SessionRecord;
  #savedJson = '{}';
  #isNew = true;
  #lock: SessionLock | undefined;
  #replacedId: string | undefined;
  #state: 'open' | 'closed' | 'destroyed' = 'open';
  readonly #settings: Settings;
  readonly #response: CgiResponse;
  readonly #cookieSent: boolean;

  /** Use the package's `openSession`. */
  constructor(settings: Settings, response: CgiResponse, cookieSent: boolean) {
    this.#settings = settings;
    this.#response = response;
    this.#cookieSent = cookieSent;
    this.#record = freshRecord(settings.now());
  }

  /** The session's ID. A new session's ID reaches the client only when the session is saved. */
  get id(): string {
    return this.#id;
  }

  /** True when the request brought no live session: this one starts empty. */
  get isNew(): boolean {
    return this.#isNew;
  }

  /** False when opened with `lock: false`: then nothing can be changed. */
  get writable(): boolean {
    return this.#settings.lock && this.#state === 'open';
  }

  /** The data, live. Changes made to it (even nested) are saved, as with {@link set}. */
  get data(): SessionData {
    return this.#record.data;
  }

  /** When the session was created or last regenerated (ms since the epoch). */
  get createdAt(): number {
    return this.#record.createdAt;
  }

  /** The value stored under `key`, or undefined. */
  get(key: string): unknown {
    return Object.hasOwn(this.#record.data, key) ? this.#record.data[key] : undefined;
  }

  /** Stores `value` (JSON-serializable) under `key`; undefined deletes it. */
  set(key: string, value: unknown): void {
    this.#assertWritable('set');
    if (typeof key !== 'string') throw new TypeError(`argument key is invalid: ${String(key)}`);
    if (value === undefined) delete this.#record.data[key];
    else this.#record.data[key] = value;
  }

  /** Removes `key`. */
  delete(key: string): void {
    this.#assertWritable('delete');
    delete this.#record.data[key];
  }

  /**
   * Gives the session a new ID, keeping its data (call it on log-in and on any change of
   * privilege, so an ID known before is worthless after). The old file is removed when the session
   * is saved; the CSRF token is renewed and the absolute timeout counts from now.
   */
  async regenerate(): Promise<void> {
    this.#assertWritable('regenerate');
    if (!this.#isNew) this.#replacedId ??= this.#id;
    this.#id = await createSessionId();
    this.#record.createdAt = this.#settings.now();
    delete this.#record.data[CSRF_KEY];
  }

  /** Ends the session (log-out): its file is removed now, the cookie expired, the lock released. */
  async destroy(): Promise<void> {
    this.#assertWritable('destroy');
    this.#state = 'destroyed';
    try {
      for (const id of [this.#replacedId, this.#isNew ? undefined : this.#id]) {
        if (id !== undefined) await this.#settings.store.delete(id).catch(unavailable);
      }
    } finally {
      await this.#release();
    }
    this.#record = freshRecord(this.#settings.now());
    if (this.#cookieSent || !this.#isNew) this.#response.clearCookie(this.#settings.cookieName, this.#cookieOptions());
  }

  /**
   * Saves (if changed) and releases the lock now, before the response is finished, so other
   * requests of this visitor can proceed while this one does slow work. The session stays
   * readable; changing it afterwards throws.
   */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    try {
      if (this.#settings.lock) await this.#save();
    } finally {
      this.#state = 'closed';
      await this.#release();
    }
  }

  static {
    loadSession = (session, id) => session.#load(id);
    finishSession = (session, ok) => session.#finish(ok);
  }

  /** Loads the session named by `id`; any failure to find a live one leaves a fresh session. */
  async #load(id: string | undefined): Promise<void> {
    const record = id === undefined ? undefined : await this.#loadLive(id);
    if (id === undefined || record === undefined) {
      this.#id = await createSessionId(); // Strict mode: an ID we cannot vouch for is never reused.
      return;
    }
    this.#id = id;
    this.#record = record;
    this.#savedJson = JSON.stringify(record.data);
    this.#isNew = false;
  }

  /** The live record of `id`, read under its lock (unless read-only); expired ones are removed. */
  async #loadLive(id: string): Promise<SessionRecord | undefined> {
    const { store } = this.#settings;
    // A first read without the lock: an ID naming nothing costs no lock.
    let record = await store.read(id).catch(unavailable);
    if (record === undefined) return undefined;
    if (this.#settings.lock) {
      this.#lock = await store.lock(id).catch((error: unknown) => unavailable(error, this.#settings.staleMs));
      try {
        record = await store.read(id); // Again, under the lock: it may have changed or gone.
      } catch (error) {
        await this.#release();
        unavailable(error);
      }
      if (record === undefined) {
        await this.#release();
        return undefined;
      }
    }
    if (isExpired(record, this.#settings.now(), this.#settings)) {
      if (this.#lock !== undefined) await store.delete(id).catch(() => {}); // Removed now, or by GC.
      await this.#release();
      return undefined;
    }
    return record;
  }

  /** The response's finish hook: save if the handler succeeded, always release the lock. */
  async #finish(ok: boolean): Promise<void> {
    if (this.#state !== 'open') return;
    this.#state = 'closed';
    try {
      if (ok && this.#settings.lock) await this.#save();
    } finally {
      await this.#release();
    }
    if (ok && this.#settings.lock) await this.#maybeSweep();
  }

  async #save(): Promise<void> {
    const { store, now } = this.#settings;
    const json = JSON.stringify(this.#record.data);
    const replacing = this.#replacedId !== undefined;
    const time = now();
    if (this.#isNew && !replacing && json === '{}') {
      // Nothing to keep: no file, no cookie. A stale or forged cookie is told to go away.
      if (this.#cookieSent) this.#response.clearCookie(this.#settings.cookieName, this.#cookieOptions());
      return;
    }
    const touchDue = time - this.#record.touchedAt >= this.#settings.touchAfterMs;
    if (!this.#isNew && !replacing && json === this.#savedJson && !touchDue) return;
    const record = { ...this.#record, touchedAt: time };
    try {
      // Regenerating: the old ID dies first, so a crash cannot leave it alive beside the new one;
      // and only while its lock is still ours, or another request's update would be lost.
      if (this.#replacedId !== undefined) {
        await this.#lock?.assertHeld();
        await store.delete(this.#replacedId);
      }
      await store.write(this.#id, record, this.#isNew || replacing ? undefined : this.#lock);
    } catch (error) {
      unavailable(error, this.#settings.staleMs);
    }
    this.#replacedId = undefined;
    this.#savedJson = json;
    this.#record = record;
    if (this.#isNew || replacing) {
      this.#response.setCookie(this.#settings.cookieName, this.#id, this.#cookieOptions());
    }
    this.#isNew = false;
  }

  async #release(): Promise<void> {
    const lock = this.#lock;
    this.#lock = undefined;
    await lock?.release();
  }

  async #maybeSweep(): Promise<void> {
    const { store, gcProbability, gcMaxSessions, now } = this.#settings;
    if (gcProbability <= 0 || store.expiresSessions === true || (store.scan === undefined && store.list === undefined)) return;
    if (Math.random() >= gcProbability) return;
    try {
      await sweepSessions(store, { ...this.#settings, now: now(), maxSessions: gcMaxSessions });
    } catch (error) {
      // A failed sweep must not fail the visitor's request; the next sweep or cron tries again.
      this.#settings.log(`cgi-shim: session sweep failed: ${errorMessage(error)}`);
    }
  }

  #cookieOptions() {
    const { cookiePath, secure, sameSite } = this.#settings;
    return { path: cookiePath, secure, httpOnly: true, sameSite };
  }

  #assertWritable(method: string): void {
    if (!this.#settings.lock) throw new TypeError(`session.${method}() is not allowed: the session was opened with lock: false (read-only)`);
    if (this.#state !== 'open') throw new TypeError(`session.${method}() is not allowed: the session is ${this.#state}`);
  }
}

function freshRecord(now: number): SessionRecord {
  return { createdAt: now, touchedAt: now, data: Object.create(null) as SessionData };
}

/** Store failures that pass (a busy lock, a full disk) become 503 with Retry-After. A session
 * over the size limit (a bug of the script) and a misconfigured folder (ConfigError, which no
 * retry mends) stay 500s. */
function unavailable(error: unknown, retryAfterMs = 5000): never {
  const code = errorCode(error);
  if (code === 'ESESSIONLOCKED' || code === 'ESESSIONSTORE' || code === 'ESESSIONLOCKLOST') {
    const headers = { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) };
    const message = code === 'ESESSIONLOCKED'
      ? 'Your session is busy with another request. Please try again in a moment.'
      : 'Your session could not be saved or loaded. Please try again later.';
    throw new HttpError(503, message, { expose: true, headers, cause: error });
  }
  throw error; // A bug (TypeError) or ESESSIONTOOLARGE: a 500, logged with its stack.
}
