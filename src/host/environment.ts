// The server's side of CGI/1.1 (RFC 3875 §4.1): turns one HTTP request into the meta-variables a
// script receives. Pure: it takes plain descriptions of the request, the script and the server,
// so every rule here is testable with literals. Shared by the local host and `cgi-shim run`.

import { isAbsolute, resolve } from 'node:path';
import { ownPackage } from '../base/own-package.js';

/** `SERVER_SOFTWARE` of the local host and of `cgi-shim run`, e.g. `node-cgi-shim/0.1.0`. */
export const SERVER_SOFTWARE = `node-cgi-shim/${ownPackage().version}`;

/** An HTTP request as the server received it, before any decoding. */
export interface HostRequest {
  /** The request method, e.g. `GET`. */
  method: string;
  /** The request target as received: path and query, still percent-encoded, e.g. `/cgi-bin/a.cgi/x?y=1`. */
  target: string;
  /** The HTTP version, e.g. `1.1`. */
  httpVersion: string;
  /** Header fields in arrival order as `[name, value]` pairs; repeated names allowed. */
  headers: ReadonlyArray<readonly [string, string]>;
  /** The client's address. An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) is reported as IPv4. */
  remoteAddress: string;
  /** The client's port, when there is a connection. */
  remotePort?: number;
  /** Whether the request came over TLS; sets `HTTPS=on`. @default false */
  tls?: boolean;
  /** The length of the body the script will read, in bytes; undefined when there is no body. */
  bodyBytes?: number;
}

/** Which script answers the request, found by the server from the request path. */
export interface HostScript {
  /** The script's URL path, decoded, e.g. `/cgi-bin/hello.cgi`. */
  scriptName: string;
  /** The script's absolute file name. */
  scriptFilename: string;
  /** The decoded URL path after the script name, e.g. `/a/b`; empty when none. */
  pathInfo: string;
}

/** The server itself, as the script is told about it. */
export interface HostServer {
  /** `SERVER_SOFTWARE`, e.g. `node-cgi-shim/0.1.0`. */
  software: string;
  /** The server's name when the request's `Host` header gives none (or a malformed one). */
  name: string;
  /** The local address the request arrived on (`SERVER_ADDR`). */
  address: string;
  /** The local port the request arrived on (`SERVER_PORT`). */
  port: number;
  /** The document root against which `PATH_INFO` is translated into `PATH_TRANSLATED`; when
   * absent, `PATH_TRANSLATED` is not set (there are no documents to translate to). */
  documentRoot?: string;
}

/** Variables of the host's own environment handed to every script: `PATH` (to find interpreters),
 * and the runtime's own settings, so that the demos find their sessions folder and secret. */
export const PASSED_THROUGH = ['PATH', 'CGI_SESSION_DIR', 'CGI_DEBUG', 'CGI_SECRET'] as const;

/**
 * The variables of {@link PASSED_THROUGH} from the host's environment, with a relative
 * `CGI_SESSION_DIR` made absolute against `cwd`: scripts run in their own folder, where a
 * relative path would name a different place.
 * @example passedThroughEnv({ CGI_SESSION_DIR: 'sessions', HOME: '/root' }, '/srv/app') // → { CGI_SESSION_DIR: '/srv/app/sessions' }
 */
export function passedThroughEnv(hostEnv: Readonly<Record<string, string | undefined>>, cwd: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const name of PASSED_THROUGH) {
    const value = hostEnv[name];
    if (value !== undefined) result[name] = value;
  }
  const sessions = result.CGI_SESSION_DIR;
  if (sessions !== undefined && sessions !== '' && !isAbsolute(sessions)) result.CGI_SESSION_DIR = resolve(cwd, sessions);
  return result;
}

/** Used when the host's environment has no `PATH`. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

/** Header names that may become `HTTP_*` variables. Like Apache 2.4, a name with any other
 * character (notably `_`) is dropped: `X_User` and `X-User` would both become `HTTP_X_USER`,
 * letting a client forge a variable a proxy thought it had set. */
const CONVERTIBLE_NAME = /^[A-Za-z0-9-]+$/;

/** Headers that never become `HTTP_*`: `Proxy` (httpoxy: `HTTP_PROXY` is read by HTTP clients as
 * their outgoing proxy, https://httpoxy.org/); `Content-Type`/`Content-Length`, which have their own
 * variables (RFC 3875 §4.1.18); `Transfer-Encoding`, because the server has already decoded the
 * body and says its length in `CONTENT_LENGTH`. */
const NOT_CONVERTED = new Set(['proxy', 'content-type', 'content-length', 'transfer-encoding']);

/** A host name, an IPv4 address or a bracketed IPv6 address, with an optional port. */
const HOST_HEADER = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?$/;

/**
 * Builds the complete environment of a CGI script for one request: the RFC 3875 meta-variables,
 * one `HTTP_*` variable per request header (repeated headers merged), and the few variables of
 * the host's own environment listed in {@link PASSED_THROUGH}. Nothing else is inherited.
 * @example
 * buildCgiEnv(
 *   { method: 'GET', target: '/cgi-bin/a.cgi/x?q=1', httpVersion: '1.1', headers: [['Host', 'localhost:8080']], remoteAddress: '127.0.0.1' },
 *   { scriptName: '/cgi-bin/a.cgi', scriptFilename: '/srv/cgi-bin/a.cgi', pathInfo: '/x' },
 *   { software: 'node-cgi-shim', name: '127.0.0.1', address: '127.0.0.1', port: 8080 },
 *   { PATH: '/usr/bin' },
 * ) // → { GATEWAY_INTERFACE: 'CGI/1.1', SERVER_NAME: 'localhost', QUERY_STRING: 'q=1', PATH_INFO: '/x', … }
 */
export function buildCgiEnv(
  request: HostRequest,
  script: HostScript,
  server: HostServer,
  hostEnv: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const env: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const name of PASSED_THROUGH) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= DEFAULT_PATH;

  const queryAt = request.target.indexOf('?');
  const headers = mergeHeaders(request.headers);
  env.GATEWAY_INTERFACE = 'CGI/1.1';
  env.SERVER_SOFTWARE = server.software;
  env.SERVER_NAME = serverName(headers.get('host'), server.name);
  env.SERVER_PORT = String(server.port);
  env.SERVER_ADDR = unmapIPv4(server.address);
  env.SERVER_PROTOCOL = `HTTP/${request.httpVersion}`;
  env.REQUEST_METHOD = request.method;
  env.REQUEST_URI = request.target;
  // RFC 3875 §4.1.7: always set, empty when the URL has no query.
  env.QUERY_STRING = queryAt === -1 ? '' : request.target.slice(queryAt + 1);
  env.SCRIPT_NAME = script.scriptName;
  env.SCRIPT_FILENAME = script.scriptFilename;
  if (script.pathInfo !== '') {
    env.PATH_INFO = script.pathInfo;
    if (server.documentRoot !== undefined) env.PATH_TRANSLATED = joinPath(server.documentRoot, script.pathInfo);
  }
  env.REMOTE_ADDR = unmapIPv4(request.remoteAddress);
  if (request.remotePort !== undefined) env.REMOTE_PORT = String(request.remotePort);
  if (request.tls === true) env.HTTPS = 'on';
  const contentType = headers.get('content-type');
  if (contentType !== undefined) env.CONTENT_TYPE = contentType;
  // RFC 3875 §4.1.2: set exactly when there is a body; its absence means "no body".
  if (request.bodyBytes !== undefined) env.CONTENT_LENGTH = String(request.bodyBytes);

  for (const [lowerName, value] of headers) {
    if (NOT_CONVERTED.has(lowerName) || !CONVERTIBLE_NAME.test(lowerName)) continue;
    env[`HTTP_${lowerName.toUpperCase().replaceAll('-', '_')}`] = value;
  }
  return env;
}

/**
 * Merges repeated header fields, keyed by lower-case name: values joined by `, ` (RFC 9110 §5.3),
 * except `Cookie`, whose pairs are joined by `; ` (RFC 6265 §5.4).
 */
export function mergeHeaders(headers: ReadonlyArray<readonly [string, string]>): Map<string, string> {
  const merged = new Map<string, string>();
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const previous = merged.get(key);
    merged.set(key, previous === undefined ? value : previous + (key === 'cookie' ? '; ' : ', ') + value);
  }
  return merged;
}

/** `SERVER_NAME`: the name the client asked for (as Apache with `UseCanonicalName Off`), if it is
 * well formed, else the configured name. */
function serverName(host: string | undefined, fallback: string): string {
  return hostName(host) ?? fallback;
}

/**
 * The name in a `Host` header, lower-cased, without its port (an IPv6 address keeps its
 * brackets); undefined when the header is missing or malformed.
 * @example hostName('LocalHost:8080') // 'localhost'
 */
export function hostName(host: string | undefined): string | undefined {
  const match = host === undefined ? null : HOST_HEADER.exec(host);
  return match ? match[1]!.toLowerCase() : undefined;
}

function unmapIPv4(address: string): string {
  return /^::ffff:[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/i.test(address) ? address.slice(7) : address;
}

function joinPath(root: string, pathInfo: string): string {
  return root.replace(/\/+$/, '') + pathInfo;
}
