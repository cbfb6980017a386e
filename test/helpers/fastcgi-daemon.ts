// Starts `cgi-shim fastcgi SCRIPT --listen <socket>` for a test, as an administrator would, and
// stops it again: the supervisor and its workers, on a Unix socket in a fresh folder.

import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './cgi.js';
import { tempDir } from './temp-dir.js';

/** A running daemon. */
export interface Daemon {
  /** The socket's path. */
  path: string;
  child: ChildProcess;
  /** What the supervisor and its workers wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit status; removes the folder. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Options of {@link startDaemon}. */
export interface DaemonOptions {
  workers?: number;
  /** Added to this process's environment for the supervisor and its workers. */
  env?: Record<string, string>;
  /** The workers' working directory. @default this process's */
  cwd?: string;
}

/** Starts the daemon and waits until its socket accepts connections. */
export async function startDaemon(script: string, options: DaemonOptions = {}): Promise<Daemon> {
  const dir = await tempDir('cgi-shim-fcgi-daemon-');
  const path = join(dir, 'app.sock');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'cgi-shim.js'), 'fastcgi', script, '--listen', path, '--workers', String(options.workers ?? 1)], {
    env: { ...process.env, ...options.env },
    cwd: options.cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stopping: Promise<number | null> | undefined;
  const daemon: Daemon = {
    path,
    child,
    stderr: () => stderr,
    stop: (signal = 'SIGTERM') => (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      // Workers outliving a killed supervisor would hold the pipe open, and this process with it.
      child.stderr!.destroy();
      await rm(dir, { recursive: true, force: true });
      return code;
    })()),
  };
  const deadline = Date.now() + 20_000;
  while (!(await canConnect(path))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await daemon.stop('SIGKILL');
      throw new Error(`cgi-shim fastcgi did not start serving ${script}:\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return daemon;
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
