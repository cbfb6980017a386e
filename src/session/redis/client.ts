// A small Redis client for a process that serves one request: one connection (TCP, TLS or a unix
// socket), opened on the first command, commands pipelined, every wait bounded (connect and each
// reply), nothing that keeps the process alive while idle. node:net is loaded on the first
// command, node:tls only for rediss://. Our own rather than ioredis or node-redis, whose loading
// alone costs every CGI process more than Node's start-up (BENCHMARKS.md, Redis client).

import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { encodeCommand, RedisError, ReplyParser, type RedisArg, type RedisReply } from './resp.js';

export { RedisError, type RedisArg, type RedisReply } from './resp.js';

/** Where and how to connect. Give `path` (a unix socket) or `host`/`port`. */
export interface RedisClientOptions {
  /** The server's host name or address. @default '127.0.0.1' */
  host?: string;
  /** The server's TCP port. @default 6379 */
  port?: number;
  /** A unix socket's path; then `host`, `port` and `tls` are not used. */
  path?: string;
  /** Connect with TLS (rediss://): `true`, or options for `tls.connect` such as `ca`.
   * The server's certificate is always verified unless `rejectUnauthorized: false` is given.
   * @default false */
  tls?: boolean | ConnectionOptions;
  /** An ACL user (Redis 6+): sent as `AUTH username password`. @default none */
  username?: string;
  /** The password: `AUTH password` (the default user), or with `username`. @default none */
  password?: string;
  /** The database to `SELECT` after connecting. @default 0 */
  db?: number;
  /** Longest wait for a connection (TCP, TLS handshake included), in ms. @default 2000 */
  connectTimeoutMs?: number;
  /** Longest wait for the next reply while commands are outstanding, in ms. @default 2000 */
  commandTimeoutMs?: number;
}

/** A Lua script run with EVALSHA (EVAL when the server does not have it cached). */
export interface RedisScript {
  /** The script's text. */
  readonly source: string;
  /** SHA1 of `source` in lowercase hex, computed ahead: loading node:crypto would cost every
   * process (BENCHMARKS.md); a test checks it. */
  readonly sha1: string;
}

const DEFAULT_PORT = 6379;
const DEFAULT_CONNECT_TIMEOUT_MS = 2000;
const DEFAULT_COMMAND_TIMEOUT_MS = 2000;

interface Pending {
  resolve: (reply: RedisReply) => void;
  reject: (error: RedisError) => void;
  /** AUTH or SELECT sent on connecting: its error ends the connection. */
  handshake?: string;
}

/**
 * A connection to one Redis server, opened by the first command and reopened by the first command
 * after a failure or a close. Replies come back in order; commands issued in the same tick go out
 * in one write.
 * @example
 * const redis = new RedisClient({ host: '127.0.0.1', port: 6379 });
 * await redis.command(['SET', 'k', 'v', 'PX', 1000]);
 * await redis.close();
 */
export class RedisClient {
  readonly options: Readonly<RedisClientOptions>;
  readonly #connectTimeoutMs: number;
  readonly #commandTimeoutMs: number;
  #state: 'closed' | 'connecting' | 'open' = 'closed';
  /** Counts connections, so that events of an abandoned one are ignored. */
  #generation = 0;
  #socket: Socket | undefined;
  #pending: Pending[] = [];
  #outbox = '';
  #flushQueued = false;
  #timer: NodeJS.Timeout | undefined;
  #parser: ReplyParser | undefined;
  #closing: Promise<void> | undefined;
  /** Counts connections made and replies read: what a timeout checks before it counts. */
  #progress = 0;
  /** Called once nothing is outstanding any more (by a reply or a failure). */
  #drained: (() => void)[] = [];

  constructor(options: RedisClientOptions = {}) {
    this.options = { ...options };
    this.#connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
    this.#commandTimeoutMs = positive('commandTimeoutMs', options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    if (options.db !== undefined && !(Number.isInteger(options.db) && options.db >= 0)) throw new TypeError(`option db is invalid: ${options.db}`);
    if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) {
      throw new TypeError(`option port is invalid: ${options.port}`);
    }
  }

  /** Where this client connects, for messages (never with the password). */
  get address(): string {
    const { path, host = '127.0.0.1', port = DEFAULT_PORT, tls } = this.options;
    return path ?? `${tls ? 'rediss' : 'redis'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** Sends one command; resolves with its reply, rejects with a RedisError. */
  command(args: readonly RedisArg[]): Promise<RedisReply> {
    return new Promise((resolve, reject) => {
      this.#enqueue(args, { resolve, reject });
    });
  }

  /** Runs `script` with EVALSHA, and with EVAL if the server answers NOSCRIPT (a new or
   * restarted server, or after SCRIPT FLUSH); EVAL also caches it for the next time. */
  async evalScript(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<RedisReply> {
    try {
      return await this.command(['EVALSHA', script.sha1, keys.length, ...keys, ...args]);
    } catch (error) {
      if ((error as RedisError).code !== 'NOSCRIPT') throw error;
      return this.command(['EVAL', script.source, keys.length, ...keys, ...args]);
    }
  }

  /**
   * Writes a command now and forgets its reply: synchronously, as far as the kernel takes it, when
   * the connection is open. For a process `exit` handler, where nothing asynchronous runs any
   * more. Returns whether the command was handed to an open connection.
   */
  sendNow(args: readonly RedisArg[]): boolean {
    if (this.#state !== 'open' || this.#socket === undefined || this.#closing !== undefined) return false;
    this.#pending.push({ resolve: ignore, reject: ignore });
    this.#socket.write(this.#outbox + encodeCommand(args));
    this.#outbox = '';
    return true;
  }

  /** Closes the connection once outstanding replies are in (each within its timeout), and
   * resolves once it is closed (a server that does not close its side within the command
   * timeout is cut off). A later command opens a new one. */
  close(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    this.#closing ??= new Promise<void>((resolve) => {
      const end = (): void => {
        const socket = this.#socket;
        if (socket === undefined || this.#state !== 'open') {
          this.#fail(new RedisError('ECONNCLOSED', `redis: connection to ${this.address} closed by the client`));
          resolve();
          return;
        }
        // Held while closing: whoever awaits this must not see the process end first.
        socket.ref();
        const cutOff = setTimeout(() => socket.destroy(), this.#commandTimeoutMs);
        socket.once('close', () => {
          clearTimeout(cutOff);
          resolve();
        });
        socket.end();
      };
      if (this.#pending.length === 0) end();
      else this.#drained.push(end);
    }).finally(() => {
      this.#closing = undefined;
    });
    return this.#closing;
  }

  /** Drops the connection at once; outstanding commands reject with ECONNCLOSED. */
  destroy(): void {
    this.#fail(new RedisError('ECONNCLOSED', `redis: connection to ${this.address} closed by the client`));
  }

  #enqueue(args: readonly RedisArg[], pending: Pending): void {
    if (this.#closing !== undefined) {
      pending.reject(new RedisError('ECONNCLOSED', `redis: connection to ${this.address} is closing`));
      return;
    }
    const wasIdle = this.#pending.length === 0;
    if (this.#state === 'closed') this.#open(); // Queues AUTH and SELECT first.
    // The wait starts once a socket exists: loading node:net or node:tls is not the server's delay
    // (it can take seconds on a starved machine under a module loader such as tsx).
    if (wasIdle && this.#socket !== undefined) this.#arm();
    this.#pending.push(pending);
    this.#outbox += encodeCommand(args);
    this.#socket?.ref(); // Outstanding replies keep the process alive; an idle connection does not.
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      queueMicrotask(() => this.#flush());
    }
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#outbox === '' || this.#socket === undefined) return; // TLS still loading: sent on attach.
    this.#socket.write(this.#outbox); // Before 'connect', the socket keeps it until connected.
    this.#outbox = '';
  }

  /** Starts connecting; AUTH and SELECT go first in the outbox. */
  #open(): void {
    const { path, host = '127.0.0.1', port = DEFAULT_PORT, tls, username, password, db } = this.options;
    const generation = ++this.#generation;
    this.#state = 'connecting';
    this.#parser = new ReplyParser((reply) => this.#onReply(reply));
    if (password !== undefined) {
      this.#pending.push({ resolve: ignore, reject: ignore, handshake: 'AUTH' });
      this.#outbox += encodeCommand(username !== undefined ? ['AUTH', username, password] : ['AUTH', password]);
    }
    if (db !== undefined && db !== 0) {
      this.#pending.push({ resolve: ignore, reject: ignore, handshake: 'SELECT' });
      this.#outbox += encodeCommand(['SELECT', db]);
    }
    const failConnect = (error: unknown) => this.#fail(new RedisError('ECONNRESET', `redis: cannot connect: ${String(error)}`, { cause: error }));
    if (!tls || path !== undefined) {
      // Loaded here, not at the top: a script keeping its sessions in files never loads it. A
      // built script turns this import into require() (src/build/bundle.ts, requireBuiltins).
      import('node:net').then(({ connect }) => {
        if (generation === this.#generation) this.#attach(connect(path !== undefined ? { path } : { host, port }), 'connect', generation);
      }, failConnect);
      return;
    }
    // Loaded only here: a plain connection never pays for node:tls.
    import('node:tls').then(({ connect }) => {
      if (generation !== this.#generation) return; // Given up meanwhile (connect timeout).
      const isIp = /^[\d.]+$|:/.test(host); // SNI takes host names only (RFC 6066 §3).
      const socket = connect({ host, port, ...(isIp ? {} : { servername: host }), ...(tls === true ? {} : tls) });
      this.#attach(socket, 'secureConnect', generation);
    }, failConnect);
  }

  #attach(socket: Socket, readyEvent: 'connect' | 'secureConnect', generation: number): void {
    this.#socket = socket;
    socket.setNoDelay(true);
    if (this.#pending.length === 0) socket.unref();
    else this.#arm(); // The connect timeout.
    socket.on(readyEvent, () => {
      if (generation !== this.#generation) return;
      this.#state = 'open';
      this.#progress++;
      if (this.#pending.length > 0) this.#arm(); // From now on the wait is for replies.
    });
    socket.on('data', (chunk: Buffer) => {
      if (generation === this.#generation) this.#onData(chunk);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (generation === this.#generation) this.#fail(new RedisError(error.code ?? 'ECONNRESET', `redis: ${this.address}: ${error.message}`, { cause: error }));
    });
    socket.on('close', () => {
      if (generation === this.#generation) this.#fail(new RedisError('ECONNCLOSED', `redis: ${this.address} closed the connection`));
    });
    this.#flush();
  }

  #onData(chunk: Buffer): void {
    try {
      this.#parser?.feed(chunk);
    } catch (error) {
      this.#fail(error instanceof RedisError ? error : new RedisError('EPROTOCOL', `redis: ${String(error)}`));
    }
  }

  #onReply(reply: RedisReply): void {
    const pending = this.#pending.shift();
    this.#progress++;
    if (pending === undefined) {
      this.#fail(new RedisError('EPROTOCOL', `redis: ${this.address} sent a reply nobody asked for`));
      return;
    }
    if (this.#pending.length > 0) this.#timer?.refresh(); // Each reply restarts the wait for the next.
    if (!(reply instanceof RedisError)) pending.resolve(reply);
    else if (pending.handshake === undefined) pending.reject(reply);
    else this.#fail(new RedisError(reply.code, `redis: ${pending.handshake} on ${this.address} failed: ${reply.message.replace(/^redis: /, '')}`, { isHandshake: true }));
    if (this.#pending.length === 0) this.#idle();
  }

  /** Nothing outstanding: the connection may stay open without holding the process. */
  #idle(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#socket?.unref();
    const drained = this.#drained;
    this.#drained = [];
    for (const callback of drained) callback();
  }

  /** (Re)starts the wait: for the connection while connecting, else for the next reply. */
  #arm(): void {
    const ms = this.#state === 'open' ? this.#commandTimeoutMs : this.#connectTimeoutMs;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#onTimeout(ms), ms);
    this.#timer.unref(); // The socket holds the process while replies are due; a timer need not.
  }

  /**
   * The wait ran out, as far as the timer knows. Timers run before the loop polls for I/O, so in
   * a process that was blocked (a long synchronous task, a starved CPU) the reply may be sitting
   * unread; the verdict waits for the check phase, after the poll, and counts only if nothing
   * came in meanwhile.
   */
  #onTimeout(ms: number): void {
    const generation = this.#generation;
    const progress = this.#progress;
    setImmediate(() => {
      if (generation !== this.#generation || progress !== this.#progress || this.#pending.length === 0) return;
      this.#timer = undefined;
      const what = this.#state === 'open' ? 'no reply' : 'no connection';
      this.#fail(new RedisError('ETIMEDOUT', `redis: ${what} from ${this.address} within ${ms} ms`));
    }); // Not unref'd: an unref'd immediate does not stop the poll from blocking, and would wait for I/O that never comes.
  }

  /** Ends the connection and rejects everything outstanding with `error`. */
  #fail(error: RedisError): void {
    const socket = this.#socket;
    const pending = this.#pending;
    this.#generation++;
    this.#state = 'closed';
    this.#socket = undefined;
    this.#pending = [];
    this.#outbox = '';
    this.#parser = undefined;
    socket?.destroy();
    for (const entry of pending) entry.reject(error);
    this.#idle();
  }
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`option ${name} is invalid: ${value}`);
  return value;
}

function ignore(): void {}
