// Runs the built `cgi-shim` command (bin/cgi-shim.js → dist/lib/cli/main.js) as a user would.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './cgi.js';

/** What a `cgi-shim` run printed and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Runs `cgi-shim <args>` (in the repository root unless told `cwd`) and waits for it to end. */
export function runCli(args: string[], options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'cgi-shim.js'), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.end(options.stdin ?? '');
  });
}
