// `cgi-shim serve`: hosts a folder of CGI scripts locally at http://127.0.0.1:PORT/cgi-bin/…,
// each request run as a real CGI process. Stops cleanly on SIGINT (Ctrl-C) or SIGTERM.

import { parseArgs } from 'node:util';
import { startHost } from '../host/server.js';

const USAGE = `usage: cgi-shim serve [options]

Serves the CGI scripts of a folder at http://HOST:PORT/cgi-bin/<name>[/path/info][?query],
running each request as a real CGI process; / redirects to /cgi-bin/index.cgi.

options:
  --port N              TCP port, 0 for any free one (default: $PORT, else 8080)
  --host ADDRESS        address to listen on (default: 127.0.0.1, this machine only)
  --dir FOLDER          the scripts folder (default: dist/cgi-bin)
  --timeout-seconds N   kill a script running longer, answer 504 (default: 30)
  --max-body-bytes N    largest request body, else 413 (default: 10485760)
  --document-root DIR   translate PATH_INFO against DIR into PATH_TRANSLATED (default: unset)
  -h, --help            show this help
`;

/** Runs `cgi-shim serve`; resolves with the exit status once the host has stopped. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        dir: { type: 'string', default: 'dist/cgi-bin' },
        'timeout-seconds': { type: 'string', default: '30' },
        'max-body-bytes': { type: 'string', default: String(10 * 1024 * 1024) },
        'document-root': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const portText = values.port ?? process.env.PORT ?? '8080';
  const port = wholeNumber(portText);
  if (port === undefined || port > 65535) return fail(`--port must be a whole number from 0 to 65535, not "${portText}"`);
  const timeoutSeconds = Number(values['timeout-seconds']);
  if (!(timeoutSeconds > 0) || !Number.isFinite(timeoutSeconds)) return fail(`--timeout-seconds must be a positive number, not "${values['timeout-seconds']}"`);
  const maxBodyBytes = wholeNumber(values['max-body-bytes']);
  if (maxBodyBytes === undefined) return fail(`--max-body-bytes must be a whole number, not "${values['max-body-bytes']}"`);

  let host;
  try {
    host = await startHost({
      port, host: values.host, dir: values.dir, timeoutSeconds, maxBodyBytes, documentRoot: values['document-root'],
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    process.stderr.write(`cgi-shim serve: port ${port} on ${values.host} is in use; choose another with --port or PORT\n`);
    return 1;
  }
  // Exactly this line on stdout, so that a test or a script can read the URL (with port 0 too).
  process.stdout.write(`serving ${host.url}\n`);
  process.stderr.write(`cgi-shim serve: scripts from ${values.dir}, / goes to /cgi-bin/index.cgi; Ctrl-C stops\n`);
  if (!/^(127\.|::1$|localhost$)/.test(values.host)) {
    process.stderr.write(`cgi-shim serve: warning: listening on ${values.host}, not only on this machine\n`);
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write(`cgi-shim serve: ${signal}, stopping\n`);
  await host.close();
  return 0;
}

function wholeNumber(text: string): number | undefined {
  return /^[0-9]{1,15}$/.test(text) ? Number(text) : undefined;
}

function fail(message: string): number {
  process.stderr.write(`cgi-shim serve: ${message}\n\n${USAGE}`);
  return 2;
}
