// One CGI script run as a child process, the way a web server runs it: the given environment and
// nothing else, the request body on stdin, stdout for the response, stderr into the error log,
// and a time limit after which the script and all it started are killed (see process-tree.ts).

import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { findStragglers, killAll, outputPipes, peerSockets } from './process-tree.js';

/** Options of {@link startScript}. */
export interface ScriptProcessOptions {
  /** The script's complete environment (see buildCgiEnv); nothing is inherited. */
  env: Record<string, string>;
  /** The request body, written to stdin, which is then closed. @default empty */
  body?: Buffer;
  /** Kill the script (and everything it started) after this long, in ms. */
  timeoutMs: number;
  /** Receives each line the script writes to stderr, without its line break. @default ignored */
  onStderrLine?: (line: string) => void;
  /** The working folder. @default the script's folder, as Apache runs CGI */
  cwd?: string;
}

/** How a script run ended. */
export interface ScriptExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether the host killed it for running past the time limit. */
  timedOut: boolean;
}

/** A running script. */
export interface ScriptProcess {
  /** The script's standard output: the CGI response. */
  stdout: Readable;
  /** Settles when the process has ended and its output streams are closed; never rejects
   * (a script that cannot start ends with code null and its error on stderr). */
  exited: Promise<ScriptExit>;
  /** Kills the script now (SIGKILL), with its process group, its descendants and whatever else
   * holds its output pipes. Safe to call more than once. */
  kill(): void;
}

/** Longest stderr line kept whole; longer ones are split, so a script cannot grow our memory. */
const MAX_STDERR_LINE = 8 * 1024;

/** How long a script's pipes may stay open after it exits (they normally close with it) before
 * whatever it started that still holds them is killed, and how often that is tried again: the
 * response ends with the script. */
const EXIT_GRACE_MS = 250;
/** How many times that is tried before the host stops waiting for the pipes to close. */
const MAX_SWEEPS = 8;

/**
 * Starts `file` as a CGI script. It runs in its own process group, so that a timeout or a
 * vanished client kills what it spawned too, not only the script itself; a child that left the
 * group (setsid) is found through /proc by its parent or by the pipes it holds.
 */
export function startScript(file: string, options: ScriptProcessOptions): ScriptProcess {
  const child = spawn(file, [], {
    cwd: options.cwd ?? dirname(file),
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // Read now, while the script most likely holds them: later, who else holds them is the
  // question. A script that has ended already left nothing to read: then name them from ours.
  const read = child.pid === undefined ? [] : outputPipes(child.pid);
  const guessed = read.length === 0 && child.pid !== undefined;
  const pipes = guessed ? peerSockets([child.stdout, child.stderr]) : read;
  let ended = false;
  let gone = false; // the process has exited (its pipes may live on)
  let timedOut = false;
  const kill = (): void => {
    if (ended || child.pid === undefined) return;
    // Found before the script dies: its children lose their parent link with it.
    const stragglers = findStragglers(pipes, gone ? undefined : child.pid, guessed);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL'); // the group is gone already; make sure of the leader
    }
    killAll(stragglers);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
    // Something we could not kill (another user's process) may still hold the pipes open; stop
    // waiting for it, or the request would hang past its time limit.
    child.stdout.destroy();
    child.stderr.destroy();
  }, options.timeoutMs);
  child.on('exit', () => {
    gone = true;
    // Pipes still open after the script is gone are held by something it started (a setsid
    // child that kept its stdout): end that, or the response would wait for it. Again and again
    // until they close: one look can miss a process that was forking or in exec at that moment.
    // Past MAX_SWEEPS, whatever holds them could not be found or ended (another user's process):
    // stop waiting for it, as on a timeout.
    let sweeps = 0;
    const sweep = setInterval(() => {
      if (ended) return clearInterval(sweep);
      killAll(findStragglers(pipes, undefined, guessed));
      if (++sweeps < MAX_SWEEPS) return;
      options.onStderrLine?.('cgi-shim: the script has ended, but something holds its output open; not waiting for it');
      clearInterval(sweep);
      child.stdout.destroy();
      child.stderr.destroy();
    }, EXIT_GRACE_MS).unref();
    child.on('close', () => clearInterval(sweep));
  });
  forwardLines(child.stderr, options.onStderrLine);
  // The script may exit without reading its input: EPIPE on stdin is not our error.
  child.stdin.on('error', () => {});
  child.stdin.end(options.body ?? Buffer.alloc(0));

  const exited = new Promise<ScriptExit>((resolve) => {
    child.on('error', (error) => {
      options.onStderrLine?.(`cannot start: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      ended = true;
      clearTimeout(timer);
      resolve({ code, signal, timedOut });
    });
  });
  return { stdout: child.stdout, exited, kill };
}

function forwardLines(stream: Readable, onLine: ((line: string) => void) | undefined): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (onLine === undefined) return;
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) !== -1 || pending.length > MAX_STDERR_LINE) {
      const end = newline === -1 ? MAX_STDERR_LINE : newline;
      onLine(pending.slice(0, end).replace(/\r$/, ''));
      pending = pending.slice(newline === -1 ? end : end + 1);
    }
  });
  stream.on('end', () => {
    if (pending !== '') onLine?.(pending);
  });
}
