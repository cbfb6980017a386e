// Every built script against every case of the hostile-input corpus (test/fixtures/hostile/),
// run as CGI and as FastCGI: a well-formed CGI response every time, a 4xx where the input is at
// fault, no crash, no hang, no internals in the page, no injected header, no unescaped input, no
// file outside the sessions folder.
import test from 'ava';
import { mkdir, mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DIST_CGI_BIN, runScript, type CgiOutput } from './helpers/cgi.js';
import { startDaemon } from './helpers/fastcgi-daemon.js';
import { fastCgiRequest } from './helpers/fastcgi-client.js';
import { HOSTILE_CASES, MARKER, type HostileCase } from './fixtures/hostile/cases.js';

const scripts = (await readdir(DIST_CGI_BIN)).filter((name) => name.endsWith('.cgi')).sort();
/** Scripts that fail on purpose: a 500 is their right answer, but never with internals. */
const FAILING_ON_PURPOSE = new Set(['error.cgi']);
const INTERNALS = /\bat [\w.<>]+ \(|node_modules|\/work\/|\.ts:\d+|\bError: /;
const CONCURRENCY = 4;

for (const script of scripts) {
  test(`${script} answers every hostile input safely`, async (t) => {
    const { root, cwd, sessions } = await folders();
    const problems = await everyCase((c) => checkCgi(script, c, cwd, sessions));
    problems.push(...await strayFiles(root, sessions));
    t.deepEqual(problems, [], `${problems.length} problems`);
    t.log(`${HOSTILE_CASES.length} cases`);
  });

  test(`${script} under FastCGI answers every hostile input safely`, async (t) => {
    const { root, cwd, sessions } = await folders();
    // One process for every case: what one request leaves behind, the next would meet.
    const daemon = await startDaemon(join(DIST_CGI_BIN, script), { cwd, env: { CGI_SESSION_DIR: sessions, CGI_FCGI_REQUEST_TIMEOUT: '15' } });
    t.teardown(() => daemon.stop());
    const problems = await everyCase((c) => checkFastCgi(daemon.path, script, c));
    problems.push(...await strayFiles(root, sessions));
    t.deepEqual(problems, [], `${problems.length} problems`);
    t.log(`${HOSTILE_CASES.length} cases`);
  });
}

async function folders(): Promise<{ root: string; cwd: string; sessions: string }> {
  const root = await mkdtemp(join(tmpdir(), 'cgi-shim-hostile-'));
  const cwd = join(root, 'cwd');
  await mkdir(cwd);
  return { root, cwd, sessions: join(root, 'sessions') };
}

/** Runs `check` for every case, CONCURRENCY at a time; the problems found. */
async function everyCase(check: (hostile: HostileCase) => Promise<string[]>): Promise<string[]> {
  const problems: string[] = [];
  const queue = [...HOSTILE_CASES];
  const worker = async () => {
    for (let c = queue.shift(); c !== undefined; c = queue.shift()) problems.push(...await check(c));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return problems;
}

async function checkCgi(script: string, hostile: HostileCase, cwd: string, sessions: string): Promise<string[]> {
  const run = await runScript(join(DIST_CGI_BIN, script), {
    env: { SCRIPT_NAME: `/cgi-bin/${script}`, CGI_SESSION_DIR: sessions, ...hostile.env },
    stdin: hostile.stdin, cwd, timeoutMs: 15000,
  });
  if (run.signal) return [`${hostile.name}: killed by ${run.signal} (hang?)`];
  let response;
  try {
    response = run.response;
  } catch (error) {
    return [`${hostile.name}: invalid CGI output: ${(error as Error).message}`];
  }
  return judge(script, hostile, response, run.stderr);
}

async function checkFastCgi(socket: string, script: string, hostile: HostileCase): Promise<string[]> {
  const params = { GATEWAY_INTERFACE: 'CGI/1.1', SERVER_PROTOCOL: 'HTTP/1.1', REMOTE_ADDR: '127.0.0.1', REQUEST_METHOD: 'GET', QUERY_STRING: '', SCRIPT_NAME: `/cgi-bin/${script}`, ...hostile.env };
  const stdin = typeof hostile.stdin === 'string' ? Buffer.from(hostile.stdin) : hostile.stdin;
  try {
    const reply = await fastCgiRequest(socket, params, stdin);
    return judge(script, hostile, reply.cgi, reply.stderr);
  } catch (error) {
    return [`${hostile.name}: no valid FastCGI answer: ${(error as Error).message}`];
  }
}

function judge(script: string, hostile: HostileCase, response: CgiOutput, stderr: string): string[] {
  const where = `${hostile.name}:`;
  const problems: string[] = [];
  const allowed500 = FAILING_ON_PURPOSE.has(script);
  if (response.status >= 500 && !allowed500) problems.push(`${where} status ${response.status}; stderr: ${stderr.slice(0, 300)}`);
  const failedOnPurpose = allowed500 && response.status === 500;
  if (hostile.inputAtFault && !failedOnPurpose && (response.status < 400 || response.status > 499)) problems.push(`${where} status ${response.status}, expected 4xx`);
  if (INTERNALS.test(response.text)) problems.push(`${where} internals in the page: ${INTERNALS.exec(response.text)?.[0]}`);
  if (response.text.includes(MARKER) || response.text.includes('<x-evil')) problems.push(`${where} unescaped input in the page`);
  for (const [name, value] of response.headers) {
    if (/injected/i.test(name) || value.includes('<x-evil')) problems.push(`${where} injected header ${name}: ${value}`);
  }
  for (const cookie of response.headerAll('set-cookie')) {
    if (/^evil=/i.test(cookie)) problems.push(`${where} injected cookie ${cookie}`);
  }
  return problems;
}

/** Files the scripts made anywhere but the sessions folder; session files that do not parse. */
async function strayFiles(root: string, sessions: string): Promise<string[]> {
  const problems: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    const rel = relative(root, path);
    if (rel === 'cwd' || rel === 'sessions') continue;
    if (!path.startsWith(`${sessions}/`)) {
      problems.push(`file outside the sessions folder: ${rel}`);
    } else if (entry.isFile() && entry.name.endsWith('.json')) {
      try {
        JSON.parse(await readFile(path, 'utf8'));
      } catch {
        problems.push(`session file does not parse: ${rel}`);
      }
    }
  }
  return problems;
}
