// Starts a private Apache 2.4 or lighttpd for a test: its own folder (server root, scripts,
// sessions, pid and logs) under a fresh temporary folder, on 127.0.0.1 and a free high port,
// serving the scripts through the configuration files we ship: as CGI (apache.conf,
// lighttpd-cgi.conf) or as FastCGI (apache-fcgid.conf, apache-proxy-fcgi.conf with a daemon per
// script, lighttpd-fastcgi.conf).
//
// The main configuration it writes is in server-config.ts, the folder it prepares in
// server-layout.ts; this file starts, watches and stops the server process.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { basename, join } from 'node:path';
import { APACHE_MODULES, apacheConfig, lighttpdConfig, type ApacheMode, type ApacheSite, type Layout } from './server-config.js';
import { startDaemons, type Daemons } from './server-daemons.js';
import { prepareLayout } from './server-layout.js';

export { DEBIAN_SERVE_CGI_BIN, type ApacheSite, type Layout } from './server-config.js';

/** The servers this helper can start. */
export type ServerKind = 'apache' | 'lighttpd';

/** Where Debian's packages put the binaries. */
const BINARIES: Readonly<Record<ServerKind, string>> = { apache: '/usr/sbin/apache2', lighttpd: '/usr/sbin/lighttpd' };
/** The Debian package to install for each server. */
export const PACKAGES: Readonly<Record<ServerKind, string>> = { apache: 'apache2', lighttpd: 'lighttpd' };

/** The Apache modules each mode needs beyond the server, and the packages that bring them. */
const APACHE_MODE_NEEDS: Readonly<Record<ApacheMode, { modules: string[]; packages: string }>> = {
  cgi: { modules: ['mod_cgid.so'], packages: 'apache2' },
  fcgid: { modules: ['mod_fcgid.so'], packages: 'apache2 libapache2-mod-fcgid' },
  'proxy-fcgi': { modules: ['mod_proxy_fcgi.so', 'mod_macro.so'], packages: 'apache2' },
};

/** Options of {@link startApache} and {@link startLighttpd}. */
export interface ServerOptions {
  /** A folder of built scripts, copied into the server's own folder and served as /cgi-bin/.
   * @default dist/cgi-bin (run `npm run build` first) */
  scriptsDir?: string;
  /** TypeScript scripts (e.g. from test/fixtures) built with esbuild, as `npm run build` builds
   * cgi-bin/, into the served folder as `<name>.cgi`. @default [] */
  extraScripts?: readonly string[];
  /** Environment variables for the server process (it passes some of them to scripts). */
  env?: Record<string, string>;
  /** Variables the server gives every script, set in the main configuration beside our file as
   * a user would (Apache `SetEnv`, lighttpd `setenv.add-environment`), e.g. CGI_SESSION_STORE.
   * @default {} */
  scriptEnv?: Record<string, string>;
  /** How long to wait for the server to accept connections, in ms. @default 15000 */
  startTimeoutMs?: number;
}

/** Apache-only options. */
export interface ApacheOptions extends ServerOptions {
  /** The CGI module: mod_cgid with the event MPM (Debian's default), or mod_cgi with prefork
   * (exercises the fallback branch of apache.conf). @default 'cgid' */
  cgiModule?: 'cgid' | 'cgi';
  /** Include apache.conf inside a <VirtualHost> for the port, with Debian's own
   * conf-available/serve-cgi-bin.conf (which maps /cgi-bin/ to /usr/lib/cgi-bin/) included
   * server-wide before it, as on a stock Debian install. @default false */
  inDebianVirtualHost?: boolean;
  /** The site's configuration, written in place of apache.conf (for tests of other layouts, say a
   * document root with AddHandler); it may load more modules by name (e.g. `autoindex`).
   * @default apache.conf, included */
  site?: ApacheSite;
  /** How the scripts run: CGI (apache.conf), FastCGI under mod_fcgid (apache-fcgid.conf), or as
   * `cgi-shim fastcgi` daemons behind mod_proxy_fcgi (apache-proxy-fcgi.conf). @default 'cgi' */
  mode?: ApacheMode;
  /** Lines added to the main configuration after the shipped file (the benchmark's routes to
   * PHP-FPM and node-fastcgi). @default [] */
  extraConfig?: readonly string[];
}

/** lighttpd-only options. */
export interface LighttpdOptions extends ServerOptions {
  /** Run the scripts as FastCGI applications (lighttpd-fastcgi.conf) instead of CGI. @default false */
  fastcgi?: boolean;
}

/** A running private server. */
export interface RunningServer {
  kind: ServerKind;
  /** The server and how it runs scripts, e.g. `apache`, `apache mod_fcgid`, `lighttpd mod_fastcgi`. */
  name: string;
  /** The server's own version line, e.g. `Apache/2.4.71 (Debian)` or `lighttpd/1.4.69`. */
  version: string;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  baseUrl: string;
  port: number;
  pid: number;
  /** The temporary folder holding everything below. */
  root: string;
  /** The served folder (a copy of the scripts), mapped to /cgi-bin/. */
  scriptsDir: string;
  /** The folder given to scripts as CGI_SESSION_DIR. */
  sessionsDir: string;
  /** The server's error log. */
  errorLog: string;
  /** Where scripts' error reports land: the error log for Apache and for lighttpd's FastCGI,
   * server.breakagelog for lighttpd's CGI. */
  scriptErrorLog: string;
  accessLog: string;
  /** `baseUrl` + `path`. */
  url(path: string): string;
  /** The current text of a log file ('' if it does not exist yet). */
  readLog(file: string): Promise<string>;
  /** Stops the server (SIGTERM to its pid, SIGKILL after 10 s) and waits for it to exit, then
   * removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

/** Whether the server's binary (and for Apache, the modules of `mode`) is installed here. */
export function isInstalled(kind: ServerKind, mode: ApacheMode = 'cgi'): boolean {
  if (!existsSync(BINARIES[kind])) return false;
  return kind !== 'apache' || APACHE_MODE_NEEDS[mode].modules.every((file) => existsSync(join(APACHE_MODULES, file)));
}

/** The Debian packages to install for `kind` (and for Apache, `mode`). */
export function packagesFor(kind: ServerKind, mode: ApacheMode = 'cgi'): string {
  return kind === 'apache' ? APACHE_MODE_NEEDS[mode].packages : PACKAGES[kind];
}

/** The server's version line, or undefined when it is not installed. */
export function serverVersion(kind: ServerKind): string | undefined {
  if (!isInstalled(kind)) return undefined;
  const result = spawnSync(BINARIES[kind], ['-v'], { encoding: 'utf8' });
  const match = /(Apache\/\S+(?: \([^)]*\))?|lighttpd\/\S+)/.exec(result.stdout);
  return match?.[1];
}

/**
 * Starts Apache with apache.conf included. The caller stops it (`t.teardown(server.stop)` or
 * `test.after.always`).
 * @example
 * const server = await startApache();
 * t.teardown(server.stop);
 * const response = await fetch(server.url('/cgi-bin/hello.cgi'));
 */
export async function startApache(options: ApacheOptions = {}): Promise<RunningServer> {
  const mode = options.mode ?? 'cgi';
  if (!isInstalled('apache', mode)) throw new Error(`Apache's ${mode} modules are not installed: sudo apt-get install ${packagesFor('apache', mode)}`);
  const name = { cgi: 'apache', fcgid: 'apache mod_fcgid', 'proxy-fcgi': 'apache mod_proxy_fcgi' }[mode];
  const config = (layout: Layout) => apacheConfig(layout, options.cgiModule ?? 'cgid', options.inDebianVirtualHost ?? false, mode, options.site, options.scriptEnv) +
    (options.extraConfig ?? []).map((line) => `${line}\n`).join('');
  return start('apache', name, options, config, mode === 'proxy-fcgi');
}

/** Starts lighttpd with lighttpd-cgi.conf (or lighttpd-fastcgi.conf) included. See {@link startApache}. */
export async function startLighttpd(options: LighttpdOptions = {}): Promise<RunningServer> {
  const fastcgi = options.fastcgi ?? false;
  return start('lighttpd', fastcgi ? 'lighttpd mod_fastcgi' : 'lighttpd', options, (layout) => lighttpdConfig(layout, fastcgi, options.scriptEnv), false);
}

/** Servers started by this process, killed on exit if a test could not stop them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) killGroup(child);
});

async function start(kind: ServerKind, name: string, options: ServerOptions, writeConfig: (layout: Layout) => string, withDaemons: boolean): Promise<RunningServer> {
  if (!isInstalled(kind)) throw new Error(`${kind} is not installed: sudo apt-get install ${PACKAGES[kind]}`);
  const layout = await prepareLayout(kind, options);
  const version = serverVersion(kind) ?? kind;
  let daemons: Daemons | undefined;
  try {
    if (withDaemons) daemons = await startDaemons(layout, options.startTimeoutMs ?? 15000);
  } catch (error) {
    await rm(layout.root, { recursive: true, force: true });
    throw error;
  }
  // Another process may take the free port between our probe and the server's bind: try again.
  for (let attempt = 1; ; attempt++) {
    layout.port = await freePort();
    const configFile = join(layout.root, `${kind}.conf`);
    await writeFile(configFile, writeConfig(layout));
    const args = kind === 'apache' ? ['-f', configFile, '-DFOREGROUND'] : ['-D', '-f', configFile];
    try {
      const child = await launch(BINARIES[kind], args, layout, options);
      return describeServer(kind, name, version, layout, child, daemons);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test(String(error))) {
        await daemons?.stop();
        await rm(layout.root, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

/** Spawns the server in the foreground and waits until its port accepts connections. */
async function launch(binary: string, args: string[], layout: Layout, options: ServerOptions): Promise<ChildProcess> {
  const child = spawn(binary, args, {
    cwd: layout.root,
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Apache ends by signalling its whole group (killpg), which would
    // otherwise include this test process.
    detached: true,
  });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-8192); };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => {
    running.delete(child);
    resolve(`exited with ${signal ?? code}`);
  }));
  const deadline = Date.now() + (options.startTimeoutMs ?? 15000);
  while (Date.now() < deadline) {
    const outcome = await Promise.race([canConnect(layout.port).then((ok) => (ok ? 'up' : 'down')), exited]);
    if (outcome === 'up') return child;
    if (outcome !== 'down') {
      const log = await readText(join(layout.logsDir, 'error.log'));
      throw new Error(`${basename(binary)} ${outcome} before serving:\n${output}${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  killGroup(child);
  throw new Error(`${basename(binary)} did not accept connections on port ${layout.port} in time:\n${output}`);
}

function describeServer(kind: ServerKind, name: string, version: string, layout: Layout, child: ChildProcess, daemons: Daemons | undefined): RunningServer {
  const baseUrl = `http://127.0.0.1:${layout.port}`;
  const errorLog = join(layout.logsDir, 'error.log');
  let stopping: Promise<void> | undefined;
  return {
    kind,
    name,
    version,
    baseUrl,
    port: layout.port,
    pid: child.pid!,
    root: layout.root,
    scriptsDir: layout.scriptsDir,
    sessionsDir: layout.sessionsDir,
    errorLog,
    scriptErrorLog: kind === 'lighttpd' && name === 'lighttpd' ? join(layout.logsDir, 'cgi-stderr.log') : errorLog,
    accessLog: join(layout.logsDir, 'access.log'),
    url: (path) => `${baseUrl}${path}`,
    readLog: readText,
    stop: () => (stopping ??= stopChild(child).then(() => daemons?.stop()).then(() => rm(layout.root, { recursive: true, force: true }))),
  };
}

/** SIGTERM to the pid, SIGKILL if it has not exited after 10 s; resolves once it has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child), 10000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

/** SIGKILL to the server and everything it started (its own process group, see launch). */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A port the kernel had free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}
