// Writes the main configuration of a private test server: only what is server-wide (modules,
// Listen, PidFile, logs, User) and the paths, passed as Define / var.*; the configuration files we
// ship (apache.conf, apache-fcgid.conf, apache-proxy-fcgi.conf, lighttpd-cgi.conf,
// lighttpd-fastcgi.conf) are included as they are, never copied or rewritten. The lines that name
// each script (`Use CgiShimFastCgi`, lighttpd's per-script include) are what a user writes too.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cgi.js';

/** Where Debian's apache2 package puts the modules. */
export const APACHE_MODULES = '/usr/lib/apache2/modules';

/** Debian's stock mapping of /cgi-bin/ (package apache2). */
export const DEBIAN_SERVE_CGI_BIN = '/etc/apache2/conf-available/serve-cgi-bin.conf';

/** How Apache runs the scripts: CGI (apache.conf), or FastCGI through mod_fcgid
 * (apache-fcgid.conf) or mod_proxy_fcgi to daemons (apache-proxy-fcgi.conf). */
export type ApacheMode = 'cgi' | 'fcgid' | 'proxy-fcgi';

/** The folders and files of one server instance. */
export interface Layout {
  root: string;
  scriptsDir: string;
  /** The file names of the served scripts (`hello.cgi`, …). */
  scripts: string[];
  /** Where FastCGI sockets are made (daemons', lighttpd's, mod_fcgid's). */
  socketsDir: string;
  sessionsDir: string;
  docRoot: string;
  logsDir: string;
  runDir: string;
  port: number;
  /** The unprivileged user to run as when we are root, else undefined. */
  user: { name: string; uid: number; gid: number } | undefined;
}

/** A site configuration of a test's own, in place of apache.conf, and the modules it needs. */
export interface ApacheSite {
  config: (layout: Layout) => string;
  modules?: readonly string[];
}

/** The main httpd configuration: loads the modules, then Includes the shipped file for `mode`
 * with the paths Defined first (its own Defines apply only to names not yet defined), or writes
 * the `site` given instead. `scriptEnv` is what a user sets server-wide for every script (e.g.
 * CGI_SESSION_STORE). */
export function apacheConfig(layout: Layout, cgiModule: 'cgid' | 'cgi', inDebianVirtualHost: boolean, mode: ApacheMode = 'cgi', site?: ApacheSite,
  scriptEnv: Record<string, string> = {}): string {
  const mpm = cgiModule === 'cgid' || mode !== 'cgi' ? 'mpm_event' : 'mpm_prefork';
  const modeModules = { cgi: [cgiModule], fcgid: ['fcgid'], 'proxy-fcgi': ['proxy', 'proxy_fcgi', 'macro'] }[mode];
  const modules = [mpm, 'authz_core', 'mime', 'alias', ...modeModules, 'env', 'setenvif', 'headers', 'dir', ...(site?.modules ?? [])];
  const lines = [
    `# Written by test/helpers/server-config.ts: server-wide settings only; ${APACHE_FILES[mode]} does the rest.`,
    `ServerRoot "${layout.root}"`,
    `ServerName 127.0.0.1`,
    `Listen 127.0.0.1:${layout.port}`,
    `PidFile "${layout.runDir}/apache2.pid"`,
    `DefaultRuntimeDir "${layout.runDir}"`,
    `Mutex file:${layout.runDir} default`,
    ...modules.map((name) => `LoadModule ${name}_module ${APACHE_MODULES}/mod_${name}.so`),
    // As root, Apache must switch to another user for its workers and scripts (it refuses root).
    ...(layout.user ? [`User ${layout.user.name}`, `Group #${layout.user.gid}`] : []),
    ...(mode === 'cgi' && cgiModule === 'cgid' ? [`ScriptSock "${layout.runDir}/cgisock"`] : []),
    // mod_fcgid's sockets and shared table: server-wide only, so here rather than in the shipped file.
    // fcntl locks (the `Mutex file:` above) fail under a threaded MPM with "Resource deadlock
    // avoided" under load (apache-fcgid.conf says so): mod_fcgid's get Apache's default.
    ...(mode === 'fcgid' ? [`FcgidIPCDir "${layout.socketsDir}"`, `FcgidProcessTableFile "${layout.socketsDir}/fcgid-shm"`, 'Mutex default fcgid-pipe fcgid-proctbl'] : []),
    `TypesConfig ${existsSync('/etc/mime.types') ? '/etc/mime.types' : '/dev/null'}`,
    `ErrorLog "${layout.logsDir}/error.log"`,
    `LogLevel warn`,
    `LogFormat "%h %l %u %t \\"%r\\" %>s %b" common`,
    `CustomLog "${layout.logsDir}/access.log" common`,
    `DocumentRoot "${layout.docRoot}"`,
    // A few servers are enough for tests on a small machine.
    ...(mpm === 'mpm_prefork' ? ['StartServers 2', 'MinSpareServers 2', 'MaxSpareServers 4'] : ['StartServers 1']),
    `Define CGI_SHIM_SCRIPTS "${layout.scriptsDir}"`,
    `Define CGI_SHIM_SESSIONS "${layout.sessionsDir}"`,
    ...(mode === 'proxy-fcgi' ? [`Define CGI_SHIM_SOCKETS "${layout.socketsDir}"`] : []),
    // What a user adds server-wide (or in a <VirtualHost>) for every script, e.g. CGI_SESSION_STORE.
    ...Object.entries(scriptEnv).map(([name, value]) => `SetEnv ${name} "${value}"`),
  ];
  const include = [`Include "${join(ROOT, APACHE_FILES[mode])}"`];
  // The user's part: which scripts the daemons serve.
  if (mode === 'proxy-fcgi') include.push(...layout.scripts.map((name) => `Use CgiShimFastCgi ${name}`));
  if (site !== undefined) {
    lines.push(site.config(layout));
  } else if (inDebianVirtualHost) {
    lines.push(`Include "${DEBIAN_SERVE_CGI_BIN}"`, `<VirtualHost 127.0.0.1:${layout.port}>`, ...include.map((line) => `    ${line}`), `</VirtualHost>`);
  } else {
    lines.push(...include);
  }
  return `${lines.join('\n')}\n`;
}

/** The shipped file each Apache mode includes. */
export const APACHE_FILES: Readonly<Record<ApacheMode, string>> = { cgi: 'apache.conf', fcgid: 'apache-fcgid.conf', 'proxy-fcgi': 'apache-proxy-fcgi.conf' };

/** The main lighttpd configuration: sets var.cgi_shim_* and includes lighttpd-cgi.conf, or
 * lighttpd-fastcgi.conf once per script. `scriptEnv`: see {@link apacheConfig}. */
export function lighttpdConfig(layout: Layout, fastcgi = false, scriptEnv: Record<string, string> = {}): string {
  const env = Object.entries(scriptEnv).map(([name, value]) => `"${name}" => "${value}"`);
  const lines = [
    `# Written by test/helpers/server-config.ts: server-wide settings only; ${fastcgi ? 'lighttpd-fastcgi.conf' : 'lighttpd-cgi.conf'} does the rest.`,
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
    // Before the include, whose own setenv.add-environment adds to it.
    ...(env.length > 0 ? [`setenv.add-environment = ( ${env.join(', ')} )`] : []),
  ];
  if (fastcgi) {
    lines.push(`var.cgi_shim_sockets = "${layout.socketsDir}"`);
    for (const name of layout.scripts) lines.push(`var.cgi_shim_script := "${name}"`, `include "${join(ROOT, 'lighttpd-fastcgi.conf')}"`);
  } else {
    lines.push(`include "${join(ROOT, 'lighttpd-cgi.conf')}"`);
  }
  return `${lines.join('\n')}\n`;
}
