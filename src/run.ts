// The runner: the one place that touches the process. It builds the request from the
// environment and stdin, calls the script's handler, and writes the response to stdout as CGI
// output, turning every failure into a complete error response and a line on stderr.

import { HttpError, renderErrorPage } from './errors.js';
import { requestFromEnv, type CgiEnv, type CgiRequest, type RequestOptions } from './request.js';
import { CgiResponse } from './response.js';
import { writeAll, type ByteSink, type ByteSource } from './stdio.js';

/** A script: reads the request, fills in the response. What it returns (or resolves with) is
 * ignored, so `return response.redirect(…)` ends a handler early. */
export type Handler = (request: CgiRequest, response: CgiResponse) => unknown;

/** Options of {@link run}. The I/O fields exist for tests; scripts leave them out. */
export interface RunOptions extends RequestOptions {
  /** Methods the script answers; others get 405 with `Allow`. HEAD goes with GET. @default any */
  methods?: readonly string[];
  /** Show error details in the page. @default true when the environment sets CGI_DEBUG=1 */
  debug?: boolean;
  /** The meta-variables. @default process.env */
  env?: CgiEnv;
  /** The request body's source. @default 0 (stdin) */
  stdin?: ByteSource;
  /** Where the CGI response goes. @default 1 (stdout) */
  stdout?: ByteSink;
  /** Where diagnostics go; the web server writes them to its error log. @default 2 (stderr) */
  stderr?: ByteSink;
}

/** stderr is read by people in a log; a runaway message must not flood it (or block the server). */
const MAX_LOG_CHARS = 8192;

/**
 * Runs a CGI script: call it once at the top level of the script.
 * Resolves with the exit status, which it also sets as `process.exitCode` in a real process.
 * @example
 * run((req, res) => {
 *   res.html(html`<p>Hello, ${req.query.get('name') ?? 'world'}!</p>`);
 * });
 */
export async function run(handler: Handler, options: RunOptions = {}): Promise<number> {
  const realProcess = options.stdout === undefined;
  if (realProcess) {
    // httpoxy: a client's `Proxy:` header arrives as HTTP_PROXY, which HTTP clients would obey.
    delete process.env.HTTP_PROXY;
  }
  const env = options.env ?? process.env;
  const out = options.stdout ?? 1;
  const err = options.stderr ?? 2;
  const debug = options.debug ?? /^(1|true|on|yes)$/i.test(env.CGI_DEBUG ?? '');
  let sent = false;
  const send = (response: CgiResponse, omitBody: boolean) => {
    if (sent) return;
    sent = true;
    writeAll(out, response.toBytes(omitBody));
  };
  const crash = (error: unknown) => {
    logError(err, env, error);
    send(errorResponse(error, debug), false);
    process.exit(1); // Nothing of ours is pending: the response went out synchronously.
  };
  if (realProcess) guardProcess(crash, () => sent);

  let request: CgiRequest | undefined;
  let response = new CgiResponse();
  let status = 0;
  let handlerDone = false;
  try {
    request = requestFromEnv(env, options.stdin ?? 0, options);
    checkMethod(request.method, options.methods);
    await handler(request, response);
    // A body the handler did not read is still read before anything is saved: a truncated
    // request is malformed (400) whether or not the script cared about its body.
    request.drainBody();
    handlerDone = true;
    await runFinishHooks(response, true);
  } catch (error) {
    // When a hook failed, runFinishHooks has told the rest already.
    if (!handlerDone) await runFinishHooks(response, false, err, env);
    if (!(error instanceof HttpError) || error.status >= 500) logError(err, env, error);
    if (!(error instanceof HttpError)) status = 1;
    response = errorResponse(error, debug);
  }
  drainQuietly(request);
  send(response, request?.method === 'HEAD');
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
 * the system frees anyway: measured at 1.4–1.9 ms of a plain script's process and 1.6 ms of
 * hello.cgi's (paired runs, npm run bench:compare; BENCHMARKS.md).
 */
function exitWhenIdle(): void {
  // getActiveResourcesInfo lists only what keeps the process alive (not unref'd handles).
  if (typeof process.getActiveResourcesInfo === 'function' && process.getActiveResourcesInfo().length === 0) process.exit();
}

function checkMethod(method: string, allowed: readonly string[] | undefined): void {
  if (allowed === undefined || allowed.includes(method)) return;
  if (method === 'HEAD' && allowed.includes('GET')) return;
  const allow = allowed.includes('GET') && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed;
  throw new HttpError(405, `This script does not answer ${method} requests.`, { headers: { Allow: allow.join(', ') } });
}

async function runFinishHooks(response: CgiResponse, ok: boolean, err?: ByteSink, env?: CgiEnv): Promise<void> {
  const hooks = response.finishHooks;
  for (let i = 0; i < hooks.length; i++) {
    try {
      await hooks[i]!(ok);
    } catch (error) {
      if (ok) {
        // A failed hook (say, a session that could not be saved) fails the request; the hooks
        // after it are told so, and the error becomes the response.
        for (const later of hooks.slice(i + 1)) await Promise.resolve().then(() => later(false)).catch(() => {});
        throw error;
      }
      if (err !== undefined && env !== undefined) logError(err, env, error);
    }
  }
}

function errorResponse(error: unknown, debug: boolean): CgiResponse {
  const response = new CgiResponse();
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError && error.expose ? error.message : undefined;
  const details = debug && !(error instanceof HttpError && error.expose) ? describe(error) : undefined;
  response.status = status;
  if (error instanceof HttpError) for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  response.setHeader('Cache-Control', 'no-store');
  return response.send(renderErrorPage(status, message, details));
}

function drainQuietly(request: CgiRequest | undefined): void {
  try {
    request?.drainBody();
  } catch {
    // A body that ends early while we discard it changes nothing about the answer.
  }
}

/** One line (plus the stack) per failure, naming the request, for the web server's error log. */
function logError(err: ByteSink, env: CgiEnv, error: unknown): void {
  const query = env.QUERY_STRING ? `?${env.QUERY_STRING}` : '';
  // PATH_INFO arrives decoded: a client's %0A would otherwise start a forged line in the log.
  const line = `${env.REQUEST_METHOD ?? 'GET'} ${env.SCRIPT_NAME ?? ''}${env.PATH_INFO ?? ''}${query}`
    .replace(/[\x00-\x1f\x7f]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  let text = `cgi-shim: ${line}: ${describe(error)}`;
  if (text.length > MAX_LOG_CHARS) text = `${text.slice(0, MAX_LOG_CHARS)}… (cut)`;
  try {
    writeAll(err, `${text.replace(/[\r\0]/g, '')}\n`);
  } catch {
    // Nowhere left to report to.
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause === undefined ? '' : `\ncaused by: ${describe(error.cause)}`;
    return `${error.stack ?? `${error.name}: ${error.message}`}${cause}`;
  }
  return `thrown value: ${String(error)}`;
}

/** Errors thrown outside the handler's promise, and a handler that never settles, still answer. */
function guardProcess(crash: (error: unknown) => void, wasSent: () => boolean): void {
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  process.on('beforeExit', () => {
    if (!wasSent()) crash(new Error('the handler never finished: it returned a promise that did not settle'));
  });
}
