// Real redis-server processes for the tests (and the benchmark): 127.0.0.1 only, a free high
// port, no persistence unless asked, in a temporary folder of their own; stopped, paused (SIGSTOP:
// a server that hangs), killed and started again on the same port. Never the system's service.
// The ava side, skipping where redis-server is missing, is in redis-test.ts.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './servers.js';

/** Where Debian's redis-server package puts the server. */
export const REDIS_SERVER = '/usr/bin/redis-server';
/** What to say when it is not there. */
export const REDIS_MISSING = 'redis-server is not installed, so the Redis store tests cannot run. Install it with: sudo apt-get install redis-server';

/** Options of {@link startRedis}. */
export interface RedisServerOptions {
  /** Extra redis.conf lines (users, requirepass…). */
  config?: string[];
  /** Also listen on a unix socket, `<dir>/redis.sock`. */
  unixSocket?: boolean;
  /** Listen with TLS only (certificates made by {@link makeCertificates}). */
  tls?: boolean;
  /** Append-only persistence with an fsync per write (`appendfsync always`): a server killed
   * and started again keeps every write it acknowledged. @default false (no persistence at all) */
  appendOnly?: boolean;
}

/** A running (or stopped) test server. */
export interface RedisServer {
  readonly port: number;
  readonly dir: string;
  /** `redis://127.0.0.1:<port>/0` (for TLS servers, rediss://). */
  readonly url: string;
  /** The unix socket's path, when asked for. */
  readonly socketPath: string;
  /** The CA certificate (PEM) that signed the TLS server's certificate, when TLS. */
  readonly caFile: string;
  /** Starts it again after {@link kill} or {@link stop}, on the same port. */
  start(): Promise<void>;
  /** SIGTERM, and waits for it to exit. */
  stop(): Promise<void>;
  /** SIGKILL, and waits for it to exit. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is answered. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** Stops it and removes its folder. */
  dispose(): Promise<void>;
}

/** Starts redis-server; resolves once it accepts connections. */
export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new Error(REDIS_MISSING);
  const dir = mkdtempSync(join(tmpdir(), 'cgi-shim-redis-'));
  const port = await freePort();
  const socketPath = join(dir, 'redis.sock');
  const caFile = join(dir, 'ca.pem');
  const lines = ['bind 127.0.0.1', 'save ""', `appendonly ${options.appendOnly ? 'yes' : 'no'}`, 'appendfsync always', `dir ${dir}`, 'protected-mode yes'];
  if (options.tls) {
    makeCertificates(dir);
    lines.push('port 0', `tls-port ${port}`, `tls-cert-file ${join(dir, 'server.pem')}`, `tls-key-file ${join(dir, 'server-key.pem')}`,
      `tls-ca-cert-file ${caFile}`, 'tls-auth-clients no');
  } else {
    lines.push(`port ${port}`);
  }
  if (options.unixSocket) lines.push(`unixsocket ${socketPath}`, 'unixsocketperm 700');
  lines.push(...(options.config ?? []));
  const configFile = join(dir, 'redis.conf');
  writeFileSync(configFile, `${lines.join('\n')}\n`);

  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn(REDIS_SERVER, [configFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = started;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      started.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      started.once('exit', (code) => reject(new Error(`redis-server exited ${code}:\n${output}`)));
    });
    started.stdout!.resume();
  };
  const signalAndWait = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return;
    running.kill('SIGCONT'); // A paused server cannot act on SIGTERM.
    running.kill(signal);
    await once(running, 'exit');
  };
  await start();
  return {
    port, dir, socketPath, caFile, start,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}/0`,
    stop: () => signalAndWait('SIGTERM'),
    kill: () => signalAndWait('SIGKILL'),
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async dispose() {
      await signalAndWait('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Makes `ca.pem` and a server certificate `server.pem`/`server-key.pem` signed by it, for
 * 127.0.0.1 and localhost, in `dir`, with openssl. Also `other-ca.pem`, a CA that signed nothing. */
export function makeCertificates(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=cgi-shim test CA');
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca-key.pem', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=another CA');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
}
