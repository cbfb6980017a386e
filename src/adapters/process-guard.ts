// What a CGI process owns from its first line on: stdout is the response, written once, so console
// output goes to stderr (the web server's error log); and a failure outside the handler (a script
// that throws as it loads, an error thrown from a timer) still answers with the safe 500 page and
// a log line. Every built script starts guarded (src/build/script-prelude.ts, before the script's
// own code); run() guards the process too, for a script run any other way. A FastCGI process
// takes the uncaught errors over (releaseFailures).

import { inspect } from 'node:util';
import { writeAll } from '../base/sync-io.js';
import { errorResponse, isDebug, logFailure, type PipelineOptions } from '../core/pipeline.js';

/** The process's state, shared by every copy of this module a bundle may hold (say, a script
 * built by one node-cgi-shim that imports another). */
export interface ProcessState {
  /** Whether the response went out: nothing more is written to stdout. */
  sent: boolean;
  /** The options given to run(), once it is called: they shape the 500 page too. */
  options: PipelineOptions;
  /** The listener for uncaught errors this guard added (by whichever copy of this module). */
  readonly onFailure: (error: unknown) => void;
}

const STATE = Symbol.for('node-cgi-shim.process');

/** Guards this process (once; later calls return the same state). */
export function guardProcess(): ProcessState {
  const holder = process as unknown as Record<symbol, ProcessState | undefined>;
  const existing = holder[STATE];
  if (existing !== undefined) return existing;
  const state: ProcessState = { sent: false, options: {}, onFailure: crash };
  holder[STATE] = state;
  routeConsoleToStderr();
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  return state;
}

/** Leaves uncaught errors to a process that serves many requests (FastCGI), which must answer
 * those in flight before it exits: the guard's listeners, made for one CGI request, go. */
export function releaseFailures(): void {
  const { onFailure } = guardProcess();
  process.off('uncaughtException', onFailure);
  process.off('unhandledRejection', onFailure);
}

/** Writes the response to stdout, unless one went out already. */
export function sendResponse(bytes: Uint8Array): void {
  const state = guardProcess();
  if (state.sent) return;
  state.sent = true;
  writeAll(1, bytes);
}

/** Logs `error` with the request line, answers 500 if nothing was answered yet, and ends the
 * process: nothing of ours is pending, since the response goes out synchronously. */
export function crash(error: unknown): never {
  const log = (entry: string) => writeAll(2, `${entry}\n`);
  logFailure(log, process.env, error);
  const { options } = guardProcess();
  sendResponse(errorResponse(error, { debug: options.debug ?? isDebug(process.env), errorPage: options.errorPage }, log).toBytes(false));
  process.exit(1);
}

/**
 * console.log writes to stdout, where a stray line would become a header or end the header block
 * early. `info`, `debug` and `dirxml` are its aliases; `table`, `count`, `group` and `time*` print
 * through `console.log`; `dir` writes to stdout by itself. `warn`, `error`, `trace` and `assert`
 * use stderr already.
 */
function routeConsoleToStderr(): void {
  const toStderr = console.error;
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
  console.dirxml = toStderr;
  console.dir = (item: unknown, options?: object) => toStderr(inspect(item, { customInspect: false, ...options }));
}
