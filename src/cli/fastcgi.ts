// `cgi-shim fastcgi`: runs a built script as a FastCGI daemon (for Apache mod_proxy_fcgi, nginx,
// lighttpd with "host"/"socket"), its workers sharing one socket, until SIGTERM or SIGINT.

import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errorMessage } from '../base/errors.js';
import { FASTCGI_DEFAULTS } from '../adapters/fastcgi/serve.js';
import { bindSocket, parseListenSpec, WorkerPool, type SharedSocket } from '../host/fastcgi-daemon.js';
import { parseCommand, usageError, wholeNumber } from './args.js';

const USAGE = `usage: cgi-shim fastcgi <script> --listen HOST:PORT|PATH [options]

Runs a built script (dist/cgi-bin/<name>.cgi, unchanged) as a FastCGI daemon: binds the socket,
starts the script with it as its standard input, and starts a worker again when one exits.
SIGTERM or SIGINT: every worker finishes the requests it has begun, then all exit.

options:
  --listen HOST:PORT|PATH  a TCP address (IP:port, [IPv6]:port) or a Unix socket's path; not
                           needed under systemd socket activation (LISTEN_FDS=1)
  --workers N              processes sharing the socket, e.g. one per core (default: 1)
  --socket-mode MODE       permissions of a Unix socket, octal (default: 660: the web
                           server's user needs this daemon's group)
  -h, --help               show this help

The workers read their settings from the environment: CGI_SESSION_DIR, CGI_SECRET, CGI_DEBUG,
CGI_FCGI_MAX_REQUESTS (requests before a worker is replaced; default ${FASTCGI_DEFAULTS.maxRequests}, no limit),
CGI_FCGI_REQUEST_TIMEOUT (seconds; default ${FASTCGI_DEFAULTS.requestTimeoutSeconds}). NODE_OPTIONS gets
${FASTCGI_DEFAULTS.nodeOptions} (memory stays flat) unless it sets that option itself.
`;

const SPEC = {
  name: 'fastcgi',
  usage: USAGE,
  options: {
    listen: { type: 'string' },
    workers: { type: 'string', default: '1' },
    'socket-mode': { type: 'string', default: '660' },
  },
  positionals: [1, 1],
  missing: 'the script to run is missing',
} as const;

/** Variables a worker must not inherit: they would make it think it is a CGI run or that
 * systemd's socket is its own. */
const NOT_INHERITED = ['GATEWAY_INTERFACE', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'];

/** `current` NODE_OPTIONS with `added` after them, unless they set that option already (the
 * user's choice stands), left as written: a quoted value may hold spaces. */
export function withNodeOptions(current: string | undefined, added: string): string {
  // V8 reads `_` and `-` in an option's name alike.
  const nameOf = (word: string) => word.split('=', 1)[0]!.replaceAll('_', '-');
  const name = nameOf(added);
  const text = (current ?? '').trim();
  if (text.split(/\s+/).some((word) => nameOf(word) === name)) return current!;
  return text === '' ? added : `${current} ${added}`;
}

/** Runs `cgi-shim fastcgi`; resolves with the exit status once the workers have stopped. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const script = resolve(positionals[0]!);
  const workers = wholeNumber(values.workers);
  if (workers === undefined || workers < 1 || workers > 256) return usageError(SPEC.name, `--workers must be a whole number from 1 to 256, not "${values.workers}"`);
  const mode = /^[0-7]{3,4}$/.test(values['socket-mode']) ? parseInt(values['socket-mode'], 8) : undefined;
  if (mode === undefined) return usageError(SPEC.name, `--socket-mode must be octal permissions such as 660, not "${values['socket-mode']}"`);
  const fromSystemd = process.env.LISTEN_PID === String(process.pid) && process.env.LISTEN_FDS === '1';
  if (values.listen === undefined && !fromSystemd) return usageError(SPEC.name, '--listen is missing');
  try {
    await access(script, constants.X_OK);
  } catch (error) {
    process.stderr.write(`cgi-shim fastcgi: cannot run ${script}: ${errorMessage(error)}\n`);
    return 2;
  }

  let socket: SharedSocket;
  try {
    // systemd's socket (fd 3) is used as it is: it is listening already and this process never
    // accepts on it.
    socket = values.listen === undefined ? { fd: 3, close() {} } : await bindSocket(parseListenSpec(values.listen), mode);
  } catch (error) {
    if (error instanceof TypeError) return usageError(SPEC.name, error.message.replace('argument listen', '--listen'));
    process.stderr.write(`cgi-shim fastcgi: ${errorMessage(error)}\n`);
    return 1;
  }
  const env = { ...process.env };
  for (const name of NOT_INHERITED) delete env[name];
  env.NODE_OPTIONS = withNodeOptions(env.NODE_OPTIONS, FASTCGI_DEFAULTS.nodeOptions);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const pool = new WorkerPool({ script, fd: socket.fd, workers, env, log });
  log(`cgi-shim fastcgi: ${script} on ${values.listen ?? 'the socket systemd passed'}, ${workers} worker${workers === 1 ? '' : 's'}`);

  const signal = await new Promise<NodeJS.Signals>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  log(`cgi-shim fastcgi: ${signal}, stopping the workers once their requests are answered`);
  // A second signal: stop at once.
  const hurry = () => void pool.stop('SIGKILL');
  process.once('SIGINT', hurry);
  process.once('SIGTERM', hurry);
  await pool.stop('SIGTERM');
  socket.close();
  return 0;
}
