// `cgi-shim serve`: hosts a folder of CGI scripts locally at http://127.0.0.1:PORT/cgi-bin/…,
// each request run as a real CGI process. Stops cleanly on SIGINT (Ctrl-C) or SIGTERM.

import { readdir } from 'node:fs/promises';
import { errorCode, errorMessage } from '../base/errors.js';
import { HOST_DEFAULTS, startHost } from '../host/server.js';
import { BUILD_COMMAND, parseCommand, positiveNumber, usageError, wholeNumber } from './args.js';

const USAGE = `usage: cgi-shim serve [options]

Serves the CGI scripts of a folder at http://HOST:PORT/cgi-bin/<name>[/path/info][?query],
running each request as a real CGI process; / redirects to ${HOST_DEFAULTS.indexPath}.

options:
  --port N              TCP port, 0 for any free one (default: $PORT, else ${HOST_DEFAULTS.port})
  --host ADDRESS        address to listen on (default: ${HOST_DEFAULTS.host}, this machine only)
  --allowed-host NAME   also answer requests addressed to NAME (repeatable); others than
                        localhost, 127.0.0.1, [::1] and --host get 421 (DNS rebinding)
  --dir FOLDER          the scripts folder (default: ${HOST_DEFAULTS.dir})
  --timeout-seconds N   kill a script running longer, answer 504 (default: ${HOST_DEFAULTS.timeoutSeconds})
  --max-body-bytes N    largest request body, else 413 (default: ${HOST_DEFAULTS.maxBodyBytes})
  --document-root DIR   translate PATH_INFO against DIR into PATH_TRANSLATED (default: unset)
  -h, --help            show this help
`;

/** How often the host looks whether npm, which started it, is still there. */
const PARENT_CHECK_MS = 500;

const SPEC = {
  name: 'serve',
  usage: USAGE,
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: HOST_DEFAULTS.host },
    dir: { type: 'string', default: HOST_DEFAULTS.dir },
    'timeout-seconds': { type: 'string', default: String(HOST_DEFAULTS.timeoutSeconds) },
    'max-body-bytes': { type: 'string', default: String(HOST_DEFAULTS.maxBodyBytes) },
    'document-root': { type: 'string' },
    'allowed-host': { type: 'string', multiple: true },
  },
} as const;

/** Runs `cgi-shim serve`; resolves with the exit status once the host has stopped. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const portText = values.port ?? process.env.PORT ?? String(HOST_DEFAULTS.port);
  const port = wholeNumber(portText);
  if (port === undefined || port > 65535) return usageError(SPEC.name, `--port must be a whole number from 0 to 65535, not "${portText}"`);
  const timeoutSeconds = positiveNumber(values['timeout-seconds']);
  if (timeoutSeconds === undefined) return usageError(SPEC.name, `--timeout-seconds must be a positive number, not "${values['timeout-seconds']}"`);
  const maxBodyBytes = wholeNumber(values['max-body-bytes']);
  if (maxBodyBytes === undefined) return usageError(SPEC.name, `--max-body-bytes must be a whole number, not "${values['max-body-bytes']}"`);

  let host;
  try {
    host = await startHost({
      port, host: values.host, dir: values.dir, timeoutSeconds, maxBodyBytes, documentRoot: values['document-root'],
      allowedHosts: values['allowed-host'],
    });
  } catch (error) {
    if (errorCode(error) === 'EHOSTDIR') {
      process.stderr.write(`${errorMessage(error)}${values.dir === HOST_DEFAULTS.dir ? `: build your scripts first: ${BUILD_COMMAND}` : ''}\n`);
      return 1;
    }
    if (errorCode(error) !== 'EADDRINUSE') throw error;
    process.stderr.write(`cgi-shim serve: port ${port} on ${values.host} is in use; choose another with --port or PORT\n`);
    return 1;
  }
  const sources = (await readdir(values.dir)).filter((name) => /\.m?ts$/.test(name));
  if (sources.length > 0) {
    process.stderr.write(`cgi-shim serve: warning: ${values.dir} holds TypeScript (${sources.length} .ts files), which cannot run as CGI ` +
      `scripts: build them first: ${BUILD_COMMAND}, and serve dist/cgi-bin\n`);
  }
  // Exactly this line on stdout, so that a test or a script can read the URL (with port 0 too).
  process.stdout.write(`serving ${host.url}\n`);
  process.stderr.write(`cgi-shim serve: scripts from ${values.dir}, / goes to ${HOST_DEFAULTS.indexPath}; Ctrl-C stops\n`);
  if (!/^(127\.|::1$|localhost$)/.test(values.host)) {
    process.stderr.write(`cgi-shim serve: warning: listening on ${values.host}, not only on this machine\n`);
  }
  const reason = await new Promise<string>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (process.env.npm_command !== undefined) watchParent(() => resolve('npm ended'));
  });
  process.stderr.write(`cgi-shim serve: ${reason}, stopping\n`);
  await host.close();
  return 0;
}

/**
 * Calls `gone` when the parent process ends. Under npm (`npm start`, `npx cgi-shim serve`) the
 * parent is a shell that npm made: npm passes a signal on to that shell, which dies of it, and
 * the host would be left running under PID 1, holding its port. Run any other way (say, with
 * nohup), outliving the parent is left to the user.
 */
function watchParent(gone: () => void): void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    gone();
  }, PARENT_CHECK_MS);
  timer.unref();
}
