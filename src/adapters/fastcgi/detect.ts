// Whether this process was started as a FastCGI application, and on which listening socket.
// Asked only when GATEWAY_INTERFACE is unset (every CGI server sets it, RFC 3875 §4.1.4; no
// FastCGI spawner does), so a CGI request never pays for more than that one look-up.
//
// A server that spawns its FastCGI application (Apache mod_fcgid, lighttpd's bin-path,
// spawn-fcgi, `cgi-shim fastcgi`) hands it a listening socket as fd 0 (FCGI_LISTENSOCK_FILENO);
// systemd socket activation hands it as fd 3 with LISTEN_FDS. "fd 0 is a socket" alone is not
// enough: mod_cgid gives a CGI a connected Unix socket as stdin, and so does Node's
// child_process with stdio 'pipe'. The kernel tells the two apart in /proc/self/net.

import { fstatSync, readFileSync } from 'node:fs';

/** SD_LISTEN_FDS_START: the first socket systemd passes. */
const SYSTEMD_FIRST_FD = 3;
/** __SO_ACCEPTCON in /proc/net/unix's Flags column: a listening socket. */
const UNIX_ACCEPTCON = 0x10000;
/** SS_UNCONNECTED in /proc/net/unix's St column: bound, neither connected nor listening yet. */
const UNIX_UNCONNECTED = 1;
/** TCP_LISTEN in /proc/net/tcp's st column. */
const TCP_LISTEN = 0x0a;

/**
 * The file descriptor of the socket to serve FastCGI on, or undefined when this is a CGI run
 * (a web server's, or a shell's). In order: systemd's LISTEN_FDS (exactly one socket, for this
 * process), else fd 0 when it is a socket not connected to anyone.
 */
export function fastCgiListenFd(env: Readonly<Record<string, string | undefined>>): number | undefined {
  if (env.LISTEN_PID === String(process.pid) && env.LISTEN_FDS === '1') return SYSTEMD_FIRST_FD;
  let inode: number;
  try {
    const info = fstatSync(0);
    if (!info.isSocket()) return undefined; // A terminal, a pipe, a file, /dev/null: a shell's CGI run.
    inode = info.ino;
  } catch {
    return undefined; // No fd 0 at all.
  }
  // Not found (no procfs): a socket without CGI variables is taken as FastCGI; listening on a
  // connected one then fails with a clear message.
  return socketState(inode) === 'connected' ? undefined : 0;
}

/**
 * What the kernel says of the socket with this inode: 'listening' (or bound and about to
 * listen, as `cgi-shim fastcgi` hands it over), 'connected', or 'unknown'.
 */
export function socketState(inode: number): 'listening' | 'connected' | 'unknown' {
  const unix = findLine('/proc/self/net/unix', inode, 6);
  if (unix !== undefined) {
    // Num RefCount Protocol Flags Type St Inode Path
    const flags = parseInt(unix[3]!, 16);
    const state = parseInt(unix[5]!, 16);
    return (flags & UNIX_ACCEPTCON) !== 0 || state === UNIX_UNCONNECTED ? 'listening' : 'connected';
  }
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const tcp = findLine(table, inode, 9);
    if (tcp !== undefined) return parseInt(tcp[3]!, 16) === TCP_LISTEN ? 'listening' : 'connected';
  }
  return 'unknown'; // A TCP socket bound but not yet listening is in no table, nor is /proc there.
}

/** The fields of the line of a /proc/net table whose field `column` is `inode`. */
function findLine(file: string, inode: number, column: number): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return undefined;
  }
  const wanted = String(inode);
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[column] === wanted) return fields;
  }
  return undefined;
}
