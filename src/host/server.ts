// The local CGI host: an HTTP server that answers /cgi-bin/<script>[/path/info][?query] by running
// the script as a real CGI process, as Apache's mod_cgi (and Go's net/http/cgi host) would, and
// translating its header block into the HTTP response. Meant for development and teaching.

import { realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { basename, dirname, resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { withProjectDataDir } from '../base/data-dir.js';
import { CgiError, HttpError, renderErrorPage } from '../base/errors.js';
import { escapeControls } from '../base/http.js';
import { buildCgiEnv, hostName, passedThroughEnv, SERVER_SOFTWARE, type HostRequest } from './environment.js';
import { parseHeaderBlock, type CgiHeaderBlock } from './output.js';
import { findScript, splitScriptPath, type FoundScript } from './script-path.js';
import { startScript, type ScriptProcess } from './script-process.js';
import { readHeaderBlock, readRequestBody, streamBody } from './transfer.js';

/** The defaults of {@link HostOptions} (the CLI's too). */
export const HOST_DEFAULTS = {
  dir: 'dist/cgi-bin',
  port: 8080,
  host: '127.0.0.1',
  timeoutSeconds: 30,
  maxBodyBytes: 10 * 1024 * 1024,
  indexPath: '/cgi-bin/index.cgi',
} as const;

/** Options of {@link startHost}. */
export interface HostOptions {
  /** The scripts folder served under /cgi-bin/. @default 'dist/cgi-bin' (from the current folder) */
  dir?: string;
  /** The TCP port; 0 picks a free one (read it from the returned `port`). @default 8080 */
  port?: number;
  /** The address to listen on. Anything but loopback exposes your scripts to the network. @default '127.0.0.1' */
  host?: string;
  /** A script still running after this long is killed (with all it started); 504 if it had not
   * answered yet. @default 30 */
  timeoutSeconds?: number;
  /** Largest request body accepted, in bytes; a larger one is answered 413. @default 10 MiB */
  maxBodyBytes?: number;
  /** Where `/` redirects to. @default '/cgi-bin/index.cgi' */
  indexPath?: string;
  /** More names requests may address the host by (their `Host` header). Besides these, only
   * `localhost`, `127.0.0.1`, `[::1]`, `host` and the address a request arrived at are
   * answered; any other name gets 421, so a web page cannot reach the scripts through a name of
   * its own that resolves here (DNS rebinding). @default [] */
  allowedHosts?: readonly string[];
  /** The folder `PATH_INFO` is translated against into `PATH_TRANSLATED`. @default none (not set) */
  documentRoot?: string;
  /** The host's own environment, from which `PATH`, `CGI_SESSION_DIR`, `CGI_DEBUG` and
   * `CGI_SECRET` are passed to scripts (nothing else is); a relative `CGI_SESSION_DIR` is taken
   * from the current folder. Without one, scripts get the project's `sessions/` two folders above
   * `dir` when it exists (as `npm start` serves the demos), else they use their user's private
   * folder. @default process.env */
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /** Receives the log: one line per request, and the scripts' stderr prefixed with their name.
   * @default writes each line to process.stderr */
  log?: (line: string) => void;
}

/** A running host. */
export interface Host {
  /** The base URL, e.g. `http://127.0.0.1:8080/`. */
  url: string;
  /** The port actually listened on (useful with port 0). */
  port: number;
  /** Stops listening, closes connections and kills scripts still running. */
  close(): Promise<void>;
}

/** Local redirects followed for one request before the host gives up (a script loop). */
const MAX_LOCAL_REDIRECTS = 5;

interface HostContext {
  root: string;
  options: Required<Omit<HostOptions, 'documentRoot' | 'allowedHosts'>> & { documentRoot: string | undefined };
  /** The names requests may address the host by (besides the address they arrived at). */
  names: ReadonlySet<string>;
  running: Set<ScriptProcess>;
}

/** Names that always mean this machine. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

const MISDIRECTED = 'This server answers only requests addressed to it by the name localhost, 127.0.0.1 or [::1] ' +
  '(or the address it listens on). A page of another site may be trying to reach it under a name of its own. ' +
  'To reach it by another name, start it with --allowed-host NAME.';

/** One run of a script: the request as the script sees it (after local redirects, a GET). */
interface Exchange {
  request: HostRequest;
  body: Buffer | undefined;
  script: FoundScript;
  depth: number;
}

/**
 * Starts the local CGI host and resolves once it listens.
 * @example
 * const host = await startHost({ dir: 'dist/cgi-bin', port: 0 });
 * const page = await fetch(new URL('cgi-bin/hello.cgi', host.url));
 * await host.close();
 */
export async function startHost(options: HostOptions = {}): Promise<Host> {
  const resolved = resolveOptions(options);
  const root = await realpath(resolved.dir).catch((error: unknown) => {
    throw new CgiError('EHOSTDIR', `cgi-shim serve: scripts folder ${resolved.dir} cannot be opened`, { cause: error });
  });
  if (!(await stat(root)).isDirectory()) throw new CgiError('EHOSTDIR', `cgi-shim serve: ${resolved.dir} is not a folder`);
  const names = new Set([...LOOPBACK_NAMES, resolved.host, ...(options.allowedHosts ?? [])].map(normalHostName));
  const context: HostContext = { root, options: resolved, names, running: new Set() };
  const server = createServer((req, res) => { void handle(context, req, res); });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(resolved.port, resolved.host, () => { server.off('error', reject); resolve(); });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : resolved.port;
  const hostPart = resolved.host.includes(':') ? `[${resolved.host}]` : resolved.host;
  return { url: `http://${hostPart}:${port}/`, port, close: () => closeHost(server, context) };
}

function resolveOptions(options: HostOptions): HostContext['options'] {
  const port = options.port ?? HOST_DEFAULTS.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError(`option port is invalid: ${port}`);
  const timeoutSeconds = options.timeoutSeconds ?? HOST_DEFAULTS.timeoutSeconds;
  if (!(timeoutSeconds > 0) || !Number.isFinite(timeoutSeconds)) throw new TypeError(`option timeoutSeconds is invalid: ${timeoutSeconds}`);
  const maxBodyBytes = options.maxBodyBytes ?? HOST_DEFAULTS.maxBodyBytes;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) throw new TypeError(`option maxBodyBytes is invalid: ${maxBodyBytes}`);
  const indexPath = options.indexPath ?? HOST_DEFAULTS.indexPath;
  if (!indexPath.startsWith('/') || indexPath.startsWith('//')) throw new TypeError(`option indexPath is invalid: ${indexPath}`);
  const dir = options.dir ?? HOST_DEFAULTS.dir;
  return {
    dir,
    port,
    host: options.host ?? HOST_DEFAULTS.host,
    timeoutSeconds,
    maxBodyBytes,
    indexPath,
    documentRoot: options.documentRoot,
    hostEnv: passedThroughEnv(withProjectDataDir(options.hostEnv ?? process.env, resolve(dir)), process.cwd()),
    log: options.log ?? ((line) => { process.stderr.write(`${line}\n`); }),
  };
}

async function closeHost(server: Server, context: HostContext): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  for (const script of context.running) script.kill();
  await closed;
}

/** Answers one request, and logs it once the response is done (or the client is gone). */
async function handle(context: HostContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  res.on('close', () => {
    const ms = Math.round(performance.now() - started);
    context.options.log(`${req.method ?? '-'} ${printable(req.url ?? '')} ${res.statusCode} ${ms}ms`);
  });
  try {
    await route(context, req, res);
  } catch (error) {
    if (error instanceof HttpError) {
      if (error.status === 413) res.setHeader('Connection', 'close');
      sendError(res, error.status);
      return;
    }
    context.options.log(`cgi-shim serve: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    if (res.headersSent) res.destroy();
    else sendError(res, 500);
  }
}

async function route(context: HostContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const target = req.url ?? '';
  if (!target.startsWith('/')) throw new HttpError(400);
  if (!addressesUs(context, req)) {
    sendError(res, 421, MISDIRECTED);
    return;
  }
  const path = target.split('?', 1)[0]!;
  if (path === '/') {
    res.writeHead(302, { Location: context.options.indexPath, 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(`See ${context.options.indexPath}\n`);
    return;
  }
  const script = await locate(context, path);
  const body = await readRequestBody(req, context.options.maxBodyBytes);
  const request: HostRequest = {
    method: req.method ?? 'GET',
    target,
    httpVersion: req.httpVersion,
    headers: pairs(req.rawHeaders),
    remoteAddress: req.socket.remoteAddress ?? '',
    remotePort: req.socket.remotePort,
    tls: (req.socket as Partial<TLSSocket>).encrypted === true,
    bodyBytes: body?.length,
  };
  await exchange(context, res, { request, body, script, depth: 0 });
}

/** Finds the script for a path, or throws the HttpError refusing it. */
async function locate(context: HostContext, path: string): Promise<FoundScript> {
  const split = splitScriptPath(path);
  if ('status' in split) throw new HttpError(split.status, split.reason);
  const found = await findScript(context.root, split.segments);
  if ('status' in found) throw new HttpError(found.status, found.reason);
  return found;
}

/** Runs the script for one exchange and sends its response, following local redirects. */
async function exchange(context: HostContext, res: ServerResponse, run: Exchange): Promise<void> {
  const { options } = context;
  const env = buildCgiEnv(run.request, run.script, {
    software: SERVER_SOFTWARE,
    name: options.host,
    address: res.socket?.localAddress ?? options.host,
    port: res.socket?.localPort ?? 0,
    documentRoot: options.documentRoot,
  }, options.hostEnv);
  const name = basename(run.script.scriptFilename);
  const script = startScript(run.script.realFilename, {
    env,
    body: run.body,
    timeoutMs: options.timeoutSeconds * 1000,
    cwd: dirname(run.script.scriptFilename),
    onStderrLine: (line) => options.log(`[${name}] ${escapeControls(line)}`),
  });
  context.running.add(script);
  // A client that leaves early takes the script with it, as Apache does.
  res.on('close', () => {
    if (!res.writableFinished) {
      script.kill();
      script.stdout.destroy();
    }
  });
  try {
    await respond(context, res, run, script, name);
  } finally {
    context.running.delete(script);
  }
}

async function respond(context: HostContext, res: ServerResponse, run: Exchange, script: ScriptProcess, name: string): Promise<void> {
  const head = await readHeaderBlock(script.stdout);
  let block: CgiHeaderBlock | undefined;
  let problem = head === undefined ? 'no blank line ends a header block (of at most 64 KiB)' : undefined;
  if (head !== undefined) {
    try {
      block = parseHeaderBlock(head.block.toString('latin1'));
    } catch (error) {
      if (!(error instanceof CgiError)) throw error;
      problem = error.message;
    }
  }
  if (block === undefined || head === undefined) {
    script.kill();
    script.stdout.resume();
    const exit = await script.exited;
    if (res.destroyed) context.options.log(`[${name}] the client went away; script stopped`);
    else if (exit.timedOut) context.options.log(`[${name}] killed after ${context.options.timeoutSeconds} s without an answer`);
    else context.options.log(`[${name}] bad output (exit ${exit.code ?? exit.signal}): ${problem}`);
    sendError(res, exit.timedOut ? 504 : 502);
    return;
  }
  if (block.kind === 'local-redirect') {
    script.stdout.resume(); // a local redirect has no body (RFC 3875 §6.2.2); drain whatever came
    await script.exited;
    await localRedirect(context, res, run, block.location!);
    return;
  }
  res.statusCode = block.status;
  if (block.reason !== undefined) res.statusMessage = block.reason;
  for (const [field, value] of block.headers) res.appendHeader(field, value);
  // No body goes out for HEAD, 204 or 304 (node drops it), so there is no length to hold to.
  const bodyless = run.request.method === 'HEAD' || block.status === 204 || block.status === 304;
  await streamBody(res, script, head.rest, bodyless ? undefined : block.contentLength, (line) => context.options.log(`[${name}] ${line}`));
}

/** Serves a local redirect's target as a fresh GET with the same headers and no body. */
async function localRedirect(context: HostContext, res: ServerResponse, run: Exchange, location: string): Promise<void> {
  if (run.depth + 1 > MAX_LOCAL_REDIRECTS) {
    context.options.log(`cgi-shim serve: more than ${MAX_LOCAL_REDIRECTS} local redirects, last to ${printable(location)}`);
    sendError(res, 502);
    return;
  }
  const path = location.split('?', 1)[0]!;
  const target = path === '/' ? context.options.indexPath + location.slice(1) : location;
  const script = await locate(context, target.split('?', 1)[0]!);
  const headers = run.request.headers.filter(([field]) => !/^(content-(type|length)|transfer-encoding)$/i.test(field));
  const request: HostRequest = { ...run.request, method: 'GET', target, headers, bodyBytes: undefined };
  await exchange(context, res, { request, body: undefined, script, depth: run.depth + 1 });
}

function sendError(res: ServerResponse, status: number, message?: string): void {
  if (res.destroyed) return;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const page = renderErrorPage(status, message);
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(page) });
  res.end(page);
}

/** Whether the request's `Host` names this host (an HTTP/1.0 request may name none). */
function addressesUs(context: HostContext, req: IncomingMessage): boolean {
  const header = req.headers.host;
  if (header === undefined) return true;
  const name = hostName(header);
  if (name === undefined) return false;
  // The address the connection reached, as an IP literal, is no name a rebinding page controls.
  const local = req.socket.localAddress;
  return context.names.has(normalHostName(name)) || (local !== undefined && normalHostName(local) === normalHostName(name));
}

/** A host name or address as compared: lower case, no final dot, IPv6 in brackets, IPv4 unmapped. */
function normalHostName(name: string): string {
  const lower = name.toLowerCase().replace(/\.$/, '').replace(/^\[?::ffff:([0-9.]+)\]?$/, '$1');
  return lower.includes(':') && !lower.startsWith('[') ? `[${lower}]` : lower;
}

/** Flat `[name, value, name, value…]` (node's rawHeaders) as pairs. */
function pairs(raw: readonly string[]): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let at = 0; at + 1 < raw.length; at += 2) result.push([raw[at]!, raw[at + 1]!]);
  return result;
}

/** A request target made safe for a log line: no control characters or spaces. */
function printable(text: string): string {
  return text.replace(/[^\x21-\x7e]/g, (char) => encodeURIComponent(char));
}
