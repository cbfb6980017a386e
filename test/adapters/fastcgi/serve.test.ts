// The FastCGI adapter in-process: the behaviour table every adapter runs, then what only a
// persistent process must get right: settings from its environment, nothing shared between
// requests, a failing or hanging request that harms no other, and session locks.
import test from 'ava';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createFastCgiService, type FastCgiOptions, type FastCgiService } from '../../../src/adapters/fastcgi/serve.js';
import { openSession, type Handler } from '../../../src/index.js';
import { FcgiConnection, fastCgiRequest, requestBytes } from '../../helpers/fastcgi-client.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { BASE_ENV, BEHAVIOURS, type AdapterRun, type InvokeOptions } from '../behaviour.js';

/** A service for `handler` on a fresh Unix socket; stopped when the test ends. */
async function serve(t: import('ava').ExecutionContext, handler: Handler, options: FastCgiOptions = {}): Promise<{ path: string; service: FastCgiService }> {
  const dir = await tempDir('cgi-shim-fcgi-serve-');
  const path = join(dir, 's.sock');
  const service = createFastCgiService(handler, { processEnv: {}, ...options });
  await new Promise<void>((resolve) => service.server.listen(path, resolve));
  t.teardown(async () => {
    await service.stop();
    await rm(dir, { recursive: true, force: true });
  });
  return { path, service };
}

/** The behaviour table's invoke: one request to a fresh service. */
function invoker(t: import('ava').ExecutionContext) {
  return async (handler: Handler, options: InvokeOptions = {}): Promise<AdapterRun> => {
    const { env = BASE_ENV, stdin, ...pipelineOptions } = options;
    const { path } = await serve(t, handler, pipelineOptions);
    const response = await fastCgiRequest(path, env, stdin);
    return { status: response.appStatus, response: response.cgi, stderr: response.stderr };
  };
}

for (const behaviour of BEHAVIOURS) {
  test(`FastCGI ${behaviour.title}`, (t) => behaviour.run(t, invoker(t)));
}

test('the runtime\'s settings come from the params, else from the process\'s CGI_ variables; FCGI_ROLE is set', async (t) => {
  const handler: Handler = (req, res) => {
    res.json({ dir: req.env.CGI_SESSION_DIR ?? null, debug: req.env.CGI_DEBUG ?? null, home: req.env.HOME ?? null, role: req.env.FCGI_ROLE ?? null });
  };
  const { path } = await serve(t, handler, { processEnv: { CGI_SESSION_DIR: '/from/process', CGI_DEBUG: '1', HOME: '/root' } });
  const fallback = await fastCgiRequest(path, BASE_ENV);
  t.deepEqual(JSON.parse(fallback.cgi.text), { dir: '/from/process', debug: '1', home: null, role: 'RESPONDER' });
  const params = await fastCgiRequest(path, { ...BASE_ENV, CGI_SESSION_DIR: '/from/params' });
  t.deepEqual(JSON.parse(params.cgi.text), { dir: '/from/params', debug: '1', home: null, role: 'RESPONDER' });
});

test('nothing of one request reaches the next: environment, headers, status', async (t) => {
  const handler: Handler = (req, res) => {
    const env = req.env as Record<string, string | undefined>;
    const seen = { leak: env.LEAKED ?? null, cookie: req.cookies.a ?? null };
    env.LEAKED = 'yes';
    if (req.query.get('set') === '1') {
      res.status = 202;
      res.setHeader('X-Set', 'one');
      res.setCookie('a', '1');
    }
    res.json(seen);
  };
  const { path } = await serve(t, handler);
  const connection = await FcgiConnection.open(path);
  t.teardown(() => connection.close());
  const first = await connection.request({ ...BASE_ENV, QUERY_STRING: 'set=1' }, undefined, { keepConn: true });
  t.is(first.cgi.status, 202);
  const second = await connection.request(BASE_ENV, undefined, { keepConn: true });
  t.is(second.cgi.status, 200);
  t.is(second.cgi.header('x-set'), undefined);
  t.is(second.cgi.header('set-cookie'), undefined);
  t.deepEqual(JSON.parse(second.cgi.text), { leak: null, cookie: null });
});

test('a crashing request does not disturb a concurrent one', async (t) => {
  let release = () => {};
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const handler: Handler = async (req, res) => {
    if (req.query.get('crash') === '1') throw new Error('crash on purpose');
    await gate;
    res.text('finished');
  };
  const { path } = await serve(t, handler);
  const slow = fastCgiRequest(path, BASE_ENV);
  const crashed = await fastCgiRequest(path, { ...BASE_ENV, QUERY_STRING: 'crash=1' });
  t.is(crashed.cgi.status, 500);
  t.regex(crashed.stderr, /crash on purpose/);
  release();
  const answered = await slow;
  t.is(answered.cgi.status, 200);
  t.is(answered.cgi.text, 'finished');
  t.is(answered.stderr, '');
});

test('a handler that never finishes gets a 500 after the timeout, and its finish hooks ok=false', async (t) => {
  const hooks: boolean[] = [];
  const handler: Handler = (req, res) => {
    res.onFinish((ok) => { hooks.push(ok); });
    if (req.query.get('hang') === '1') return new Promise(() => {});
    res.text('quick');
  };
  const { path } = await serve(t, handler, { requestTimeoutSeconds: 0.2 });
  const hung = await fastCgiRequest(path, { ...BASE_ENV, QUERY_STRING: 'hang=1' });
  t.is(hung.cgi.status, 500);
  t.is(hung.appStatus, 1);
  t.regex(hung.stderr, /took longer than 0\.2 s/);
  t.deepEqual(hooks, [false]);
  t.is((await fastCgiRequest(path, BASE_ENV)).cgi.text, 'quick');
});

test('a timed-out request releases its session lock: the next request on that session gets it', async (t) => {
  const sessions = await tempDir('cgi-shim-fcgi-sessions-');
  t.teardown(() => rm(sessions, { recursive: true, force: true }));
  const handler: Handler = async (req, res) => {
    const session = await openSession(req, res, { waitMs: 20_000 });
    session.set('visits', Number(session.get('visits') ?? 0) + 1);
    if (req.query.get('hang') === '1') return new Promise(() => {});
    res.text(String(session.get('visits')));
  };
  const { path } = await serve(t, handler, { requestTimeoutSeconds: 1, processEnv: { CGI_SESSION_DIR: sessions } });
  const first = await fastCgiRequest(path, BASE_ENV);
  const cookie = /^(sid=[^;]+)/.exec(first.cgi.header('set-cookie') ?? '')?.[1] ?? '';
  t.is(first.cgi.text, '1');
  const hung = await fastCgiRequest(path, { ...BASE_ENV, QUERY_STRING: 'hang=1', HTTP_COOKIE: cookie });
  t.is(hung.cgi.status, 500);
  // Not saved (the request failed), and not locked: the next one counts from 1 again, at once.
  const next = await fastCgiRequest(path, { ...BASE_ENV, HTTP_COOKIE: cookie });
  t.is(next.cgi.status, 200);
  t.is(next.cgi.text, '2');
});

test('requests on one session in one process wait for its lock without blocking others, and count exactly', async (t) => {
  const sessions = await tempDir('cgi-shim-fcgi-sessions-');
  t.teardown(() => rm(sessions, { recursive: true, force: true }));
  const handler: Handler = async (req, res) => {
    if (req.query.get('plain') === '1') return void res.text('plain');
    const session = await openSession(req, res);
    const count = Number(session.get('visits') ?? 0) + 1;
    session.set('visits', count);
    // The lock is held across a turn of the event loop: another request could run meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    res.text(String(count));
  };
  const { path } = await serve(t, handler, { processEnv: { CGI_SESSION_DIR: sessions } });
  const first = await fastCgiRequest(path, BASE_ENV);
  const cookie = /^(sid=[^;]+)/.exec(first.cgi.header('set-cookie') ?? '')?.[1] ?? '';
  const env = { ...BASE_ENV, HTTP_COOKIE: cookie };
  const visits = Array.from({ length: 50 }, () => fastCgiRequest(path, env));
  const plain = await fastCgiRequest(path, { ...BASE_ENV, QUERY_STRING: 'plain=1' });
  t.is(plain.cgi.text, 'plain');
  const counts = (await Promise.all(visits)).map((r) => Number(r.cgi.text)).sort((a, b) => a - b);
  t.deepEqual(counts, Array.from({ length: 50 }, (_, i) => i + 2));
});

test('ABORT_REQUEST tells the finish hooks ok=false', async (t) => {
  const hooks: boolean[] = [];
  let started = () => {};
  const running = new Promise<void>((resolve) => { started = resolve; });
  const handler: Handler = (_req, res) => {
    res.onFinish((ok) => { hooks.push(ok); });
    started();
    return new Promise(() => {});
  };
  const { path } = await serve(t, handler);
  const connection = await FcgiConnection.open(path);
  t.teardown(() => connection.close());
  connection.send(requestBytes(BASE_ENV, undefined, { keepConn: true }));
  await running;
  connection.send(requestBytes(BASE_ENV, undefined, { keepConn: true, abort: true }).subarray(-8));
  const response = await connection.response(1);
  t.is(response.appStatus, 1);
  while (hooks.length === 0) await new Promise((resolve) => setImmediate(resolve));
  t.deepEqual(hooks, [false]);
});
