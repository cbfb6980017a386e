import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { RedisClient, RedisError } from '../../../src/session/redis/client.js';
import { RENEW_SCRIPT, UNLOCK_SCRIPT } from '../../../src/session/redis/lock.js';
import { WRITE_SCRIPT } from '../../../src/session/redis/store.js';
import { parseRedisUrl } from '../../../src/session/redis/url.js';
import { freePort } from '../../helpers/servers.js';
import { startRedis, type RedisServer } from '../../helpers/redis-server.js';
import { redisTest } from '../../helpers/redis-test.js';
import { rejection } from '../../helpers/rejection.js';

const test = redisTest();

let plain: RedisServer;
test.before(async () => {
  plain = await startRedis({
    unixSocket: true,
    config: ['user alice on >alice-secret ~cgi-shim:* &* +@all', 'user default on nopass ~* &* +@all'],
  });
});
test.after.always(async () => {
  await plain?.dispose();
});

test('the scripts carry the SHA1 of their source', (t) => {
  for (const script of [UNLOCK_SCRIPT, RENEW_SCRIPT, WRITE_SCRIPT]) {
    t.is(script.sha1, createHash('sha1').update(script.source).digest('hex'));
  }
});

test('RedisClient.command pipelines commands issued together and answers each in order', async (t) => {
  const client = new RedisClient({ port: plain.port });
  const replies = await Promise.all([
    client.command(['SET', 'cgi-shim:t1', 'é', 'PX', 60000]), client.command(['GET', 'cgi-shim:t1']),
    client.command(['INCR', 'cgi-shim:n1']), client.command(['GET', 'cgi-shim:absent']),
  ]);
  t.deepEqual(replies, ['OK', 'é', 1, null]);
  const error = await rejection<RedisError>(client.command(['NOSUCHCOMMAND']));
  t.is(error.code, 'ERR');
  t.true(error.isReply);
  t.is(await client.command(['PING']), 'PONG'); // An error reply does not break the connection.
  await client.close();
});

test.serial('RedisClient.evalScript falls back to EVAL when the server does not have the script', async (t) => {
  const client = new RedisClient({ port: plain.port });
  await client.command(['SCRIPT', 'FLUSH']);
  await client.command(['SET', 'cgi-shim:lock:e', 'tok']);
  t.is(await client.evalScript(UNLOCK_SCRIPT, ['cgi-shim:lock:e'], ['other']), 0);
  t.is(await client.evalScript(UNLOCK_SCRIPT, ['cgi-shim:lock:e'], ['tok']), 1);
  t.deepEqual(await client.command(['SCRIPT', 'EXISTS', UNLOCK_SCRIPT.sha1]), [1]);
  await client.close();
});

test('RedisClient.command authenticates an ACL user with user and password', async (t) => {
  const client = new RedisClient({ port: plain.port, username: 'alice', password: 'alice-secret' });
  t.is(await client.command(['ACL', 'WHOAMI']), 'alice');
  const denied = await rejection<RedisError>(client.command(['SET', 'elsewhere:x', '1']));
  t.is(denied.code, 'NOPERM');
  await client.close();
});

test('RedisClient: a wrong password rejects every queued command with WRONGPASS, as a handshake error', async (t) => {
  const client = new RedisClient({ port: plain.port, username: 'alice', password: 'wrong' });
  const [a, b] = await Promise.all([rejection<RedisError>(client.command(['PING'])), rejection<RedisError>(client.command(['PING']))]);
  t.is(a.code, 'WRONGPASS');
  t.true(a.isHandshake);
  t.is(b.code, 'WRONGPASS');
});

test('RedisClient.command authenticates with a password only (requirepass) and selects the database', async (t) => {
  const server = await startRedis({ config: ['requirepass only-a-password'] });
  t.teardown(() => server.dispose());
  const client = new RedisClient(parseRedisUrl(`redis://:only-a-password@127.0.0.1:${server.port}/5`));
  await client.command(['SET', 'in-five', '1']);
  t.deepEqual(await client.command(['CLIENT', 'INFO']).then((info) => /db=(\d+)/.exec(String(info))?.[1]), '5');
  const other = new RedisClient({ port: server.port, password: 'only-a-password' });
  t.is(await other.command(['GET', 'in-five']), null); // Database 0.
  const noAuth = await rejection<RedisError>(new RedisClient({ port: server.port }).command(['GET', 'x']));
  t.is(noAuth.code, 'NOAUTH');
  const badDb = await rejection<RedisError>(new RedisClient({ port: server.port, password: 'only-a-password', db: 99 }).command(['PING']));
  t.true(badDb.isHandshake);
  await Promise.all([client.close(), other.close()]);
});

test('RedisClient.command connects through a unix socket', async (t) => {
  const client = new RedisClient(parseRedisUrl(`unix://${plain.socketPath}?db=1`));
  t.is(await client.command(['PING']), 'PONG');
  const missing = await rejection<RedisError>(new RedisClient({ path: `${plain.socketPath}.missing` }).command(['PING']));
  t.is(missing.code, 'ENOENT');
  await client.close();
});

test('RedisClient: a server that stops answering fails each command within commandTimeoutMs; it works again once back', async (t) => {
  const server = await startRedis();
  t.teardown(() => server.dispose());
  const client = new RedisClient({ port: server.port, commandTimeoutMs: 300, connectTimeoutMs: 300 });
  t.is(await client.command(['PING']), 'PONG');
  server.pause();
  // ETIMEDOUT is the client's own timer: without it both would wait for as long as the pause.
  const errors = await Promise.all([rejection<RedisError>(client.command(['PING'])), rejection<RedisError>(client.command(['GET', 'x']))]);
  t.deepEqual(errors.map((e) => e.code), ['ETIMEDOUT', 'ETIMEDOUT']);
  server.resume();
  t.is(await client.command(['PING']), 'PONG'); // A new connection.
  await client.close();
});

test('RedisClient: a killed server fails commands at once; a restarted one is used again', async (t) => {
  const server = await startRedis();
  t.teardown(() => server.dispose());
  const client = new RedisClient({ port: server.port, commandTimeoutMs: 500, connectTimeoutMs: 500 });
  await client.command(['SET', 'k', 'v']);
  await server.kill();
  // The system's answers, not the client's ETIMEDOUT: no waiting for a timer.
  const error = await rejection<RedisError>(client.command(['GET', 'k']));
  t.true(['ECONNREFUSED', 'ECONNCLOSED', 'ECONNRESET', 'EPIPE'].includes(error.code), error.code);
  t.is((await rejection<RedisError>(client.command(['GET', 'k']))).code, 'ECONNREFUSED');
  await server.start();
  t.is(await client.command(['GET', 'k']), null); // No persistence: an empty server.
  await client.close();
});

test('RedisClient: a reply that is not RESP ends the connection with EPROTOCOL', async (t) => {
  const server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const error = await rejection<RedisError>(new RedisClient({ port: (server.address() as { port: number }).port }).command(['PING']));
  t.is(error.code, 'EPROTOCOL');
});

test('RedisClient.close waits for outstanding replies; a later command reconnects', async (t) => {
  const client = new RedisClient({ port: plain.port });
  const reply = client.command(['PING']);
  await client.close();
  t.is(await reply, 'PONG');
  t.is(await client.command(['PING']), 'PONG');
  await client.close();
});

test('RedisClient: rediss:// connects with TLS, verifying the server against the given CA', async (t) => {
  const server = await startRedis({ tls: true });
  t.teardown(() => server.dispose());
  const ca = readFileSync(server.caFile);
  for (const host of ['127.0.0.1', 'localhost']) {
    const client = new RedisClient({ ...parseRedisUrl(`rediss://${host}:${server.port}/2`), tls: { ca } });
    t.is(await client.command(['PING']), 'PONG', host);
    await client.close();
  }
  const untrusted = await rejection<RedisError>(new RedisClient({ port: server.port, tls: { ca: readFileSync(`${server.dir}/other-ca.pem`) } }).command(['PING']));
  t.regex(untrusted.code, /CERT|SIGNATURE/);
  const systemCas = await rejection<RedisError>(new RedisClient({ port: server.port, tls: true }).command(['PING']));
  t.regex(systemCas.code, /CERT|SIGNATURE/);
});

test('RedisClient: connecting gives up after connectTimeoutMs (a TLS handshake nobody answers)', async (t) => {
  const silent = await silentServer();
  t.teardown(() => silent.close());
  const client = new RedisClient({ port: (silent.address() as { port: number }).port, tls: true, connectTimeoutMs: 300 });
  const error = await rejection<RedisError>(client.command(['PING']));
  t.is(error.code, 'ETIMEDOUT');
  t.regex(error.message, /no connection/);
});

/** A TCP server that accepts connections and never says anything. */
async function silentServer(): Promise<Server> {
  const port = await freePort();
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}
