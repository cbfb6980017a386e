// openSession with its sessions in Redis, chosen by CGI_SESSION_STORE in the request's
// environment: the same script, no other change.
import { readdir } from 'node:fs/promises';
import { openSession, type Session, type SessionOptions } from '../../src/index.js';
import { RedisClient } from '../../src/session/redis/client.js';
import { cookieValue } from '../helpers/cgi.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { redisTest } from '../helpers/redis-test.js';
import { runHandler } from '../helpers/run-handler.js';
import { tempDir } from '../helpers/temp-dir.js';

const test = redisTest();

let server: RedisServer;
let client: RedisClient;
test.before(async () => {
  server = await startRedis({ config: ['requirepass session-pw'] });
  client = new RedisClient({ port: server.port, password: 'session-pw' });
});
test.after.always(async () => {
  await client?.close();
  await server?.dispose();
});

const storeAddress = () => `redis://:session-pw@127.0.0.1:${server.port}/0`;

/** A visitor of a script whose sessions go to Redis: keeps the `sid` cookie, like a browser. */
function visitor(options: SessionOptions = {}, env: Record<string, string> = {}) {
  let sid: string | undefined;
  const visit = async (work: (session: Session) => void | Promise<void>) => {
    let seen: Session | undefined;
    const result = await runHandler(async (request, response) => {
      seen = await openSession(request, response, { log: () => {}, ...options });
      await work(seen);
      response.text(String(seen.get('n') ?? ''));
    }, { CGI_SESSION_STORE: storeAddress(), ...(sid === undefined ? {} : { HTTP_COOKIE: `sid=${sid}` }), ...env });
    const set = cookieValue(result.response, 'sid');
    if (set !== undefined) sid = set === '' ? undefined : set;
    return { ...result, session: seen };
  };
  return { visit, get sid() { return sid; }, set sid(value) { sid = value; } };
}

const count = (session: Session) => session.set('n', Number(session.get('n') ?? 0) + 1);

test('CGI_SESSION_STORE puts a script\'s sessions in Redis, with their idle timeout as key expiry, and none in the folder', async (t) => {
  const dir = await tempDir();
  const v = visitor({ dir, idleTimeoutSeconds: 600 }, { CGI_SESSION_DIR: dir });
  await v.visit(count);
  await v.visit(count);
  t.is((await v.visit(count)).response.text, '3');
  const pttl = Number(await client.command(['PTTL', `cgi-shim:sess:${v.sid}`]));
  t.true(pttl > 500_000 && pttl <= 600_000, `${pttl}`);
  t.is(await client.command(['EXISTS', `cgi-shim:lock:${v.sid}`]), 0); // Released with the response.
  t.deepEqual(await readdir(dir), []);
});

test('regenerate moves the session to a new key and removes the old one; destroy removes it', async (t) => {
  const v = visitor();
  await v.visit(count);
  const old = v.sid!;
  await v.visit(async (s) => {
    count(s);
    await s.regenerate();
  });
  t.not(v.sid, old);
  t.is(await client.command(['EXISTS', `cgi-shim:sess:${old}`]), 0);
  t.is((await v.visit(() => {})).response.text, '2');
  const current = v.sid!;
  const { response } = await v.visit((s) => s.destroy());
  t.regex(response.header('set-cookie')!, /^sid=; Max-Age=0/);
  t.is(await client.command(['EXISTS', `cgi-shim:sess:${current}`]), 0);
});

test('a request never sweeps a store that expires its sessions itself', async (t) => {
  const before = await scanCalls();
  const v = visitor({ gcProbability: 1 });
  await v.visit(count);
  await v.visit(count);
  t.is(await scanCalls(), before);
});

test('a session whose store is down answers 503 with Retry-After, and counts on once it is back', async (t) => {
  const own = await startRedis();
  t.teardown(() => own.dispose());
  const v = visitor({}, { CGI_SESSION_STORE: `redis://127.0.0.1:${own.port}/0` });
  await v.visit(count);
  await own.kill(); // No persistence: the session is gone with the server.
  const down = await v.visit(count);
  t.is(down.response.status, 503);
  t.regex(down.response.header('retry-after') ?? '', /^\d+$/);
  await own.start();
  t.is((await v.visit(count)).response.text, '1'); // A fresh session: the old one was lost with the server.
});

test('a wrong password or a bad address answers 500 with one log line saying the fix, never the password', async (t) => {
  for (const address of [`redis://:not-session-pw@127.0.0.1:${server.port}/0`, 'memcached://:not-session-pw@127.0.0.1']) {
    const { response, stderr } = await visitor({ log: undefined }, { CGI_SESSION_STORE: address }).visit(count);
    t.is(response.status, 500, address);
    t.is(response.header('retry-after'), undefined);
    t.regex(stderr, /ESESSIONCONFIG|fix: /);
    t.is(stderr.trim().split('\n').length, 1, stderr);
    t.false(stderr.includes('not-session-pw') || response.text.includes('not-session-pw'));
  }
});

async function scanCalls(): Promise<number> {
  const stats = String(await client.command(['INFO', 'commandstats']));
  return Number(/cmdstat_scan:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}
