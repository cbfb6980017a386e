// Runs a handler in-process through the real runner, with literal CGI variables, and parses the
// output as CGI. Faster than spawning a script; used where a test needs an injected clock.

import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type Handler } from '../../src/index.js';
import { parseCgiOutput, type CgiOutput } from './cgi.js';

export interface InProcessRun {
  response: CgiOutput;
  stderr: string;
}

/** Runs `handler` once, as the runner would for a request with these meta-variables. */
export async function runHandler(handler: Handler, env: Record<string, string> = {}, stdin = ''): Promise<InProcessRun> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  await run(handler, {
    env: { REQUEST_METHOD: 'GET', QUERY_STRING: '', SCRIPT_NAME: '/cgi-bin/test.cgi', ...env },
    stdin: Buffer.from(stdin),
    stdout: (chunk) => out.push(Buffer.from(chunk)),
    stderr: (chunk) => err.push(Buffer.from(chunk)),
  });
  return { response: parseCgiOutput(Buffer.concat(out)), stderr: Buffer.concat(err).toString() };
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

/** A fresh temporary folder for one test. */
export function tempDir(prefix = 'cgi-shim-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
