// The runtime's data folder, where session files and the signing key are kept (the "sessions
// folder"). Deployments set CGI_SESSION_DIR (the shipped server configs do); without it, a built
// script finds the project's top-level sessions/ from its own location.

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CgiError, errorCode } from './errors.js';

/**
 * The data folder, in this order:
 * 1. `CGI_SESSION_DIR` from the environment; it must be an absolute path (a relative one would
 *    depend on the web server's working directory, which is the script's folder).
 * 2. `<script's folder>/../../sessions` when that folder exists: a script built to
 *    `dist/cgi-bin/x.cgi` inside the project uses the project's top-level `sessions/`.
 *    Not the working directory, because servers run a script with cwd = its own folder.
 * 3. `./sessions` relative to the working directory: a script copied alone somewhere keeps its
 *    sessions beside itself (created 0700). Set CGI_SESSION_DIR rather than rely on this.
 * `scriptFile` is the running script (`process.argv[1]` in a CGI process).
 */
export function resolveDataDir(env: Readonly<Record<string, string | undefined>>, scriptFile: string | undefined): string {
  const configured = env.CGI_SESSION_DIR;
  if (configured !== undefined && configured !== '') {
    if (!isAbsolute(configured) || configured.includes('\0')) {
      throw new CgiError('ESESSIONDIR', `CGI_SESSION_DIR must be an absolute path, not ${JSON.stringify(configured)}`);
    }
    return configured;
  }
  if (scriptFile !== undefined && scriptFile !== '') {
    const projectSessions = join(dirname(resolve(scriptFile)), '..', '..', 'sessions');
    if (existsSync(projectSessions)) return projectSessions;
  }
  return resolve('sessions');
}

/**
 * Creates `dir` and any missing parents with `mode`, like `mkdirSync(dir, { recursive: true })`
 * but bounded: Node's recursive mkdir spins forever where a parent exists yet refuses children
 * with ENOENT (under /proc, for one), and a misconfigured CGI_SESSION_DIR must fail, not hang.
 */
export function makeDirs(dir: string, mode: number): void {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  for (const path of missing) {
    try {
      mkdirSync(path, { mode });
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
    }
  }
}
