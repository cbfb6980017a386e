// Starts a private Apache 2.4 or lighttpd for a test: its own folder (server root, scripts,
// sessions, pid and logs) under a fresh temporary folder, on 127.0.0.1 and a free high port,
// serving the scripts through the configuration files we ship (apache.conf, lighttpd-cgi.conf).
//
// The main configuration written here holds only what is server-wide (modules, Listen, PidFile,
// logs, User) and the paths, passed as Define / var.*; our files are included as they are.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { build } from 'esbuild';
import { DIST_CGI_BIN, ROOT } from './cgi.js';

/** The servers this helper can start. */
export type ServerKind = 'apache' | 'lighttpd';

/** Where Debian's packages put the binaries and Apache's modules. */
const BINARIES: Readonly<Record<ServerKind, string>> = { apache: '/usr/sbin/apache2', lighttpd: '/usr/sbin/lighttpd' };
const APACHE_MODULES = '/usr/lib/apache2/modules';
/** The Debian package to install for each server. */
export const PACKAGES: Readonly<Record<ServerKind, string>> = { apache: 'apache2', lighttpd: 'lighttpd' };

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
  /** How long to wait for the server to accept connections, in ms. @default 15000 */
  startTimeoutMs?: number;
}

/** Apache-only options. */
export interface ApacheOptions extends ServerOptions {
  /** The CGI module: mod_cgid with the event MPM (Debian's default), or mod_cgi with prefork
   * (exercises the fallback branch of apache.conf). @default 'cgid' */
  cgiModule?: 'cgid' | 'cgi';
}

/** A running private server. */
export interface RunningServer {
  kind: ServerKind;
  /** The server's own version line, e.g. `Apache/2.4.62 (Debian)` or `lighttpd/1.4.69`. */
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
  /** Where scripts' stderr lands: the error log for Apache, server.breakagelog for lighttpd. */
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

/** Whether the server's binary (and for Apache, its CGI modules) is installed here. */
export function isInstalled(kind: ServerKind): boolean {
  if (!existsSync(BINARIES[kind])) return false;
  return kind !== 'apache' || existsSync(join(APACHE_MODULES, 'mod_cgid.so'));
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
  return start('apache', options, (layout) => apacheConfig(layout, options.cgiModule ?? 'cgid'));
}

/** Starts lighttpd with lighttpd-cgi.conf included. See {@link startApache}. */
export async function startLighttpd(options: ServerOptions = {}): Promise<RunningServer> {
  return start('lighttpd', options, lighttpdConfig);
}

/** The folders and files of one server instance. */
interface Layout {
  root: string;
  scriptsDir: string;
  sessionsDir: string;
  docRoot: string;
  logsDir: string;
  runDir: string;
  port: number;
  /** The unprivileged user to run as when we are root, else undefined. */
  user: { name: string; uid: number; gid: number } | undefined;
}

/** Servers started by this process, killed on exit if a test could not stop them. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function start(kind: ServerKind, options: ServerOptions, writeConfig: (layout: Layout) => string): Promise<RunningServer> {
  if (!isInstalled(kind)) throw new Error(`${kind} is not installed: sudo apt-get install ${PACKAGES[kind]}`);
  const layout = await prepareLayout(kind, options);
  const version = serverVersion(kind) ?? kind;
  // Another process may take the free port between our probe and the server's bind: try again.
  for (let attempt = 1; ; attempt++) {
    layout.port = await freePort();
    const configFile = join(layout.root, `${kind}.conf`);
    await writeFile(configFile, writeConfig(layout));
    const args = kind === 'apache' ? ['-f', configFile, '-DFOREGROUND'] : ['-D', '-f', configFile];
    try {
      const child = await launch(BINARIES[kind], args, layout, options);
      return describeServer(kind, version, layout, child);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/i.test(String(error))) {
        await rm(layout.root, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

async function prepareLayout(kind: ServerKind, options: ServerOptions): Promise<Layout> {
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

function apacheConfig(layout: Layout, cgiModule: 'cgid' | 'cgi'): string {
  const mpm = cgiModule === 'cgid' ? 'mpm_event' : 'mpm_prefork';
  const modules = [mpm, 'authz_core', 'mime', 'alias', cgiModule, 'env', 'setenvif', 'headers', 'dir'];
  const lines = [
    `# Written by test/helpers/servers.ts: server-wide settings only; apache.conf does the rest.`,
    `ServerRoot "${layout.root}"`,
    `ServerName 127.0.0.1`,
    `Listen 127.0.0.1:${layout.port}`,
    `PidFile "${layout.runDir}/apache2.pid"`,
    `DefaultRuntimeDir "${layout.runDir}"`,
    `Mutex file:${layout.runDir} default`,
    ...modules.map((name) => `LoadModule ${name}_module ${APACHE_MODULES}/mod_${name}.so`),
    // As root, Apache must switch to another user for its workers and scripts (it refuses root).
    ...(layout.user ? [`User ${layout.user.name}`, `Group #${layout.user.gid}`] : []),
    ...(cgiModule === 'cgid' ? [`ScriptSock "${layout.runDir}/cgisock"`] : []),
    `TypesConfig ${existsSync('/etc/mime.types') ? '/etc/mime.types' : '/dev/null'}`,
    `ErrorLog "${layout.logsDir}/error.log"`,
    `LogLevel warn`,
    `LogFormat "%h %l %u %t \\"%r\\" %>s %b" common`,
    `CustomLog "${layout.logsDir}/access.log" common`,
    `DocumentRoot "${layout.docRoot}"`,
    // A few servers are enough for tests on a small machine.
    ...(cgiModule === 'cgi' ? ['StartServers 2', 'MinSpareServers 2', 'MaxSpareServers 4'] : ['StartServers 1']),
    `Define CGI_SHIM_SCRIPTS "${layout.scriptsDir}"`,
    `Define CGI_SHIM_SESSIONS "${layout.sessionsDir}"`,
    `Include "${join(ROOT, 'apache.conf')}"`,
  ];
  return `${lines.join('\n')}\n`;
}

function lighttpdConfig(layout: Layout): string {
  const lines = [
    `# Written by test/helpers/servers.ts: server-wide settings only; lighttpd-cgi.conf does the rest.`,
    `server.document-root = "${layout.docRoot}"`,
    `server.bind = "127.0.0.1"`,
    `server.port = ${layout.port}`,
    `server.pid-file = "${layout.runDir}/lighttpd.pid"`,
    `server.errorlog = "${layout.logsDir}/error.log"`,
    // Without it, scripts' stderr goes to lighttpd's own stderr (-D) or nowhere (daemon mode).
    `server.breakagelog = "${layout.logsDir}/cgi-stderr.log"`,
    ...(layout.user ? [`server.username = "${layout.user.name}"`, `server.groupname = "${layout.user.name}"`] : []),
    `server.modules += ( "mod_accesslog" )`,
    `accesslog.filename = "${layout.logsDir}/access.log"`,
    `var.cgi_shim_scripts = "${layout.scriptsDir}"`,
    `var.cgi_shim_sessions = "${layout.sessionsDir}"`,
    `include "${join(ROOT, 'lighttpd-cgi.conf')}"`,
  ];
  return `${lines.join('\n')}\n`;
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
  child.kill('SIGKILL');
  throw new Error(`${basename(binary)} did not accept connections on port ${layout.port} in time:\n${output}`);
}

function describeServer(kind: ServerKind, version: string, layout: Layout, child: ChildProcess): RunningServer {
  const baseUrl = `http://127.0.0.1:${layout.port}`;
  const errorLog = join(layout.logsDir, 'error.log');
  let stopping: Promise<void> | undefined;
  return {
    kind,
    version,
    baseUrl,
    port: layout.port,
    pid: child.pid!,
    root: layout.root,
    scriptsDir: layout.scriptsDir,
    sessionsDir: layout.sessionsDir,
    errorLog,
    scriptErrorLog: kind === 'apache' ? errorLog : join(layout.logsDir, 'cgi-stderr.log'),
    accessLog: join(layout.logsDir, 'access.log'),
    url: (path) => `${baseUrl}${path}`,
    readLog: readText,
    stop: () => (stopping ??= stopChild(child).then(() => rm(layout.root, { recursive: true, force: true }))),
  };
}

/** SIGTERM to the pid, SIGKILL if it has not exited after 10 s; resolves once it has exited. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.kill(child.pid!, 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited;
  clearTimeout(timer);
  running.delete(child);
}

async function copyScripts(from: string, to: string): Promise<void> {
  if (!existsSync(from)) throw new Error(`no built scripts in ${from}: run \`npm run build\` first`);
  for (const name of await readdir(from)) {
    await copyFile(join(from, name), join(to, name));
    if (name.endsWith('.cgi')) await chmod(join(to, name), 0o755);
  }
}

/** Builds one TypeScript script the way scripts/build.js does: one executable CommonJS file. */
async function buildScript(entry: string, outDir: string): Promise<void> {
  const outfile = join(outDir, `${basename(entry).replace(/\.ts$/, '')}.cgi`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: `#!${process.execPath}` },
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
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

function lookUpUser(name: string): Layout['user'] {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((entry) => entry.startsWith(`${name}:`));
  const fields = line?.split(':');
  if (fields === undefined || fields.length < 4) throw new Error(`running as root needs the user ${name} to run the server as`);
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** A port the kernel had free a moment ago. */
function freePort(): Promise<number> {
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
