// The built counter.cgi, unchanged, with its sessions in Redis: CGI_SESSION_STORE in its
// environment is the whole switch. Each request is a process, as under a web server.
import { runScript } from '../helpers/cgi.js';
import { exclusively } from '../helpers/exclusive.js';
import { startRedis, type RedisServer } from '../helpers/redis-server.js';
import { redisTest } from '../helpers/redis-test.js';

const test = redisTest();
const PARALLEL = 50;

let server: RedisServer;
test.before(async () => {
  server = await startRedis();
});
test.after.always(async () => {
  await server?.dispose();
});

function visit(extra: Record<string, string> = {}) {
  return runScript('counter', { env: { CGI_SESSION_STORE: server.url, ...extra } });
}

function countIn(text: string): number {
  return Number(/<strong id="count">(\d+)<\/strong>/.exec(text)?.[1]);
}

async function newVisitor(): Promise<string> {
  const first = await visit();
  const sid = /^sid=([A-Za-z0-9_-]{43});/.exec(first.response.header('set-cookie') ?? '')?.[1];
  if (sid === undefined) throw new Error(`no session cookie: ${first.stderr}`);
  return `sid=${sid}`;
}

test.serial('counter.cgi counts the visits of a session kept in Redis', async (t) => {
  const first = await visit();
  t.is(countIn(first.response.text), 1, first.stderr);
  const cookie = first.response.header('set-cookie')!.split(';', 1)[0]!;
  t.is(countIn((await visit({ HTTP_COOKIE: cookie })).response.text), 2);
  const third = await visit({ HTTP_COOKIE: cookie });
  t.is(countIn(third.response.text), 3);
  t.is(third.response.header('set-cookie'), undefined);
});

test.serial(`counter.cgi run ${PARALLEL} times at once on one cookie counts every visit: the lock holds across processes`, async (t) => {
  const cookie = await newVisitor();
  const runs = await exclusively(() => Promise.all(Array.from({ length: PARALLEL }, () =>
    runScript('counter', { env: { CGI_SESSION_STORE: server.url, HTTP_COOKIE: cookie }, timeoutMs: 60_000 }))));
  t.deepEqual(runs.map((run) => run.response.status), Array(PARALLEL).fill(200), runs.map((run) => run.stderr).join(''));
  t.deepEqual(runs.map((run) => countIn(run.response.text)).sort((a, b) => a - b), Array.from({ length: PARALLEL }, (_, i) => i + 2));
});

test.serial('counter.cgi answers 503 with Retry-After while Redis hangs or is down, and counts on once it is back', async (t) => {
  const cookie = await newVisitor();
  server.pause(); // Connections are accepted, nothing is answered: the client's timeouts end the wait.
  try {
    const hung = await visit({ HTTP_COOKIE: cookie });
    t.is(hung.response.status, 503, hung.stderr);
    t.regex(hung.response.header('retry-after') ?? '', /^\d+$/);
  } finally {
    server.resume();
  }
  await server.kill();
  const down = await visit({ HTTP_COOKIE: cookie });
  t.is(down.response.status, 503);
  t.regex(down.response.header('retry-after') ?? '', /^\d+$/);
  t.regex(down.stderr, /ECONNREFUSED/);
  await server.start();
  // No persistence in this server: the session went with it, so the count starts again.
  const back = await visit({ HTTP_COOKIE: cookie });
  t.is(countIn(back.response.text), 1, back.stderr);
});

test.serial('counter.cgi answers 500, not 503, for a wrong password, and never shows it', async (t) => {
  const wrong = `redis://:a-wrong-password@127.0.0.1:${server.port}/0`;
  const cookie = await newVisitor();
  for (const extra of [{}, { HTTP_COOKIE: cookie }] as Array<Record<string, string>>) {
    const run = await visit({ CGI_SESSION_STORE: wrong, ...extra });
    t.is(run.response.status, 500);
    t.is(run.response.header('retry-after'), undefined);
    t.regex(run.stderr, /fix: the user, password and database in CGI_SESSION_STORE/);
    t.false(run.stdout.includes('a-wrong-password') || run.stderr.includes('a-wrong-password'));
  }
});
