// Two web servers sharing one Redis: a private Apache and a private lighttpd, each with our shipped
// configuration and one line of the user's (CGI_SESSION_STORE), serving the same built
// counter.cgi. A visitor's requests split across both count exactly; Redis stopped mid-run gives
// 503s and no corrupt session; with append-only persistence a restart loses nothing committed.
import ava, { type ExecutionContext } from 'ava';
import { RedisClient } from '../../src/session/redis/client.js';
import { parseRecord } from '../../src/session/record.js';
import { exclusively } from '../helpers/exclusive.js';
import { fetchOnce, honouringRetryAfter } from '../helpers/http-client.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { redisTest } from '../helpers/redis-test.js';
import { isInstalled, PACKAGES, startApache, startLighttpd, type RunningServer } from '../helpers/servers.js';

const test = redisTest();
const PARALLEL = 200;

const missing = (['apache', 'lighttpd'] as const).filter((kind) => !isInstalled(kind));
if (missing.length > 0 && process.env.CI !== 'true') {
  const install = `sudo apt-get install ${missing.map((kind) => PACKAGES[kind]).join(' ')}`;
  console.warn(`\n${'!'.repeat(100)}\n!!! SKIPPED: two web servers sharing one Redis need ${missing.join(' and ')}: ${install}\n${'!'.repeat(100)}\n`);
}
const serversTest = missing.length > 0 && process.env.CI !== 'true' ? ava.serial.skip : test.serial;

let redis: RedisServer;
let client: RedisClient;
let servers: RunningServer[] = [];
test.before(async () => {
  // Append-only, fsync'd on every write: a server killed and started again keeps every session
  // it acknowledged (what this file tests); the other tests' servers keep nothing.
  redis = await startRedis({ appendOnly: true });
  client = new RedisClient({ port: redis.port });
  const scriptEnv = { CGI_SESSION_STORE: redis.url };
  servers = await Promise.all([startApache({ scriptEnv }), startLighttpd({ scriptEnv })]);
});
test.after.always(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await client?.close();
  await redis?.dispose();
});

/** One visitor: a cookie, sent to either server. */
async function newVisitor(t: ExecutionContext): Promise<string> {
  const first = await fetchOnce(servers[0]!.url('/cgi-bin/counter.cgi'));
  t.is(first.status, 200, await errorLogs());
  const sid = /^sid=([A-Za-z0-9_-]{43});/.exec(first.headers.get('set-cookie') ?? '')?.[1];
  if (sid === undefined) throw new Error(`no session cookie: ${await first.text()}`);
  await first.arrayBuffer().catch(() => {});
  return sid;
}

async function visit(server: RunningServer, sid: string): Promise<Response> {
  return fetchOnce(server.url('/cgi-bin/counter.cgi'), { headers: { cookie: `sid=${sid}` } });
}

function countIn(page: string): number {
  return Number(/<strong id="count">(\d+)<\/strong>/.exec(page)?.[1]);
}

async function errorLogs(): Promise<string> {
  return (await Promise.all(servers.map((server) => server.readLog(server.scriptErrorLog)))).join('\n');
}

serversTest(`${PARALLEL} parallel requests on one cookie, split across Apache and lighttpd, each count exactly once`, async (t) => {
  const sid = await newVisitor(t);
  // Two servers' worth of processes at once on two cores: a request may wait for the lock past
  // its waitMs and get the documented 503 with Retry-After, having written nothing; a client
  // that honours it must still be counted exactly once.
  let retried = 0;
  const request = (i: number) => honouringRetryAfter(t, () => visit(servers[i % 2]!, sid), () => retried++);
  const responses = await exclusively(() => Promise.all(Array.from({ length: PARALLEL }, (_, i) => request(i))));
  const counts = await Promise.all(responses.map(async (response) => countIn(await response.text())));
  if (retried > 0) t.log(`${retried} of ${PARALLEL} requests answered 503 first and were retried after Retry-After`);
  t.deepEqual(responses.map((response) => response.status).filter((status) => status !== 200), [], await errorLogs());
  t.deepEqual([...counts].sort((a, b) => a - b), Array.from({ length: PARALLEL }, (_, i) => i + 2), 'each count seen exactly once');
  const last = await visit(servers[1]!, sid);
  t.is(countIn(await last.text()), PARALLEL + 2);
});

serversTest('Redis hung or stopped mid-run: both servers answer 503 with Retry-After; once back, nothing committed is lost', async (t) => {
  const sid = await newVisitor(t);
  let count = 1;
  const expectCount = async (server: RunningServer) => {
    count++;
    const response = await visit(server, sid);
    t.is(response.status, 200, `${server.kind}: ${await errorLogs()}`);
    t.is(countIn(await response.text()), count, server.kind);
  };
  const expectUnavailable = async (server: RunningServer, why: string) => {
    const response = await visit(server, sid);
    t.is(response.status, 503, `${server.kind}, ${why}`);
    t.regex(response.headers.get('retry-after') ?? '', /^\d+$/, `${server.kind}, ${why}`);
    await response.arrayBuffer();
  };
  for (const server of [...servers, ...servers]) await expectCount(server);
  redis.pause(); // Connections accepted, nothing answered: the scripts' own timeouts end the wait.
  try {
    for (const server of servers) await expectUnavailable(server, 'Redis hung');
  } finally {
    redis.resume();
  }
  await expectCount(servers[0]!);
  await redis.kill(); // SIGKILL: no chance to save anything on the way out.
  for (const server of servers) await expectUnavailable(server, 'Redis down');
  await redis.start();
  // Every count a 200 answered was written to the append-only file before the answer: the
  // session is whole and goes on from there.
  const raw = await client.command(['GET', `cgi-shim:sess:${sid}`]);
  t.is(parseRecord(String(raw))?.data.visits, count);
  for (const server of servers) await expectCount(server);
});
