// Runs built CGI scripts as a web server would (a child process with a CGI environment and the
// body on stdin) and parses their output strictly as CGI: header block, blank line, body.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const DIST_CGI_BIN = join(ROOT, 'dist', 'cgi-bin');

/** A parsed CGI response. */
export interface CgiOutput {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
  /** The first value of a header (case-insensitive), or undefined. */
  header(name: string): string | undefined;
  /** Every value of a header (case-insensitive). */
  headerAll(name: string): string[];
  text: string;
}

const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[ \t]*(.*)$/;

/** Parses CGI output; throws when the header block is missing or malformed. */
export function parseCgiOutput(output: Buffer): CgiOutput {
  const lf = output.indexOf('\n\n');
  const crlf = output.indexOf('\r\n\r\n');
  const useCrlf = crlf !== -1 && (lf === -1 || crlf < lf);
  const end = useCrlf ? crlf : lf;
  if (end === -1) throw new Error(`no blank line ends the header block in: ${JSON.stringify(output.subarray(0, 200).toString())}`);
  const head = output.subarray(0, end).toString('latin1');
  const body = output.subarray(end + (useCrlf ? 4 : 2));
  const headers: Array<[string, string]> = [];
  for (const line of head.split(/\r?\n/)) {
    const match = HEADER_LINE.exec(line);
    if (!match) throw new Error(`malformed CGI header line: ${JSON.stringify(line)}`);
    headers.push([match[1]!, match[2]!]);
  }
  const all = (name: string) => headers.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  const statusHeader = all('status')[0];
  const status = statusHeader === undefined ? (all('location').length ? 302 : 200) : Number(statusHeader.slice(0, 3));
  if (!Number.isInteger(status)) throw new Error(`malformed Status header: ${statusHeader}`);
  return { status, headers, body, header: (name) => all(name)[0], headerAll: all, text: body.toString('utf8') };
}

/** What running a script produced. */
export interface ScriptRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
  /** The parsed response; throws (on access) if the output is not valid CGI. */
  response: CgiOutput;
}

export interface ScriptRunOptions {
  /** CGI meta-variables; a minimal server-like set is added underneath. */
  env?: Record<string, string>;
  /** The request body, written to stdin. */
  stdin?: string | Buffer;
  /** Kill the script after this long. @default 20000 */
  timeoutMs?: number;
  /** The script's working directory. @default this process's */
  cwd?: string;
  /** Run the script as this user (the test must be root), as a web server runs it as its own. */
  user?: { uid: number; gid: number };
}

/** Runs `dist/cgi-bin/<name>.cgi` (or an absolute path) with a CGI environment. */
export function runScript(name: string, options: ScriptRunOptions = {}): Promise<ScriptRun> {
  const file = name.startsWith('/') ? name : join(DIST_CGI_BIN, `${name}.cgi`);
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: '80',
    REMOTE_ADDR: '127.0.0.1',
    REQUEST_METHOD: 'GET',
    QUERY_STRING: '',
    SCRIPT_NAME: `/cgi-bin/${name}.cgi`,
    ...options.env,
  };
  return new Promise((resolve, reject) => {
    const child = spawn(file, [], { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], uid: options.user?.uid, gid: options.user?.gid });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 20000);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => { /* the script may exit without reading its input */ });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      let parsed: CgiOutput | undefined;
      resolve({
        code, signal, stdout, stderr: Buffer.concat(err).toString(),
        get response() {
          parsed ??= parseCgiOutput(stdout);
          return parsed;
        },
      });
    });
    child.stdin.end(options.stdin ?? '');
  });
}

/** The value a `Set-Cookie` header gives cookie `name`, or undefined if none sets it. */
export function cookieValue(response: CgiOutput, name: string): string | undefined {
  for (const header of response.headerAll('set-cookie')) {
    const [pair] = header.split(';', 1);
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq) === name) return pair!.slice(eq + 1);
  }
  return undefined;
}
