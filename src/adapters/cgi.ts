// The CGI process adapter (RFC 3875; the child side of Go's net/http/cgi): one process, one
// request. The request comes from the environment and stdin, the response goes to stdout, the
// diagnostics to stderr, which the web server writes to its error log. With process-guard.ts, the
// only module that touches the process: its failures outside the handler still answer, console
// output goes to stderr, and it ends as soon as its response is out and nothing is left to do.

import { writeAll, type ByteSink, type ByteSource } from '../base/sync-io.js';
import { handleRequest, type Handler, type LogSink, type PipelineOptions } from '../core/pipeline.js';
import type { CgiEnv } from '../core/request.js';
import { crash, guardProcess, sendResponse } from './process-guard.js';

export type { Handler } from '../core/pipeline.js';

/** Options of {@link run}. The I/O fields exist for tests; scripts leave them out. */
export interface RunOptions extends PipelineOptions {
  /** The meta-variables. @default process.env */
  env?: CgiEnv;
  /** The request body's source. @default 0 (stdin) */
  stdin?: ByteSource;
  /** Where the CGI response goes. @default 1 (stdout) */
  stdout?: ByteSink;
  /** Where diagnostics go; the web server writes them to its error log. @default 2 (stderr) */
  stderr?: ByteSink;
}

/**
 * Runs a CGI script: call it once at the top level of the script.
 * Resolves with the exit status, which it also sets as `process.exitCode` in a real process.
 * The response is the only thing written to stdout: `console.log` and its kin write to stderr
 * (the web server's error log), and a failure outside the handler still answers with a 500 page.
 * Started by a FastCGI server instead (a listening socket as stdin, see fastcgi/detect.ts), the
 * same script serves request after request until its process is told to stop.
 * @example
 * run((req, res) => {
 *   res.html(html`<p>Hello, ${req.query.get('name') ?? 'world'}!</p>`);
 * });
 */
export async function run(handler: Handler, options: RunOptions = {}): Promise<number> {
  const realProcess = options.stdout === undefined;
  // A CGI request pays for this one look-up: every CGI server sets GATEWAY_INTERFACE, no
  // FastCGI spawner does. The FastCGI code is loaded only when it is needed.
  if (realProcess && process.env.GATEWAY_INTERFACE === undefined) {
    const { fastCgiListenFd } = await import('./fastcgi/detect.js');
    const fd = fastCgiListenFd(process.env);
    if (fd !== undefined) return (await import('./fastcgi/process.js')).runFastCgi(handler, options, fd);
  }
  const env = options.env ?? process.env;
  const err = options.stderr ?? 2;
  const log: LogSink = (entry) => writeAll(err, `${entry}\n`);
  if (realProcess) {
    // httpoxy: a client's `Proxy:` header arrives as HTTP_PROXY, which HTTP clients would obey.
    delete process.env.HTTP_PROXY;
    // tsx, or a Node that strips types, runs a script from its source: it works, slowly.
    if (/\.[mc]?ts$/.test(process.argv[1] ?? '')) {
      writeAll(err, `cgi-shim: ${process.argv[1]} runs from TypeScript source; for a web server, build it first: npx cgi-shim build\n`);
    }
    const state = guardProcess();
    state.options = options;
    // A handler that never settles empties the event loop without an answer: answer it.
    process.on('beforeExit', () => {
      if (!state.sent) crash(new Error('the handler never finished: it returned a promise that did not settle'));
    });
  }
  const outcome = await handleRequest(handler, env, options.stdin ?? 0, options, log);
  const bytes = outcome.response.toBytes(outcome.omitBody);
  if (options.stdout === undefined) sendResponse(bytes);
  else writeAll(options.stdout, bytes);
  const status = outcome.failed ? 1 : 0;
  if (realProcess) {
    process.exitCode = status;
    process.on('beforeExit', exitWhenIdle);
  }
  return status;
}

/**
 * Ends the process once the response is out and the script has nothing left to do (the event
 * loop ran empty, and no 'beforeExit' listener before this one gave it more work), with the
 * 'exit' listeners run as ever. What it skips is Node's teardown of an idle process, freeing what
 * the system frees anyway (BENCHMARKS.md, start-up notes).
 */
function exitWhenIdle(): void {
  // getActiveResourcesInfo lists only what keeps the process alive (not unref'd handles).
  if (typeof process.getActiveResourcesInfo === 'function' && process.getActiveResourcesInfo().length === 0) process.exit();
}
