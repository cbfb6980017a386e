// The FastCGI daemons of the mod_proxy_fcgi setup: one `cgi-shim fastcgi` per served script, on
// <sockets>/<name>.sock, started as an administrator would (as the server's user, with the
// built command-line tool) before Apache, and stopped after it.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './cgi.js';
import type { Layout } from './server-config.js';
import { tempDir } from './temp-dir.js';

/** Running daemons. */
export interface Daemons {
  /** Where their stderr goes (the supervisors' and the workers'). */
  log: string;
  /** SIGTERM to each (SIGKILL to its process group after 10 s); resolves once all have exited. */
  stop(): Promise<void>;
}

let cliBundle: Promise<string> | undefined;

/** The command-line tool as one file (dist/lib needs node_modules beside it), made once. */
function bundledCli(): Promise<string> {
  return cliBundle ??= (async () => {
    const dir = await tempDir('cgi-shim-cli-');
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, 'cli.mjs');
    await build({
      entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
      logLevel: 'warning',
      // Its CommonJS dependencies require Node's modules, which an ES module bundle must provide.
      banner: { js: "import { createRequire as cgiShimRequire } from 'node:module'; const require = cgiShimRequire(import.meta.url);" },
    });
    return outfile;
  })();
}

/** Starts a daemon for every script of the layout and waits until each socket accepts. */
export async function startDaemons(layout: Layout, timeoutMs: number): Promise<Daemons> {
  // A copy the server's user can read (the checkout may be in a folder closed to it).
  const cli = join(layout.root, 'cli.mjs');
  await copyFile(await bundledCli(), cli);
  const log = join(layout.logsDir, 'daemons.log');
  const logFd = openSync(log, 'a');
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopDaemon));
  };
  try {
    for (const name of layout.scripts) {
      children.push(spawn(process.execPath, [cli, 'fastcgi', join(layout.scriptsDir, name), '--listen', join(layout.socketsDir, `${name}.sock`)], {
        cwd: layout.scriptsDir,
        env: { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C', CGI_SESSION_DIR: layout.sessionsDir },
        stdio: ['ignore', 'ignore', logFd],
        // Its own process group, so its workers can be killed with it.
        detached: true,
        ...(layout.user ? { uid: layout.user.uid, gid: layout.user.gid } : {}),
      }));
      running.add(children[children.length - 1]!);
    }
    const deadline = Date.now() + timeoutMs;
    for (const name of layout.scripts) {
      const socket = join(layout.socketsDir, `${name}.sock`);
      while (!(await canConnect(socket))) {
        if (Date.now() > deadline || children.some((child) => child.exitCode !== null)) throw new Error(`the FastCGI daemon of ${name} did not start; see ${log}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    closeSync(logFd);
  }
  return { log, stop };
}

/** Daemons started by this process, killed on exit if a test could not stop them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  }
});

async function stopDaemon(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
