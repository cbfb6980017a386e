// Which store sessions go to when a script names none: the Redis server that CGI_SESSION_STORE
// names, else files in the sessions folder. So the same built script moves its sessions to Redis
// with a line of the web server's configuration, no rebuild. Each store is imported only once
// chosen: a script keeping its sessions in files never evaluates the Redis client, and one
// keeping them in Redis never evaluates proper-lockfile.

import { resolveDataDir } from '../base/data-dir.js';
import type { SessionOptions } from './options.js';
import type { SessionStore } from './store.js';

/** What the chosen store is made from: the script's session options, and the environment. */
export interface StoreChoice extends Pick<SessionOptions, 'dir' | 'maxDataBytes' | 'durable' | 'idleTimeoutSeconds' |
  'absoluteTimeoutSeconds' | 'now' | 'log' | 'staleMs' | 'updateMs' | 'waitMs'> {
  /** The environment: `CGI_SESSION_STORE` (a Redis address; unset or empty: files),
   * `CGI_SESSION_STORE_CA`, and `CGI_SESSION_DIR` when `dir` is not given. */
  env: Readonly<Record<string, string | undefined>>;
  /** The file store's `threadPool`: the process serves many requests at once. @default false */
  threadPool?: boolean;
}

/** Makes the store `choice.env` names. A bad Redis address or CA file throws ConfigError
 * `ESESSIONCONFIG`; under a persistent process, one connection per server serves every request. */
export async function openStore(choice: StoreChoice): Promise<SessionStore> {
  const { env, dir, durable, threadPool, ...common } = choice;
  const address = env.CGI_SESSION_STORE;
  if (address !== undefined && address !== '') {
    const { RedisSessionStore, redisClientFromEnv } = await import('./redis/store.js');
    return new RedisSessionStore({ ...common, server: redisClientFromEnv(env)! });
  }
  const { FileSessionStore } = await import('./file-store.js');
  return new FileSessionStore({
    ...common,
    durable,
    threadPool,
    dir: dir ?? resolveDataDir(env, process.argv[1]), // The running script's file.
  });
}
