// Prepares the folder of a private test server: the scripts to serve (copied, plus test-only
// ones built with esbuild), the sessions folder and the logs, owned so that the server's
// unprivileged user can do its work.

import { spawnSync } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleScripts } from '../../src/build/bundle.js';
import { DIST_CGI_BIN } from './cgi.js';
import type { Layout } from './server-config.js';
import { lookUpUser } from './users.js';

/** What to put in the folder. */
export interface LayoutOptions {
  /** See ServerOptions.scriptsDir. */
  scriptsDir?: string;
  /** See ServerOptions.extraScripts. */
  extraScripts?: readonly string[];
}

/** Makes a fresh temporary folder for one server; removes it again if anything fails. */
export async function prepareLayout(kind: string, options: LayoutOptions): Promise<Layout> {
  // As root, the server runs its workers and scripts as www-data (Apache refuses to run as root).
  const user = process.getuid?.() === 0 ? lookUpUser('www-data') : undefined;
  const root = await mkdtemp(join(tmpdir(), `cgi-shim-${kind}-`));
  const layout: Layout = {
    root,
    scriptsDir: join(root, 'cgi-bin'),
    sessionsDir: join(root, 'sessions'),
    docRoot: join(root, 'htdocs'),
    logsDir: join(root, 'logs'),
    runDir: join(root, 'run'),
    port: 0,
    user,
  };
  try {
    if (/["\\\s$]/.test(root)) throw new TypeError(`temporary folder is unusable in a server configuration: ${root}`);
    for (const dir of [layout.scriptsDir, layout.sessionsDir, layout.docRoot, layout.logsDir, layout.runDir]) await mkdir(dir);
    await copyScripts(options.scriptsDir ?? DIST_CGI_BIN, layout.scriptsDir);
    for (const entry of options.extraScripts ?? []) await buildScript(entry, layout.scriptsDir);
    // The server's user must reach the scripts (mkdtemp makes the folder 0700) and own the sessions
    // folder. lighttpd opens its logs after dropping root, so it must own the logs folder too.
    await chmod(root, 0o755);
    await chmod(layout.sessionsDir, 0o700);
    if (layout.user !== undefined) {
      checkNodeReachable(layout.scriptsDir, layout.user);
      await chown(layout.sessionsDir, layout.user.uid, layout.user.gid);
      if (kind === 'lighttpd') await chown(layout.logsDir, layout.user.uid, layout.user.gid);
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
  return layout;
}

async function copyScripts(from: string, to: string): Promise<void> {
  if (!existsSync(from)) throw new Error(`no built scripts in ${from}: run \`npm run build\` first`);
  for (const name of await readdir(from)) {
    await copyFile(join(from, name), join(to, name));
    if (name.endsWith('.cgi')) await chmod(join(to, name), 0o755);
  }
}

/** Builds one TypeScript script with the project's own bundler, as the build does. */
async function buildScript(entry: string, outDir: string): Promise<void> {
  await bundleScripts([entry], outDir);
}

/**
 * The scripts run as the server's user, through the Node their shebang names. A Node under
 * /root (nvm, a CI cache) is out of that user's reach, and every request would then end in a
 * 500 "End of script output before headers": say so before starting the server.
 */
function checkNodeReachable(scriptsDir: string, user: NonNullable<Layout['user']>): void {
  const interpreters = new Set<string>();
  for (const name of readdirSync(scriptsDir).filter((file) => file.endsWith('.cgi'))) {
    const firstLine = readFileSync(join(scriptsDir, name), 'utf8').split('\n', 1)[0] ?? '';
    if (firstLine.startsWith('#!')) interpreters.add(firstLine.slice(2).trim().split(/\s+/)[0]!);
  }
  for (const node of interpreters) {
    const result = spawnSync(node, ['--version'], { uid: user.uid, gid: user.gid, stdio: 'ignore' });
    if (result.status !== 0) {
      throw new Error(`the scripts' interpreter ${node} cannot be run by ${user.name}, the user the server runs scripts as: ` +
        'install Node where every user can run it, and rebuild with CGI_NODE=/usr/bin/node (for example) npm run build');
    }
  }
}
