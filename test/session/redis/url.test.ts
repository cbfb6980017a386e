import test from 'ava';
import { parseRedisUrl } from '../../../src/session/redis/url.js';

test('parseRedisUrl reads host, port, credentials and database', (t) => {
  t.deepEqual(parseRedisUrl('redis://app:s%40cret@10.0.0.5:6380/2'), { host: '10.0.0.5', port: 6380, username: 'app', password: 's@cret', db: 2 });
  t.deepEqual(parseRedisUrl('redis://:pw@localhost'), { host: 'localhost', password: 'pw' });
  t.deepEqual(parseRedisUrl('rediss://[::1]:6390/0'), { host: '::1', port: 6390, tls: true, db: 0 });
});

test('parseRedisUrl reads unix sockets', (t) => {
  t.deepEqual(parseRedisUrl('/run/redis/redis.sock'), { path: '/run/redis/redis.sock' });
  t.deepEqual(parseRedisUrl('unix:///run/redis.sock?db=3&user=u&password=p'), { path: '/run/redis.sock', db: 3, username: 'u', password: 'p' });
});

test('parseRedisUrl refuses other addresses without repeating the password', (t) => {
  for (const bad of ['http://h/', 'redis://h/x', 'redis://:topsecret@h/1?x=1', 'redis:///', 'relative/path', 'unix://host/sock']) {
    const error = t.throws(() => parseRedisUrl(bad), { instanceOf: TypeError }, bad);
    t.false(error!.message.includes('topsecret'));
  }
});
