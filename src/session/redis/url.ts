// Store addresses: the URL forms of CGI_SESSION_STORE (redis://, rediss://, unix:// or an absolute
// socket path) turned into RedisClient options. Pure: no connection is made here.

import type { RedisClientOptions } from './client.js';

/**
 * Reads a store address: `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS), or a
 * unix socket as an absolute path or `unix:///path?db=N&user=U&password=P`. User and password are
 * percent-decoded. Anything else is a TypeError that does not repeat the password.
 * @example parseRedisUrl('redis://app:s3cret@10.0.0.5:6379/2')
 * // { host: '10.0.0.5', port: 6379, username: 'app', password: 's3cret', db: 2 }
 */
export function parseRedisUrl(text: string): RedisClientOptions {
  if (text.startsWith('/')) return { path: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError('redis: the store address is not a URL (redis://, rediss://, unix:// or an absolute socket path)');
  }
  const options: RedisClientOptions = {};
  const db = url.protocol === 'unix:' ? url.searchParams.get('db') ?? '' : url.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d{1,5}$/.test(db)) throw new TypeError(`redis: the database number is invalid: ${JSON.stringify(db)}`);
    options.db = Number(db);
  }
  if (url.protocol === 'unix:') {
    if (url.host !== '' || url.pathname === '' || url.pathname === '/') throw new TypeError('redis: a unix:// address is unix:///path/to/socket');
    options.path = decodeURIComponent(url.pathname);
    const user = url.searchParams.get('user');
    const password = url.searchParams.get('password');
    if (user !== null) options.username = user;
    if (password !== null) options.password = password;
    return options;
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new TypeError(`redis: the store address must start with redis://, rediss:// or unix://, not ${url.protocol}//`);
  }
  if (url.hostname === '') throw new TypeError('redis: the store address has no host');
  options.host = url.hostname.replace(/^\[(.*)\]$/, '$1'); // An IPv6 address without its brackets.
  if (url.port !== '') options.port = Number(url.port); // Else the client's default, 6379.
  if (url.protocol === 'rediss:') options.tls = true;
  if (url.username !== '') options.username = decodeURIComponent(url.username);
  if (url.password !== '') options.password = decodeURIComponent(url.password);
  if (url.search !== '' || url.hash !== '') throw new TypeError('redis: the store address takes no ?query or #fragment (only unix:// does)');
  return options;
}
