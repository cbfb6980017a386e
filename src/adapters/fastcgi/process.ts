// A script run as a FastCGI application process: it serves the listening socket it was given
// (fd 0, or systemd's fd 3) until it is told to stop (SIGTERM, SIGINT), until it has begun
// CGI_FCGI_MAX_REQUESTS requests, or after an error that no request caught; then it accepts
// nothing more, finishes what is in flight, and exits for its spawner to start a fresh one. The
// only module of the FastCGI adapter that touches the process. Nothing here writes to fd 1:
// under mod_fcgid it is the web server's error log.

import { errorMessage } from '../../base/errors.js';
import { writeAll } from '../../base/sync-io.js';
import { describeError, type Handler, type LogSink, type PipelineOptions } from '../../core/pipeline.js';
import { releaseFailures } from '../process-guard.js';
import { createFastCgiService, FASTCGI_DEFAULTS } from './serve.js';

/** The process's own settings, from its environment. */
interface ProcessSettings {
  maxRequests: number;
  requestTimeoutSeconds: number;
}

/**
 * Serves FastCGI on `fd` until the process should end, then exits with 0 (or 1 after an
 * uncaught error, or when `fd` cannot be served). Never resolves: the process ends.
 */
export async function runFastCgi(handler: Handler, options: PipelineOptions, fd: number): Promise<never> {
  const log: LogSink = (entry) => writeAll(2, `${entry}\n`);
  const settings = readSettings(process.env);
  if (typeof settings === 'string') return exit(log, 1, `cgi-shim: ${settings}`);
  const service = createFastCgiService(handler, { ...options, requestTimeoutSeconds: settings.requestTimeoutSeconds, log });
  try {
    await new Promise<void>((resolve, reject) => {
      service.server.once('error', reject);
      service.server.listen({ fd }, resolve);
    });
  } catch (error) {
    return exit(log, 1, `cgi-shim: cannot serve FastCGI on fd ${fd} (${errorMessage(error)}): it must be a listening socket`);
  }

  let status = 0;
  let stopRequested = false;
  let requestStop = () => {};
  const stopped = new Promise<void>((resolve) => { requestStop = resolve; }).then(() => service.stop());
  const stop = () => {
    stopRequested = true;
    requestStop();
  };
  if (settings.maxRequests > 0) {
    service.responder.onBegin = (count) => {
      if (count >= settings.maxRequests) stop();
    };
  }
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopRequested) exit(log, 1, `cgi-shim: ${signal} again: exiting without waiting for ${service.responder.inFlight} requests in flight`);
      stop();
    });
  }
  const crash = (error: unknown) => {
    log(`cgi-shim: an error outside any request: ${describeError(error)}\n` +
      `cgi-shim: accepting no more requests; exiting once the ${service.responder.inFlight} in flight are answered`);
    status = 1;
    stop();
  };
  releaseFailures(); // The CGI guard's listeners would answer one request and exit at once.
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  await stopped;
  return exit(log, status);
}

/** Reads CGI_FCGI_MAX_REQUESTS and CGI_FCGI_REQUEST_TIMEOUT; a message when one is malformed. */
export function readSettings(env: Readonly<Record<string, string | undefined>>): ProcessSettings | string {
  const maxRequests = wholeNumberSetting(env, 'CGI_FCGI_MAX_REQUESTS', FASTCGI_DEFAULTS.maxRequests, 0);
  const requestTimeoutSeconds = wholeNumberSetting(env, 'CGI_FCGI_REQUEST_TIMEOUT', FASTCGI_DEFAULTS.requestTimeoutSeconds, 1);
  if (typeof maxRequests === 'string') return maxRequests;
  if (typeof requestTimeoutSeconds === 'string') return requestTimeoutSeconds;
  return { maxRequests, requestTimeoutSeconds };
}

function wholeNumberSetting(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number, least: number): number | string {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
  return value >= least ? value : `${name} must be a whole number of at least ${least}, not ${JSON.stringify(text)}`;
}

function exit(log: LogSink, status: number, message?: string): never {
  if (message !== undefined) log(message);
  process.exit(status);
}
