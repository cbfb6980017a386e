// A private PHP-FPM pool for the FastCGI benchmark, with Debian's pool settings (pm dynamic, at
// most 5 children) on a Unix socket; its children run as www-data when the benchmark runs as root.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PHP_FPM = '/usr/sbin/php-fpm8.2';

export interface PhpFpm {
  socket: string;
  version: string;
  stop(): Promise<void>;
}

/** Starts the pool in `dir` (which www-data can reach) with CGI_SESSION_DIR in its children's
 * environment; resolves once its socket exists. */
export async function startPhpFpm(dir: string, sessionsDir: string): Promise<PhpFpm> {
  const socket = join(dir, 'php-fpm.sock');
  const config = join(dir, 'php-fpm.conf');
  const asRoot = process.getuid?.() === 0;
  writeFileSync(config, `[global]
pid = ${join(dir, 'php-fpm.pid')}
error_log = ${join(dir, 'php-fpm.log')}
daemonize = no

[bench]
${asRoot ? 'user = www-data\ngroup = www-data\nlisten.owner = www-data\nlisten.group = www-data\n' : ''}listen = ${socket}
listen.mode = 0660
pm = dynamic
pm.max_children = 5
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
env[CGI_SESSION_DIR] = ${sessionsDir}
`);
  const child = spawn(PHP_FPM, ['-y', config, '-F'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 15_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`bench: php-fpm did not start; see ${join(dir, 'php-fpm.log')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const version = /PHP (\S+)/.exec(spawnSync(PHP_FPM, ['-v'], { encoding: 'utf8' }).stdout)?.[1] ?? '?';
  return {
    socket,
    version,
    async stop() {
      child.kill('SIGQUIT');
      await exited;
    },
  };
}
