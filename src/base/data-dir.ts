// The runtime's data folder, where session files and the signing key are kept (the "sessions
// folder"): which folder it is, and whether this process may trust it. Deployments set
// CGI_SESSION_DIR; without it, a script never keeps its data beside itself or in its working
// folder, which a web server may serve to the world.

import { chmodSync, existsSync, lstatSync, mkdirSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { CgiError, ConfigError, errorCode, errorMessage } from './errors.js';

/** The environment the folder is resolved from (a CGI process's own). */
type Env = Readonly<Record<string, string | undefined>>;

/**
 * Failures that pass by themselves (a full disk or quota, an exhausted file table, an I/O error
 * of a network file system): a 503 with Retry-After. Anything else at the folder only a change
 * of the deployment mends: a 500.
 */
const TRANSIENT_CODES = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EMFILE', 'ENFILE', 'ENOMEM', 'EAGAIN', 'EBUSY', 'ETIMEDOUT', 'ESTALE']);

/**
 * The data folder, in this order:
 * 1. `CGI_SESSION_DIR` from the environment; it must be an absolute path (a relative one would
 *    depend on the web server's working directory, which is the script's folder).
 * 2. From a shell (no `GATEWAY_INTERFACE`): the project's `sessions/`, found two folders above
 *    the script (`dist/cgi-bin/x.cgi` → `sessions/`) when it exists. The local host passes it
 *    to its scripts in the same way (see {@link withProjectDataDir}).
 * 3. Else the private folder of this user, {@link privateDataDir}. Under a web server never a
 *    folder found from the script's place: a script in a document root would find, or make, a
 *    folder the server serves.
 * `scriptFile` is the running script (`process.argv[1]` in a CGI process).
 */
export function resolveDataDir(env: Env, scriptFile: string | undefined): string {
  const configured = env.CGI_SESSION_DIR;
  if (configured !== undefined && configured !== '') {
    if (!isAbsolute(configured) || configured.includes('\0')) {
      throw new ConfigError('ESESSIONDIR', `CGI_SESSION_DIR must be an absolute path, not ${JSON.stringify(configured)}; ` +
        `fix: ${folderFix()}`);
    }
    return configured;
  }
  const fromShell = env.GATEWAY_INTERFACE === undefined || env.GATEWAY_INTERFACE === '';
  return (fromShell ? projectDataDir(scriptFile) : undefined) ?? privateDataDir(env);
}

/** The project's `sessions/` for a script built to `<project>/dist/cgi-bin/`: two folders above
 * `scriptFile`, when that folder exists. */
export function projectDataDir(scriptFile: string | undefined): string | undefined {
  if (scriptFile === undefined || scriptFile === '') return undefined;
  const dir = join(dirname(resolve(scriptFile)), '..', '..', 'sessions');
  return existsSync(dir) ? dir : undefined;
}

/**
 * The private folder of the user running this process: `node-cgi-shim-sessions-<uid>` in the
 * temporary folder (`TMPDIR`, else `/tmp`: the rule of the code cache's folder beside it, see
 * scripts/code-cache.js). Made with mode 0700 on first use and checked on every use. It lasts as
 * long as the temporary folder: a reboot, or a restart of a server with systemd's PrivateTmp,
 * starts it afresh.
 */
export function privateDataDir(env: Env = process.env): string {
  const uid = processUid();
  return join(env.TMPDIR || '/tmp', `node-cgi-shim-sessions${uid === undefined ? '' : `-${uid}`}`);
}

/**
 * `env` with `CGI_SESSION_DIR` set to the project's `sessions/` (see {@link projectDataDir}
 * of a script in `scriptsDir`) when it names none and that folder exists: what the local host
 * hands its scripts. They run under `GATEWAY_INTERFACE` as under any server, but for someone
 * working in the project, whose `npm start`, `cgi-shim gc` and shell runs share that folder.
 */
export function withProjectDataDir(env: Env, scriptsDir: string): Env {
  if (env.CGI_SESSION_DIR !== undefined && env.CGI_SESSION_DIR !== '') return env;
  const project = projectDataDir(join(scriptsDir, 'index.cgi'));
  return project === undefined ? env : { ...env, CGI_SESSION_DIR: project };
}

/**
 * Makes the folder (mode 0700) if it is missing and checks that this process may trust it: a
 * real folder (not a symbolic link) owned by this user. Group and others lose their access to a
 * folder of ours (chmod 0700); a folder of another user is refused, since they could read the
 * sessions in it or plant their own. When it makes the {@link privateDataDir}, it says so on
 * `log`: once per life of that folder, when sessions start afresh, rather than once per process,
 * which for CGI is once per request and would fill the error log.
 * Throws {@link ConfigError} `ESESSIONDIR` for what the deployment must fix, CgiError
 * `ESESSIONSTORE` for what passes (a full disk).
 */
export function prepareDataDir(dir: string, log: (line: string) => void): void {
  let made: boolean;
  try {
    made = makeDirs(dir, 0o700);
  } catch (error) {
    throw dataDirFailure(`the sessions folder ${dir} cannot be made`, error);
  }
  checkDataDir(dir);
  if (made && dir === privateDataDir()) {
    log(`cgi-shim: made the sessions folder ${dir} (mode 0700): no CGI_SESSION_DIR is set, and under a web server ` +
      'sessions are never kept beside the script; this folder is emptied with the temporary files (a reboot, a restart ' +
      'of a server with PrivateTmp), so set CGI_SESSION_DIR to keep sessions in a lasting one');
  }
}

/**
 * Checks an existing folder as {@link prepareDataDir} does, without making it. Resolves to false
 * when it does not exist (nothing in it to read).
 */
export function checkDataDir(dir: string): boolean {
  let info: Stats;
  try {
    info = lstatSync(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw dataDirFailure(`the sessions folder ${dir} cannot be examined`, error);
  }
  if (info.isSymbolicLink()) throw untrusted(dir, 'is a symbolic link', 'set CGI_SESSION_DIR to the folder it leads to');
  if (!info.isDirectory()) throw untrusted(dir, 'is not a folder');
  const uid = processUid();
  if (uid !== undefined && info.uid !== uid) {
    throw untrusted(dir, `is owned by uid ${info.uid}, not by uid ${uid} that runs this script, and that user could read or plant sessions`,
      `chown ${uid} ${dir} && chmod 0700 ${dir}, or ${folderFix()}`);
  }
  if ((info.mode & 0o077) !== 0) {
    try {
      chmodSync(dir, 0o700);
    } catch (error) {
      throw dataDirFailure(`the sessions folder ${dir} (mode ${octal(info.mode)}) cannot be closed to others`, error);
    }
  }
  return true;
}

/**
 * The error for a failed operation at the sessions folder: CgiError `ESESSIONSTORE` when it
 * passes by itself (a full disk: 503), else {@link ConfigError} `code` saying what to do.
 */
export function dataDirFailure(what: string, error: unknown, code = 'ESESSIONDIR'): CgiError {
  if (TRANSIENT_CODES.has(errorCode(error) ?? '')) {
    return new CgiError('ESESSIONSTORE', `${what}: ${errorMessage(error)}`, { cause: error });
  }
  const uid = processUid();
  const who = uid === undefined ? '' : ` (this script runs as uid ${uid})`;
  return new ConfigError(code, `${what}: ${errorMessage(error)}${who}; fix: ${folderFix()}`, { cause: error });
}

/**
 * Creates `dir` and any missing parents with `mode`, like `mkdirSync(dir, { recursive: true })`
 * but bounded: Node's recursive mkdir spins forever where a parent exists yet refuses children
 * with ENOENT (under /proc, for one), and a misconfigured CGI_SESSION_DIR must fail, not hang.
 * Returns whether it made `dir` itself.
 */
export function makeDirs(dir: string, mode: number): boolean {
  const missing: string[] = [];
  for (let at = resolve(dir); !existsSync(at); at = dirname(at)) {
    missing.unshift(at);
    if (dirname(at) === at) break;
  }
  let made = false;
  for (const path of missing) {
    try {
      mkdirSync(path, { mode });
      made = true;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') throw error;
      made = false;
    }
  }
  return made;
}

/** The user this process runs as, where the system has users. */
export function processUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}

/** A file mode's permission bits in octal, e.g. `0644`. */
export function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function untrusted(dir: string, found: string, fix = folderFix()): ConfigError {
  return new ConfigError('ESESSIONDIR', `the sessions folder ${dir} ${found}; fix: ${fix}`);
}

function folderFix(): string {
  const uid = processUid();
  const owner = uid === undefined ? 'this script\'s user' : `uid ${uid}`;
  return `set CGI_SESSION_DIR to an absolute path of a folder owned by ${owner}, mode 0700, outside every document root ` +
    '(README.md, Deploy)';
}
