// The FastCGI adapter: every request a web server sends over FastCGI goes through the same
// pipeline as a CGI process's (core/pipeline.ts). Its PARAMS are the CGI meta-variables, its
// STDIN the body (under the same limit), its STDOUT the CGI response, its STDERR the log
// entries, which the web server writes to its error log. Nothing of one request reaches another:
// each has its own environment object, request, response and session. Knows no process:
// process.ts runs it as one.

import { createServer, type Server } from 'node:net';
import { CgiError } from '../../base/errors.js';
import { writeAll } from '../../base/sync-io.js';
import { errorResponse, handleRequest, isDebug, logFailure, type Handler, type LogSink, type PipelineOptions } from '../../core/pipeline.js';
import { DEFAULT_MAX_BODY_BYTES, type CgiEnv } from '../../core/request.js';
import { Responder, type ResponderReply, type ResponderRequest } from './responder.js';

/** Defaults of the FastCGI settings, which a script's environment may change. */
export const FASTCGI_DEFAULTS = {
  /** CGI_FCGI_REQUEST_TIMEOUT: seconds a request may take; as apache.conf's CGI timeout. */
  requestTimeoutSeconds: 30,
  /** CGI_FCGI_MAX_REQUESTS: requests a process serves before it exits; 0 is no limit. */
  maxRequests: 0,
  /** The Node option a FastCGI process is started with (`cgi-shim fastcgi` adds it to
   * NODE_OPTIONS; the shipped web server configurations set it): V8's young generation, which
   * otherwise grows to 16 MiB per semi-space over the first thousands of requests, stays at
   * 1 MiB, so a process's memory stays flat from its first requests (BENCHMARKS.md). */
  nodeOptions: '--max-semi-space-size=1',
} as const;

/** Seconds a stopping process gives its connections beyond the request timeout. */
const STOP_GRACE_SECONDS = 10;

/** Options of {@link createFastCgiService}. */
export interface FastCgiOptions extends PipelineOptions {
  /**
   * The process's environment. A request's variables are its PARAMS; the runtime's and the
   * script's own settings (every name starting with `CGI_`, such as CGI_SESSION_DIR) that the
   * PARAMS lack are taken from here, since servers pass settings either way (Apache's SetEnv
   * in the PARAMS, mod_fcgid's FcgidInitialEnv and lighttpd's bin-environment here).
   * @default process.env
   */
  processEnv?: CgiEnv;
  /** Seconds a request may run before it is answered with a 500 and its finish hooks are told
   * it failed (releasing a session lock); the handler itself cannot be stopped. @default 30 */
  requestTimeoutSeconds?: number;
  /** Where diagnostics that belong to no request go. @default stderr */
  log?: LogSink;
}

/** A FastCGI server for one script: listen with `server`, stop with `stop`. */
export interface FastCgiService {
  /** The server to listen with (on fd 0, fd 3, a port or a path). */
  readonly server: Server;
  /** Counts requests; `onBegin` sees each one begin. */
  readonly responder: Responder;
  /** Accepts no more connections, finishes what is in flight, closes every connection. */
  stop(): Promise<void>;
}

/**
 * A FastCGI server that runs `handler` for every request, as `run` does in a CGI process.
 * @example
 * const service = createFastCgiService(handler, {});
 * service.server.listen({ fd: 0 });
 */
export function createFastCgiService(handler: Handler, options: FastCgiOptions = {}): FastCgiService {
  const settings = ownSettings(options.processEnv ?? process.env);
  const timeoutMs = (options.requestTimeoutSeconds ?? FASTCGI_DEFAULTS.requestTimeoutSeconds) * 1000;
  if (!(timeoutMs > 0)) throw new TypeError(`option requestTimeoutSeconds is invalid: ${options.requestTimeoutSeconds}`);
  const log = options.log ?? ((entry: string) => writeAll(2, `${entry}\n`));
  const responder = new Responder((request) => answer(handler, request, settings, timeoutMs, options), {
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    log,
  });
  const server = createServer((socket) => responder.handle(socket));
  return {
    server,
    responder,
    async stop() {
      server.close();
      await responder.stop(timeoutMs + STOP_GRACE_SECONDS * 1000);
    },
  };
}

/** One request through the pipeline, with its own log and its own deadline. */
async function answer(handler: Handler, request: ResponderRequest, settings: ReadonlyArray<[string, string]>, timeoutMs: number, options: PipelineOptions): Promise<ResponderReply> {
  const env = requestEnv(request.params, settings);
  const entries: string[] = [];
  const log: LogSink = (entry) => { entries.push(`${entry}\n`); };
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new CgiError('EREQUESTTIMEOUT', `the request took longer than ${timeoutMs / 1000} s (CGI_FCGI_REQUEST_TIMEOUT)`)), timeoutMs);
  const cancel = () => deadline.abort(request.signal.reason);
  request.signal.addEventListener('abort', cancel, { once: true });
  let stdout: Buffer;
  let failed: boolean;
  try {
    const outcome = await handleRequest(handler, env, request.body, options, log, deadline.signal);
    failed = outcome.failed;
    stdout = outcome.response.toBytes(outcome.omitBody);
  } catch (error) {
    // Only toBytes can throw here (a handler that set an impossible status): as the CGI adapter's
    // crash handler does, a 500.
    logFailure(log, env, error);
    failed = true;
    stdout = errorResponse(error, { debug: options.debug ?? isDebug(env), errorPage: options.errorPage }, log).toBytes();
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener('abort', cancel);
  }
  return { stdout, stderr: entries.length > 0 ? Buffer.from(entries.join('')) : undefined, appStatus: failed ? 1 : 0 };
}

/** The request's variables: its PARAMS (an object of its own), less HTTP_PROXY (httpoxy), plus
 * the settings it lacks, and FCGI_ROLE (as PHP sets it), by which the runtime knows it is
 * serving FastCGI (sessions then leave their sweep to cron). */
function requestEnv(params: Record<string, string>, settings: ReadonlyArray<[string, string]>): CgiEnv {
  delete params.HTTP_PROXY;
  params.FCGI_ROLE = 'RESPONDER';
  for (const [name, value] of settings) if (params[name] === undefined) params[name] = value;
  return params;
}

/** The `CGI_*` variables of the process's environment, read once. */
function ownSettings(env: CgiEnv): Array<[string, string]> {
  return Object.entries(env).filter((entry): entry is [string, string] => entry[0].startsWith('CGI_') && entry[1] !== undefined);
}
