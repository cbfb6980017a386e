// The request → handler → response pipeline, the same under every adapter: it builds the request
// from the meta-variables and a body source, checks the method, runs the handler and its finish
// hooks, and turns every failure into a complete error response and a log entry. It knows no
// process: an adapter hands it the variables and the body, and writes out what it gives back.

import { ConfigError, HttpError, renderErrorPage } from '../base/errors.js';
import { escapeControls } from '../base/http.js';
import type { ByteSource } from '../base/sync-io.js';
import { requestFromEnv, type CgiEnv, type CgiRequest, type RequestOptions } from './request.js';
import { CgiResponse, finishHooksOf } from './response.js';

/** A script: reads the request, fills in the response. What it returns (or resolves with) is
 * ignored, so `return response.redirect(…)` ends a handler early. */
export type Handler = (request: CgiRequest, response: CgiResponse) => unknown;

/** Receives one log entry (a failure with its stack: several lines, no final line break). */
export type LogSink = (entry: string) => void;

/** Options of the pipeline, which scripts give to `run`. */
export interface PipelineOptions extends RequestOptions {
  /** Methods the script answers; others get 405 with `Allow`. HEAD goes with GET. @default any */
  methods?: readonly string[];
  /** Show error details in the page. @default true when the environment sets CGI_DEBUG=1 */
  debug?: boolean;
}

/** What handling one request gave. */
export interface Outcome {
  /** The response to write: the handler's, or an error page. */
  response: CgiResponse;
  /** Whether the body is left out (a HEAD request): the headers still describe it. */
  omitBody: boolean;
  /** Whether the request failed unexpectedly (anything but an HttpError): a CGI process exits 1. */
  failed: boolean;
}

/** A log entry is read by people; a runaway message must not flood the log (or block the server). */
const MAX_LOG_CHARS = 8192;

/**
 * Handles one request: never rejects, whatever the handler does. A body the handler did not read
 * is still read (and must be whole) before the finish hooks run, so a truncated request is a 400
 * even for a script that ignores its body, and nothing is saved for it.
 */
export async function handleRequest(handler: Handler, env: CgiEnv, body: ByteSource, options: PipelineOptions, log: LogSink): Promise<Outcome> {
  let request: CgiRequest | undefined;
  let response = new CgiResponse();
  let failed = false;
  let handlerDone = false;
  try {
    request = requestFromEnv(env, body, options);
    checkMethod(request.method, options.methods);
    await handler(request, response);
    request.drainBody();
    handlerDone = true;
    await runFinishHooks(response, true, env, log);
  } catch (error) {
    // When a hook failed, runFinishHooks has told the rest already.
    if (!handlerDone) await runFinishHooks(response, false, env, log);
    if (!(error instanceof HttpError) || error.status >= 500) logFailure(log, env, error);
    failed = !(error instanceof HttpError);
    response = errorResponse(error, options.debug ?? isDebug(env));
  }
  drainQuietly(request);
  return { response, omitBody: request?.method === 'HEAD', failed };
}

/** Whether the environment asks for error details in pages (`CGI_DEBUG=1`, `true`, `on`, `yes`). */
export function isDebug(env: CgiEnv): boolean {
  return /^(1|true|on|yes)$/i.test(env.CGI_DEBUG ?? '');
}

/** The error page for a failure: its status and, if exposed, its message; with `debug`, the
 * details of an unexpected error. Never cached. */
export function errorResponse(error: unknown, debug: boolean): CgiResponse {
  const response = new CgiResponse();
  const status = error instanceof HttpError ? error.status : 500;
  const message = error instanceof HttpError && error.expose ? error.message : undefined;
  const details = debug && !(error instanceof HttpError && error.expose) ? describeError(error) : undefined;
  response.status = status;
  if (error instanceof HttpError) for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
  response.setHeader('Cache-Control', 'no-store');
  return response.send(renderErrorPage(status, message, details));
}

/**
 * Logs a failure: the request line, then the error (see {@link describeError}), cut at 8 KiB.
 * Every line of it is escaped, so nothing a client or a caller wrote starts a line of its own.
 * A {@link ConfigError} is one line, its message without a stack: the fix is in the deployment.
 */
export function logFailure(log: LogSink, env: CgiEnv, error: unknown): void {
  const query = env.QUERY_STRING ? `?${env.QUERY_STRING}` : '';
  // PATH_INFO arrives decoded: a client's %0A would otherwise start a forged line in the log.
  const line = escapeControls(`${env.REQUEST_METHOD ?? 'GET'} ${env.SCRIPT_NAME ?? ''}${env.PATH_INFO ?? ''}${query}`);
  const described = error instanceof ConfigError ? escapeControls(error.message) : describeError(error);
  let text = `cgi-shim: ${line}: ${described}`;
  if (text.length > MAX_LOG_CHARS) text = `${text.slice(0, MAX_LOG_CHARS)}… (cut)`;
  try {
    log(text);
  } catch {
    // Nowhere left to report to.
  }
}

/**
 * A thrown value as log lines: `Name: message`, the stack's frames (each indented), and its causes.
 * Each line is escaped on its own: a message holding a line break (say, a caller's string quoted
 * in a library's error) stays on its line.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `thrown value: ${escapeControls(String(error))}`;
  const lines = [escapeControls(`${error.name}: ${error.message}`)];
  for (const frame of stackFrames(error)) lines.push(`    ${escapeControls(frame)}`);
  if (error.cause !== undefined) lines.push(`caused by: ${describeError(error.cause)}`);
  return lines.join('\n');
}

function checkMethod(method: string, allowed: readonly string[] | undefined): void {
  if (allowed === undefined || allowed.includes(method)) return;
  if (method === 'HEAD' && allowed.includes('GET')) return;
  const allow = allowed.includes('GET') && !allowed.includes('HEAD') ? [...allowed, 'HEAD'] : allowed;
  throw new HttpError(405, `This script does not answer ${method} requests.`, { headers: { Allow: allow.join(', ') } });
}

async function runFinishHooks(response: CgiResponse, ok: boolean, env: CgiEnv, log: LogSink): Promise<void> {
  const hooks = finishHooksOf(response);
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
      logFailure(log, env, error);
    }
  }
}

function drainQuietly(request: CgiRequest | undefined): void {
  try {
    request?.drainBody();
  } catch {
    // A body that ends early while we discard it changes nothing about the answer.
  }
}

/** The frames of a V8 stack: its trailing lines that start with `at`. */
function stackFrames(error: Error): string[] {
  const lines = typeof error.stack === 'string' ? error.stack.split('\n') : [];
  let first = lines.length;
  while (first > 1 && /^\s+at /.test(lines[first - 1]!)) first--;
  return lines.slice(first).map((line) => line.trim());
}
