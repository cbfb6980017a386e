// `cgi-shim sessions` and `cgi-shim gc` against sessions kept in Redis (CGI_SESSION_STORE or
// --store), as an operator runs them.
import { createSessionId } from '../../src/session/id.js';
import { RedisSessionStore } from '../../src/session/redis/store.js';
import { runCli } from '../helpers/cli.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { redisTest } from '../helpers/redis-test.js';

const test = redisTest();
const PASSWORD = 'cli-secret-pw';

let server: RedisServer;
let store: RedisSessionStore;
test.before(async () => {
  server = await startRedis({ config: [`requirepass ${PASSWORD}`] });
  store = new RedisSessionStore({ server: address(), log: () => {} });
});
test.after.always(async () => {
  await store?.close();
  await server?.dispose();
});

function address(db = 0): string {
  return `redis://:${PASSWORD}@127.0.0.1:${server.port}/${db}`;
}

async function sessionsIn(db: number, count: number): Promise<string[]> {
  const inDb = new RedisSessionStore({ server: address(db), log: () => {} });
  const ids = await Promise.all(Array.from({ length: count }, () => createSessionId()));
  const now = Date.now();
  await Promise.all(ids.map((id) => inDb.write(id, { createdAt: now, touchedAt: now, data: { user: 'ada' } })));
  await inDb.close();
  return ids;
}

test('sessions list reads CGI_SESSION_STORE, shows each session and its state, and never the password', async (t) => {
  const ids = await sessionsIn(1, 250); // More than one batch of reads.
  const lock = await new RedisSessionStore({ server: address(1), log: () => {} }).lock(ids[0]!);
  t.teardown(() => lock.release());
  const run = await runCli(['sessions', 'list'], { env: { CGI_SESSION_STORE: address(1) } });
  t.is(run.code, 0, run.stderr);
  const out = run.stdout.toString();
  t.is(out.match(/ live\n/g)?.length, 249);
  t.regex(out, new RegExp(`${ids[0]}.* locked\n`));
  t.regex(out, new RegExp(`250 sessions in redis://127\\.0\\.0\\.1:${server.port}\n$`));
  t.false(out.includes(PASSWORD) || run.stderr.includes(PASSWORD));
});

test('sessions show and delete work on one session given by --store', async (t) => {
  const [id] = await sessionsIn(2, 1);
  const shown = await runCli(['sessions', 'show', id!, '--store', address(2)], { env: { CGI_SESSION_STORE: '' } });
  t.is(shown.code, 0, shown.stderr);
  t.like(JSON.parse(shown.stdout.toString()), { data: { user: 'ada' } });
  const deleted = await runCli(['sessions', 'delete', id!, '--store', address(2)], { env: { CGI_SESSION_STORE: '' } });
  t.is(deleted.code, 0, deleted.stderr);
  t.is(deleted.stdout.toString(), `deleted ${id}\n`);
  const again = await runCli(['sessions', 'show', id!, '--store', address(2)], { env: { CGI_SESSION_STORE: '' } });
  t.is(again.code, 1);
  t.regex(again.stderr, /no session/);
});

test('gc says that sessions in Redis expire by themselves, and leaves them', async (t) => {
  const ids = await sessionsIn(3, 2);
  const run = await runCli(['gc'], { env: { CGI_SESSION_STORE: address(3) } });
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout.toString(), `nothing to do: sessions in redis://127.0.0.1:${server.port} expire by themselves (Redis key expiry)\n`);
  const left = new RedisSessionStore({ server: address(3), log: () => {} });
  t.is((await left.list()).length, ids.length);
  await left.close();
});

test('a wrong password is one line saying what to fix, without the password; --dir and --store together are refused', async (t) => {
  const wrong = await runCli(['sessions', 'list', '--store', `redis://:not-${PASSWORD}@127.0.0.1:${server.port}/0`]);
  t.is(wrong.code, 1);
  t.regex(wrong.stderr, /^cgi-shim: .*WRONGPASS.*; fix: the user, password and database in CGI_SESSION_STORE/);
  t.false(wrong.stderr.includes(`not-${PASSWORD}`));
  const both = await runCli(['sessions', 'list', '--store', address(), '--dir', '/tmp']);
  t.is(both.code, 2);
  t.regex(both.stderr, /--dir and --store name two stores/);
});
