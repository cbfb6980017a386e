// The spawner's side of FastCGI, for `cgi-shim fastcgi`: what spawn-fcgi does, plus supervision.
// It binds the socket and starts the unchanged script N times with that socket as fd 0
// (FCGI_LISTENSOCK_FILENO), so the script takes the same path as under mod_fcgid or lighttpd's
// bin-path; the kernel spreads the connections over the workers. A worker that exits (recycled
// after its request limit, or crashed) is started again; stopping ends them all gracefully.

import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, lstatSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { getSystemErrorName } from 'node:util';
import { CgiError, errorCode } from '../base/errors.js';

/** Where to listen: a TCP address or a Unix socket's path. */
export type ListenSpec = { host: string; port: number } | { path: string };

/** The socket the workers share. */
export interface SharedSocket {
  /** Its file descriptor in this process, handed to each worker as fd 0. */
  fd: number;
  /** Closes it here (and removes a Unix socket's file). */
  close(): void;
}

/** What node:net's internal server handle offers us (see bindSocket). */
interface ServerHandle {
  fd: number;
  close(): void;
}

/** The undocumented function of node:net that node:cluster uses to share a socket. */
const createServerHandle = (net as unknown as {
  _createServerHandle(address: string, port: number, addressType: number): ServerHandle | number;
})._createServerHandle;

/**
 * `HOST:PORT` (an IPv4 address, or an IPv6 one in brackets) or a Unix socket's path (anything
 * with a `/`). Throws a TypeError naming the value otherwise.
 */
export function parseListenSpec(text: string): ListenSpec {
  if (text.includes('/')) return { path: text };
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(text);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || net.isIP(host) === 0 || !(port > 0 && port < 65536)) {
    throw new TypeError(`argument listen is invalid: ${JSON.stringify(text)} (HOST:PORT with an IP address, or a socket path)`);
  }
  return { host, port };
}

/**
 * Binds the socket the workers will share, without listening on it here: the first worker
 * listens, and this process, which never accepts, keeps it open across restarts. (A node:net
 * server listening here would take connections for itself. node:cluster shares sockets the same
 * way, through the same internal function.) A Unix socket gets `mode`; a stale socket file left
 * by a dead daemon is replaced, a live one is an error.
 */
export async function bindSocket(spec: ListenSpec, mode: number): Promise<SharedSocket> {
  if ('path' in spec) await removeStaleSocket(spec.path);
  const handle = 'path' in spec ? createServerHandle(spec.path, -1, -1) : createServerHandle(spec.host, spec.port, net.isIP(spec.host));
  if (typeof handle === 'number') {
    const where = 'path' in spec ? spec.path : `${spec.host}:${spec.port}`;
    throw new CgiError('EFCGILISTEN', `cannot bind ${where}: ${getSystemErrorName(handle)}`);
  }
  if ('path' in spec) chmodSync(spec.path, mode);
  return {
    fd: handle.fd,
    close() {
      handle.close();
      if ('path' in spec) {
        try { unlinkSync(spec.path); } catch { /* gone already */ }
      }
    },
  };
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  /** The built script to run. */
  script: string;
  /** The shared socket's fd. */
  fd: number;
  workers: number;
  /** The workers' environment. */
  env: NodeJS.ProcessEnv;
  /** Receives one line per event (a worker started again, stopped). */
  log: (line: string) => void;
}

/** A worker that exits sooner than this after its start is started again only after a pause. */
const QUICK_EXIT_MS = 1000;
const MAX_BACKOFF_MS = 30_000;

/** The running workers: started again when they exit, until {@link stop}. */
export class WorkerPool {
  readonly #options: WorkerPoolOptions;
  readonly #children = new Set<ChildProcess>();
  #stopping = false;
  #backoffMs = QUICK_EXIT_MS;
  #allExited: (() => void) | undefined;
  #exited: Promise<void> | undefined;
  /** Workers started since the pool began, restarts included. */
  started = 0;

  constructor(options: WorkerPoolOptions) {
    this.#options = options;
    for (let i = 0; i < options.workers; i++) this.#start();
  }

  /** The workers' process ids. */
  get pids(): number[] {
    return [...this.#children].map((child) => child.pid!).filter((pid) => pid !== undefined);
  }

  /** Sends `signal` (SIGTERM: finish what is in flight, then exit) to every worker and starts
   * none again; resolves when all have exited. Again (say, with SIGKILL) to hurry them. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#stopping = true;
    for (const child of this.#children) child.kill(signal);
    this.#exited ??= new Promise((resolve) => {
      this.#allExited = resolve;
      this.#checkExited();
    });
    return this.#exited;
  }

  #start(): void {
    if (this.#stopping) return;
    const { script, fd, env, log } = this.#options;
    const child = spawn(script, [], { stdio: [fd, 'inherit', 'inherit'], env });
    const startedAt = Date.now();
    this.started++;
    this.#children.add(child);
    child.once('error', (error) => log(`cgi-shim fastcgi: cannot start ${script}: ${error.message}`));
    child.once('close', (code, signal) => {
      this.#children.delete(child);
      if (this.#stopping) {
        this.#checkExited();
        return;
      }
      const quick = Date.now() - startedAt < QUICK_EXIT_MS;
      const why = signal ?? `status ${code}`;
      if (!quick) this.#backoffMs = QUICK_EXIT_MS;
      log(`cgi-shim fastcgi: worker ${child.pid ?? '?'} exited (${why}); starting another${quick ? ` in ${this.#backoffMs / 1000} s` : ''}`);
      if (!quick) {
        this.#start();
        return;
      }
      setTimeout(() => this.#start(), this.#backoffMs);
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    });
  }

  #checkExited(): void {
    if (this.#children.size === 0) this.#allExited?.();
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  if (!isSocket) throw new CgiError('EFCGILISTEN', `${path} exists and is not a socket`);
  const live = await new Promise<boolean>((resolve) => {
    const probe = net.connect(path);
    probe.once('connect', () => { probe.destroy(); resolve(true); });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new CgiError('EFCGILISTEN', `${path} is in use by another process`);
  unlinkSync(path);
}
