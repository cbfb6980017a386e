// What the Redis store does beyond the store contract (../store-contract.test.ts runs that table
// against both stores): key expiry instead of GC, SCAN, ACL users, TLS, a server that hangs or
// dies, and the configuration read from the environment.
import { CgiError, ConfigError } from '../../../src/base/errors.js';
import { createSessionId } from '../../../src/session/id.js';
import { RedisSessionStore, redisClientFromEnv, type RedisStoreOptions } from '../../../src/session/redis/store.js';
import type { SessionRecord } from '../../../src/session/store.js';
import { startRedis, type RedisServer } from '../../helpers/redis-server.js';
import { redisTest } from '../../helpers/redis-test.js';
import { rejection } from '../../helpers/rejection.js';

const test = redisTest();

/** The ACL user SECURITY.md suggests, as written there: the store's keys and commands only. */
const ACL_USER = 'user cgi on >cgi-secret ~cgi-shim:* -@all +get +set +del +exists +pexpire +scan +eval +evalsha +select';

let server: RedisServer;
test.before(async () => {
  server = await startRedis({ config: [ACL_USER, 'user default on nopass ~* &* +@all'] });
});
test.after.always(async () => {
  await server?.dispose();
});

function storeOf(options: Partial<RedisStoreOptions> = {}, db = 0): RedisSessionStore {
  return new RedisSessionStore({ server: `redis://127.0.0.1:${server.port}/${db}`, log: () => {}, ...options });
}

function record(data: Record<string, unknown>, now = Date.now()): SessionRecord {
  return { createdAt: now, touchedAt: now, data };
}

test('RedisSessionStore.list finds every session of its prefix by SCAN, over several pages, once each', async (t) => {
  const store = storeOf({}, 3);
  const other = storeOf({ prefix: 'app2:' }, 3);
  const ids = await Promise.all(Array.from({ length: 2500 }, () => createSessionId()));
  await Promise.all(ids.map((id) => store.write(id, record({}))));
  await other.write(await createSessionId(), record({}));
  const listed = (await store.list()).map((entry) => entry.id);
  t.is(listed.length, 2500);
  t.deepEqual([...listed].sort(), [...ids].sort());
  t.is((await other.list()).length, 1);
  await Promise.all([store.close(), other.close()]);
});

test('RedisSessionStore refuses a prefix with glob characters, which SCAN would read as a pattern', (t) => {
  for (const prefix of ['a*', 'a?', '[a]', 'a b', 'a\\']) {
    t.throws(() => storeOf({ prefix }), { instanceOf: TypeError, message: /option prefix/ });
  }
});

test('RedisSessionStore keeps a held lock past staleMs by renewing it', async (t) => {
  const store = storeOf({ staleMs: 2000, updateMs: 1000 });
  const id = await createSessionId();
  const lock = await store.lock(id);
  await new Promise((resolve) => setTimeout(resolve, 2600)); // Past staleMs: only renewals keep it.
  t.true(await store.isLocked(id));
  const pttl = Number(await store.client.command(['PTTL', `cgi-shim:lock:${id}`]));
  t.true(pttl > 0 && pttl <= 2000, `${pttl}`);
  await t.notThrowsAsync(store.write(id, record({ ok: true }), lock));
  await lock.release();
  await store.close();
});

test('RedisSessionStore.write sets the key to expire at the idle timeout, or earlier at the absolute deadline', async (t) => {
  const now = Date.now();
  const store = storeOf({ idleTimeoutSeconds: 60, absoluteTimeoutSeconds: 3600, now: () => now });
  const idle = await createSessionId();
  await store.write(idle, record({}, now));
  const idlePttl = Number(await store.client.command(['PTTL', `cgi-shim:sess:${idle}`]));
  t.true(idlePttl > 50_000 && idlePttl <= 60_000, `${idlePttl}`);
  const old = await createSessionId();
  await store.write(old, { createdAt: now - 3590_000, touchedAt: now, data: {} });
  const oldPttl = Number(await store.client.command(['PTTL', `cgi-shim:sess:${old}`]));
  t.true(oldPttl > 0 && oldPttl <= 10_000, `${oldPttl}`);
  await store.close();
});

test('RedisSessionStore: a session expires on the server; writing an already expired record deletes it', async (t) => {
  let now = Date.now();
  const store = storeOf({ idleTimeoutSeconds: 1, now: () => now });
  const id = await createSessionId();
  await store.write(id, record({ a: 1 }, now));
  const pttl = Number(await store.client.command(['PTTL', `cgi-shim:sess:${id}`]));
  t.true(pttl > 0 && pttl <= 1000, `${pttl}`);
  // Wait until the server itself has dropped it: no sweep, no GC.
  while (Number(await store.client.command(['EXISTS', `cgi-shim:sess:${id}`])) === 1) await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(await store.read(id), undefined);
  await store.write(id, record({ a: 2 }, now));
  now += 2000;
  await store.write(id, record({ a: 3 }, now - 2000)); // Touched 2 s ago: past the 1 s idle timeout.
  t.is(await store.client.command(['EXISTS', `cgi-shim:sess:${id}`]), 0);
  t.true(store.expiresSessions);
  await store.close();
});

test('RedisSessionStore.read treats a value of another type as no session, and logs it', async (t) => {
  const lines: string[] = [];
  const store = storeOf({ log: (line) => lines.push(line) });
  const id = await createSessionId();
  await store.client.command(['LPUSH', `cgi-shim:sess:${id}`, 'x']);
  t.is(await store.read(id), undefined);
  t.regex(lines.join('\n'), /not a string/);
  await store.close();
});

test('RedisSessionStore.write refuses a lock that another store took', async (t) => {
  const [a, b] = [storeOf(), storeOf()];
  const id = await createSessionId();
  const lock = await a.lock(id);
  await t.throwsAsync(b.write(id, record({}), lock), { instanceOf: TypeError, message: /argument lock/ });
  await lock.release();
  await Promise.all([a.close(), b.close()]);
});

test('RedisSessionStore works for the ACL user of SECURITY.md; a wrong password or keys out of its reach are ESESSIONCONFIG', async (t) => {
  const store = storeOf({ server: `redis://cgi:cgi-secret@127.0.0.1:${server.port}/2` });
  await store.client.command(['SCRIPT', 'FLUSH']).catch(() => {}); // Not allowed to it: the scripts go by EVAL first.
  const id = await createSessionId();
  await store.write(id, record({ a: 1 }));
  const lock = await store.lock(id);
  t.true(await store.isLocked(id));
  await store.write(id, record({ a: 2 }), lock);
  await lock.assertHeld();
  await lock.release();
  t.false(await store.isLocked(id));
  t.is((await store.read(id))!.data.a, 2);
  t.true((await store.list()).some((entry) => entry.id === id));
  await store.delete(id);
  t.is(await store.read(id), undefined);
  const wrong = storeOf({ server: `redis://cgi:nope-not-it@127.0.0.1:${server.port}/0` });
  const error = await rejection<CgiError>(wrong.read(id));
  t.true(error instanceof ConfigError);
  t.is(error.code, 'ESESSIONCONFIG'); // A 500: waiting will not fix a wrong password.
  t.false(error.message.includes('nope-not-it'));
  const elsewhere = storeOf({ server: `redis://cgi:cgi-secret@127.0.0.1:${server.port}/0`, prefix: 'other-app:' });
  t.is((await rejection<CgiError>(elsewhere.read(id))).code, 'ESESSIONCONFIG'); // NOPERM: the ACL will not change by itself.
  await Promise.all([store.close(), wrong.close(), elsewhere.close()]);
});

test('RedisSessionStore: a server that hangs or dies rejects ESESSIONSTORE; once back, the store works', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.dispose());
  const store = new RedisSessionStore({
    server: { port: own.port, connectTimeoutMs: 300, commandTimeoutMs: 300 }, staleMs: 2000, updateMs: 1000, log: () => {},
  });
  const id = await createSessionId();
  await store.write(id, record({ n: 1 }));
  const lock = await store.lock(id);
  own.pause(); // Connected, but nothing is answered: a hung server.
  const address = `redis://127.0.0.1:${own.port}`;
  let error = await rejection<CgiError>(store.write(id, record({ n: 2 }), lock));
  t.is(error.code, 'ESESSIONSTORE');
  t.is(error.message, `cannot save cgi-shim:sess:${id} on ${address}: redis: no reply from ${address} within 300 ms`);
  await own.kill();
  // Each failure names what it was doing, the key and the server, then why.
  const calls = [
    [store.read(id), `cannot read cgi-shim:sess:${id} on ${address}: `],
    [store.lock(id), `cannot lock cgi-shim:lock:${id} on ${address}: `],
    [store.list(), `cannot list sessions on ${address}: `],
    [store.delete(id), `cannot delete cgi-shim:sess:${id} on ${address}: `],
    [store.isLocked(id), `cannot check lock cgi-shim:lock:${id} on ${address}: `],
  ] as const;
  for (const [call, what] of calls) {
    error = await rejection<CgiError>(call);
    t.is(error.code, 'ESESSIONSTORE');
    t.true(error.message.startsWith(what), error.message);
    t.notRegex(error.message, /unexpected SCAN reply/);
  }
  await t.notThrowsAsync(lock.release()); // Never rejects, even with the server gone.
  await own.start();
  await store.write(id, record({ n: 3 }));
  t.is((await store.read(id))!.data.n, 3);
  await store.close();
});

test('redisClientFromEnv reads CGI_SESSION_STORE, one client per address per process', (t) => {
  t.is(redisClientFromEnv({}), undefined);
  t.is(redisClientFromEnv({ CGI_SESSION_STORE: '' }), undefined);
  const client = redisClientFromEnv({ CGI_SESSION_STORE: 'redis://:pw@127.0.0.1:7000/1' })!;
  t.deepEqual(client.options, { host: '127.0.0.1', port: 7000, password: 'pw', db: 1 });
  t.is(client.address, 'redis://127.0.0.1:7000');
  t.is(redisClientFromEnv({ CGI_SESSION_STORE: 'redis://:pw@127.0.0.1:7000/1' }), client);
  t.not(redisClientFromEnv({ CGI_SESSION_STORE: 'redis://:pw@127.0.0.1:7000/2' }), client);
});

test('redisClientFromEnv refuses a bad configuration with ESESSIONCONFIG, without the password', (t) => {
  const cases = [
    { CGI_SESSION_STORE: 'memcached://:hunter2@x' },
    { CGI_SESSION_STORE: 'rediss://:hunter2@h:1', CGI_SESSION_STORE_CA: '/nonexistent.pem' },
    { CGI_SESSION_STORE: 'redis://:hunter2@h:1', CGI_SESSION_STORE_CA: '/etc/hostname' }, // A CA, but no TLS.
  ];
  const said = [
    /^CGI_SESSION_STORE is invalid: .+; fix: redis:\/\/\[user:password@\]host:port\/db, rediss:\/\/… \(TLS\) or the absolute path of a unix socket$/,
    /^CGI_SESSION_STORE_CA cannot be read: ENOENT.*; fix: the path of a PEM file the scripts' user can read$/,
    /^CGI_SESSION_STORE_CA is set but CGI_SESSION_STORE is not a rediss:\/\/ address; fix: rediss:\/\/ for TLS, or no CGI_SESSION_STORE_CA$/,
  ];
  for (const [i, env] of cases.entries()) {
    const error = t.throws(() => redisClientFromEnv(env), { instanceOf: CgiError }, JSON.stringify(env));
    t.is((error as CgiError).code, 'ESESSIONCONFIG');
    t.false(error!.message.includes('hunter2'));
    t.regex(error!.message, said[i]!);
    // The underlying error is kept, for a stack trace that shows where it came from.
    t.is(error!.cause === undefined, i === 2, JSON.stringify(env));
  }
});

test('RedisSessionStore.write under a lock another process took says why, and refuses that lock from then on', async (t) => {
  const store = storeOf();
  const id = await createSessionId();
  const lock = await store.lock(id);
  await store.client.command(['SET', `cgi-shim:lock:${id}`, 'another process']);
  await t.throwsAsync(store.write(id, record({ n: 1 }), lock), {
    instanceOf: CgiError,
    message: `session lock cgi-shim:lock:${id} is no longer held (it expired or another process holds it); nothing was written`,
  });
  await t.throwsAsync(store.write(id, record({ n: 2 }), lock), { instanceOf: CgiError, message: /\(it was lost\)/ });
  t.is(await store.read(id), undefined);
  await lock.release();
  t.is(await store.client.command(['GET', `cgi-shim:lock:${id}`]), 'another process');
  await store.close();
});

test('RedisSessionStore reaches a rediss:// server through CGI_SESSION_STORE_CA', async (t) => {
  const tls = await startRedis({ tls: true });
  t.teardown(() => tls.dispose());
  const client = redisClientFromEnv({ CGI_SESSION_STORE: `rediss://localhost:${tls.port}/0`, CGI_SESSION_STORE_CA: tls.caFile })!;
  const store = new RedisSessionStore({ server: client });
  const id = await createSessionId();
  await store.write(id, record({ secure: true }));
  t.is((await store.read(id))!.data.secure, true);
  const untrusted = new RedisSessionStore({ server: `rediss://localhost:${tls.port}/0` }); // The system's CAs.
  const untrustedError = await rejection<CgiError>(untrusted.read(id));
  t.is(untrustedError.code, 'ESESSIONCONFIG');
  t.regex(untrustedError.message, /; fix: CGI_SESSION_STORE_CA names the CA that signed the server's certificate, and the address in CGI_SESSION_STORE is a name or IP address the certificate is for$/);
  t.not(untrustedError.cause, undefined);
  await store.close();
});

test('RedisSessionStore refuses bad options and IDs with a TypeError naming them', (t) => {
  for (const server of [undefined, null, 5]) {
    t.throws(() => new RedisSessionStore({ server } as unknown as RedisStoreOptions), { instanceOf: TypeError, message: `option server is invalid: ${String(server)}` });
  }
  for (const [name, value] of [['idleTimeoutSeconds', -1], ['absoluteTimeoutSeconds', Number.NaN], ['idleTimeoutSeconds', '60']] as const) {
    t.throws(() => storeOf({ [name]: value }), { instanceOf: TypeError, message: `option ${name} is invalid: ${String(value)}` });
  }
  t.is(storeOf({ idleTimeoutSeconds: 0 }).idleMs, 0);
  for (const key of [(s: RedisSessionStore) => s.keyOf('x*'), (s: RedisSessionStore) => s.lockKeyOf('x*')]) {
    t.throws(() => key(storeOf()), { instanceOf: TypeError, message: 'argument id is invalid: not a session ID' });
  }
});

test('RedisSessionStore.write refuses a released lock, and a lock of another session of the same store', async (t) => {
  const store = storeOf();
  const [id, other] = await Promise.all([createSessionId(), createSessionId()]);
  const lock = await store.lock(id);
  await t.throwsAsync(store.write(other, record({}), lock), { instanceOf: TypeError, message: /argument lock/ });
  await lock.release();
  await t.throwsAsync(store.write(id, record({}), lock), { instanceOf: CgiError, message: /\(it was released\)/ });
  await store.close();
});

test('RedisSessionStore.read takes a record of maxDataBytes, and logs a value over the limit as no session', async (t) => {
  const lines: string[] = [];
  const store = storeOf({ maxDataBytes: 1000, log: (line) => lines.push(line) });
  const id = await createSessionId();
  const data = { text: 'x'.repeat(1000 - '{"text":""}'.length) };
  await store.write(id, record(data));
  t.deepEqual((await store.read(id))?.data, data);
  await store.client.command(['SET', `cgi-shim:sess:${id}`, 'x'.repeat(5000)]);
  t.is(await store.read(id), undefined);
  t.deepEqual(lines, [`cgi-shim: ignoring cgi-shim:sess:${id}: 5000 characters, over the limit; treated as no session`]);
  await store.close();
});
