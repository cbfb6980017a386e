// `cgi-shim run`: runs one CGI script from the shell with the environment a web server would
// build for the request described by the flags, and prints what the script printed.

import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { withProjectDataDir } from '../base/data-dir.js';
import { errorMessage } from '../base/errors.js';
import { escapeControls, isToken, parseHeaderLine } from '../base/http.js';
import { buildCgiEnv, passedThroughEnv, SERVER_SOFTWARE } from '../host/environment.js';
import { findHeaderBlockEnd, parseHeaderBlock } from '../host/output.js';
import { startScript } from '../host/script-process.js';
import { HOST_DEFAULTS } from '../host/server.js';
import { BUILD_COMMAND, parseCommand, positiveNumber, usageError, type ParsedArgs } from './args.js';

const USAGE = `usage: cgi-shim run <script> [options]

Runs a CGI script as a web server would for the request the options describe, and prints its
raw output (header block, blank line, body). <script> is a file, or the name of a built script
in ${HOST_DEFAULTS.dir} (hello, hello.cgi).

options:
  --method M             request method (default: GET, or POST with --form/--body-file)
  --path /P              PATH_INFO, the path after the script name
  --query Q              QUERY_STRING, e.g. 'a=1&b=2'
  --cookie 'a=1; b=2'    the Cookie header
  --form name=value      a form field (repeatable); the body is urlencoded
  --body-file F          the request body, from a file ('-' for standard input)
  --content-type T       CONTENT_TYPE of the body
  --header 'Name: v'     an extra request header (repeatable)
  --timeout-seconds N    kill the script after N seconds (default: ${HOST_DEFAULTS.timeoutSeconds})
  --body-only            print only the body, after checking the header block
  -h, --help             show this help

Exit status: 0 when the script exited 0 and printed a valid CGI header block; 1 otherwise;
2 for bad options or a missing script.
`;

const FORM_TYPE = 'application/x-www-form-urlencoded';

const SPEC = {
  name: 'run',
  usage: USAGE,
  options: {
    method: { type: 'string' },
    path: { type: 'string', default: '' },
    query: { type: 'string', default: '' },
    cookie: { type: 'string' },
    form: { type: 'string', multiple: true },
    'body-file': { type: 'string' },
    'content-type': { type: 'string' },
    header: { type: 'string', multiple: true },
    'timeout-seconds': { type: 'string', default: String(HOST_DEFAULTS.timeoutSeconds) },
    'body-only': { type: 'boolean', default: false },
  },
  positionals: [1, 1],
  missing: 'expected one script: a file, or the name of a built script',
} as const;

/** A request described by the command line, ready to run. */
interface RunPlan {
  file: string;
  method: string;
  target: string;
  scriptName: string;
  pathInfo: string;
  headers: Array<[string, string]>;
  body: Buffer | undefined;
  timeoutMs: number;
  bodyOnly: boolean;
}

/** Runs `cgi-shim run`; resolves with the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SPEC, args);
  if (typeof parsed === 'number') return parsed;
  let plan: RunPlan;
  try {
    plan = await planRun(parsed.values, parsed.positionals[0]!);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageError(SPEC.name, error.message);
  }
  const env = buildCgiEnv(
    { method: plan.method, target: plan.target, httpVersion: '1.1', headers: plan.headers, remoteAddress: '127.0.0.1', bodyBytes: plan.body?.length },
    { scriptName: plan.scriptName, scriptFilename: plan.file, pathInfo: plan.pathInfo },
    { software: SERVER_SOFTWARE, name: 'localhost', address: '127.0.0.1', port: 80 },
    passedThroughEnv(withProjectDataDir(process.env, dirname(plan.file)), process.cwd()),
  );
  const script = startScript(plan.file, {
    env,
    body: plan.body,
    timeoutMs: plan.timeoutMs,
    onStderrLine: (line) => process.stderr.write(`${line}\n`),
  });
  const chunks: Buffer[] = [];
  script.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const exit = await script.exited;
  const output = Buffer.concat(chunks);
  const problem = checkOutput(output);
  if (plan.bodyOnly) {
    const end = findHeaderBlockEnd(output);
    if (problem === undefined && end !== undefined) await writeOut(output.subarray(end.bodyStart));
  } else {
    await writeOut(output);
  }
  if (exit.timedOut) process.stderr.write(`cgi-shim run: killed after ${plan.timeoutMs / 1000} s\n`);
  else if (exit.code !== 0) process.stderr.write(`cgi-shim run: the script exited with ${exit.code ?? exit.signal}\n`);
  if (problem !== undefined) process.stderr.write(`cgi-shim run: ${problem}\n`);
  return exit.code === 0 && problem === undefined ? 0 : 1;
}

/** The parsed options of `cgi-shim run`. */
type RunValues = ParsedArgs<typeof SPEC.options>['values'];

/** Turns the arguments into a request; throws UsageError. */
async function planRun(values: RunValues, script: string): Promise<RunPlan> {
  const file = await findScriptFile(script);
  const fields = values.form ?? [];
  if (fields.length > 0 && values['body-file'] !== undefined) throw new UsageError('--form and --body-file cannot be combined');
  const method = values.method ?? (fields.length > 0 || values['body-file'] !== undefined ? 'POST' : 'GET');
  if (!isToken(method)) throw new UsageError(`--method is not a method name: "${method}"`);
  if (values.path !== '' && !values.path.startsWith('/')) throw new UsageError(`--path must start with "/": "${values.path}"`);
  const timeoutSeconds = positiveNumber(values['timeout-seconds']);
  if (timeoutSeconds === undefined) throw new UsageError(`--timeout-seconds must be a positive number, not "${values['timeout-seconds']}"`);

  const headers: Array<[string, string]> = [['Host', 'localhost']];
  for (const line of values.header ?? []) {
    const field = parseHeaderLine(line);
    if (field === undefined) throw new UsageError(`--header must look like "Name: value": "${escapeControls(line)}"`);
    headers.push(field);
  }
  if (values.cookie !== undefined) headers.push(['Cookie', values.cookie]);
  let body: Buffer | undefined;
  let contentType = values['content-type'];
  if (fields.length > 0) {
    body = Buffer.from(formBody(fields));
    contentType ??= FORM_TYPE;
  } else if (values['body-file'] !== undefined) {
    body = await readBodyFile(values['body-file']);
  }
  if (contentType !== undefined) headers.push(['Content-Type', contentType]);

  const scriptName = `/cgi-bin/${encodeURIComponent(basename(file))}`;
  const encodedPath = values.path.split('/').map(encodeURIComponent).join('/');
  return {
    file,
    method,
    target: `${scriptName}${encodedPath}${values.query === '' ? '' : `?${values.query}`}`,
    scriptName,
    pathInfo: values.path,
    headers,
    body,
    timeoutMs: timeoutSeconds * 1000,
    bodyOnly: values['body-only'],
  };
}

/** The script file: a path as given, else a built script's name looked up in the built scripts. */
async function findScriptFile(name: string): Promise<string> {
  if (/\.[mc]?ts$/.test(name)) {
    throw new UsageError(`${name} is TypeScript source, not a CGI script: build it first: ${BUILD_COMMAND}; then \`npx cgi-shim run ${basename(name, extname(name))}\``);
  }
  const candidates = [name];
  if (!name.includes('/')) candidates.push(join(HOST_DEFAULTS.dir, name), join(HOST_DEFAULTS.dir, `${name}.cgi`));
  for (const candidate of candidates) {
    const info = await stat(candidate).catch(() => undefined);
    if (!info?.isFile()) continue;
    const executable = await access(candidate, constants.X_OK).then(() => true, () => false);
    if (!executable) throw new UsageError(`${candidate} is not executable (a CGI script needs chmod +x and a #! line)`);
    return resolve(candidate);
  }
  throw new UsageError(`no such script: ${name}${name.includes('/') ? '' : ` (nor ${HOST_DEFAULTS.dir}/${name}.cgi: build it first: ${BUILD_COMMAND})`}`);
}

function formBody(fields: readonly string[]): string {
  const form = new URLSearchParams();
  for (const field of fields) {
    const equals = field.indexOf('=');
    if (equals <= 0) throw new UsageError(`--form must look like "name=value": "${field}"`);
    form.append(field.slice(0, equals), field.slice(equals + 1));
  }
  return form.toString();
}

async function readBodyFile(file: string): Promise<Buffer> {
  try {
    return file === '-' ? await readStdin() : await readFile(file);
  } catch (error) {
    throw new UsageError(`cannot read --body-file ${file}: ${errorMessage(error)}`);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Why the output is not a valid CGI response, or undefined when it is. */
function checkOutput(output: Buffer): string | undefined {
  const end = findHeaderBlockEnd(output);
  if (end === undefined) return 'invalid CGI output: no blank line ends the header block';
  try {
    parseHeaderBlock(output.subarray(0, end.headEnd).toString('latin1'));
    return undefined;
  } catch (error) {
    return errorMessage(error);
  }
}

function writeOut(bytes: Buffer): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolveWrite()));
  });
}

/** A problem with the command line, reported with the usage hint and exit status 2. */
class UsageError extends Error {}
