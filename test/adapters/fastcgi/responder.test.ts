// The FastCGI protocol, spoken by a test client to the responder with a small test application:
// connection reuse (FCGI_KEEP_CONN), PARAMS split inside a pair, large bodies, abort,
// multiplexing, management records, a throwing application, and stopping.
import test from 'ava';
import { createServer, type Server } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_REQUESTS_PER_CONNECTION, Responder, type ResponderApp, type ResponderRequest } from '../../../src/adapters/fastcgi/responder.js';
import { decodeNameValuePairs, encodeNameValuePairs, encodeRecords, ProtocolStatus, RecordType } from '../../../src/adapters/fastcgi/records.js';
import { FcgiConnection, requestBytes } from '../../helpers/fastcgi-client.js';
import { tempDir } from '../../helpers/temp-dir.js';

const MAX_BODY = 100_000;
const PARAMS = { REQUEST_METHOD: 'GET', SCRIPT_NAME: '/t.fcgi', QUERY_STRING: 'a=1' };

interface Harness {
  path: string;
  responder: Responder;
  server: Server;
  seen: ResponderRequest[];
  logged: string[];
  /** Requests whose application waits: resolve them by QUERY_STRING. */
  release(name: string): void;
  aborted(name: string): Promise<unknown>;
}

/** An application answering by the request's CASE param; started for one test. */
async function start(t: import('ava').ExecutionContext): Promise<Harness> {
  const dir = await tempDir('cgi-shim-fcgi-');
  const path = join(dir, 'app.sock');
  const seen: ResponderRequest[] = [];
  const logged: string[] = [];
  const releases = new Map<string, () => void>();
  const gates = new Map<string, Promise<void>>();
  const gate = (name: string) => {
    if (!gates.has(name)) gates.set(name, new Promise((resolve) => releases.set(name, resolve)));
    return gates.get(name)!;
  };
  const app: ResponderApp = async (request) => {
    seen.push(request);
    const { CASE, QUERY_STRING } = request.params;
    if (CASE === 'throw') throw new Error('the application failed');
    if (CASE === 'big') return { stdout: Buffer.concat([Buffer.from('Status: 200 OK\r\n\r\n'), Buffer.alloc(1024 * 1024, 'b')]) };
    if (CASE === 'stderr') return { stdout: Buffer.from('Status: 200 OK\r\n\r\nok'), stderr: Buffer.from('a diagnostic\n') };
    if (CASE === 'wait') await gate(QUERY_STRING ?? '');
    return { stdout: Buffer.from(`Status: 200 OK\r\n\r\n${QUERY_STRING} ${request.body.length}`) };
  };
  const responder = new Responder((request) => (request.params.CASE === 'sync-throw' ? (() => { throw new Error('sync'); })() : app(request)), {
    maxBodyBytes: MAX_BODY, log: (line) => logged.push(line),
  });
  const server = createServer((socket) => responder.handle(socket));
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.teardown(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });
  return {
    path, responder, server, seen, logged,
    release: (name) => { gate(name); releases.get(name)!(); },
    aborted: (name) => new Promise((resolve) => {
      const check = () => {
        const request = seen.find((r) => r.params.QUERY_STRING === name);
        if (request?.signal.aborted) resolve(request.signal.reason);
        else if (request) request.signal.addEventListener('abort', () => resolve(request.signal.reason), { once: true });
        else setImmediate(check);
      };
      check();
    }),
  };
}

test('without FCGI_KEEP_CONN: STDOUT, an empty STDOUT, END_REQUEST, then the application closes', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  const response = await connection.request(PARAMS);
  t.deepEqual(response.types, [RecordType.STDOUT, RecordType.STDOUT, RecordType.END_REQUEST]);
  t.is(response.stdout.toString(), 'Status: 200 OK\r\n\r\na=1 0');
  t.is(response.protocolStatus, ProtocolStatus.REQUEST_COMPLETE);
  await connection.closed;
  t.deepEqual(connection.unread, []);
});

test('with FCGI_KEEP_CONN: the connection serves request after request and nothing follows END_REQUEST', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  for (let i = 0; i < 5; i++) {
    const response = await connection.request({ ...PARAMS, QUERY_STRING: `n=${i}` }, undefined, { keepConn: true });
    t.is(response.stdout.toString(), `Status: 200 OK\r\n\r\nn=${i} 0`);
    // A record after END_REQUEST (node-fastcgi's stray STDERR) would show up here, or in the next answer.
    t.deepEqual(response.types, [RecordType.STDOUT, RecordType.STDOUT, RecordType.END_REQUEST]);
  }
  // The same id again, with STDERR this time: its records, and only its.
  const last = await connection.request({ ...PARAMS, CASE: 'stderr' }, undefined, { keepConn: true });
  t.deepEqual(last.types, [RecordType.STDERR, RecordType.STDERR, RecordType.STDOUT, RecordType.STDOUT, RecordType.END_REQUEST]);
  t.is(last.stderr, 'a diagnostic\n');
  t.deepEqual(connection.unread, []);
  t.is(h.responder.begun, 6);
});

test('PARAMS split inside a name-value pair, at every byte, reach the application whole', async (t) => {
  const h = await start(t);
  const params = { ...PARAMS, HTTP_COOKIE: `sid=${'c'.repeat(200)}`, QUERY_STRING: 'split=yes' };
  const length = encodeNameValuePairs(Object.entries(params)).length;
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  for (let cut = 1; cut < length; cut++) {
    const response = await connection.request(params, undefined, { keepConn: true, splitParamsAt: cut });
    t.is(response.stdout.toString(), 'Status: 200 OK\r\n\r\nsplit=yes 0');
  }
  t.true(h.seen.every((request) => request.params.HTTP_COOKIE === params.HTTP_COOKIE && request.params.SCRIPT_NAME === '/t.fcgi'));
});

test('a 1 MiB response arrives whole, in records of at most 64 KiB', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  const response = await connection.request({ ...PARAMS, CASE: 'big' });
  t.is(response.stdout.length, 'Status: 200 OK\r\n\r\n'.length + 1024 * 1024);
  t.true(response.types.filter((type) => type === RecordType.STDOUT).length >= 17);
});

test('STDIN is kept up to the limit, and the rest is read and dropped', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  const small = await connection.request({ ...PARAMS, QUERY_STRING: 'small' }, Buffer.alloc(70_000, 'x'), { keepConn: true });
  t.is(small.stdout.toString(), 'Status: 200 OK\r\n\r\nsmall 70000');
  const large = await connection.request({ ...PARAMS, QUERY_STRING: 'large' }, Buffer.alloc(300_000, 'y'), { keepConn: true });
  t.is(large.stdout.toString(), `Status: 200 OK\r\n\r\nlarge ${MAX_BODY}`);
  t.true(h.seen[1]!.body.equals(Buffer.alloc(MAX_BODY, 'y')));
});

test('ABORT_REQUEST while the application runs: END_REQUEST at once, the application told, its answer dropped', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  connection.send(requestBytes({ ...PARAMS, CASE: 'wait', QUERY_STRING: 'slow' }, undefined, { keepConn: true }));
  const abortedWith = h.aborted('slow');
  // Only once the application runs: an abort before it would not reach it.
  while (h.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
  connection.send(encodeRecords(RecordType.ABORT_REQUEST, 1, Buffer.alloc(0)));
  const response = await connection.response(1);
  t.deepEqual(response.types, [RecordType.END_REQUEST]);
  t.is(response.appStatus, 1);
  t.regex(String(await abortedWith), /aborted/);
  h.release('slow');
  // The connection is kept, and the late answer of the aborted request never comes.
  const next = await connection.request({ ...PARAMS, QUERY_STRING: 'next' }, undefined, { keepConn: true });
  t.is(next.stdout.toString(), 'Status: 200 OK\r\n\r\nnext 0');
  t.deepEqual(connection.unread, []);
});

test('ABORT_REQUEST before STDIN ends: END_REQUEST, and the application never runs', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  connection.send(requestBytes({ ...PARAMS, REQUEST_METHOD: 'POST', CONTENT_LENGTH: '10' }, Buffer.from('12345'), { keepConn: true, abort: true }));
  const response = await connection.response(1);
  t.deepEqual(response.types, [RecordType.END_REQUEST]);
  const next = await connection.request(PARAMS, undefined, { keepConn: true });
  t.is(next.stdout.toString(), 'Status: 200 OK\r\n\r\na=1 0');
  t.is(h.seen.length, 1);
});

test('a connection lost in the middle of a body: the application never runs', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  const whole = requestBytes({ ...PARAMS, REQUEST_METHOD: 'POST', CONTENT_LENGTH: '1000' }, Buffer.alloc(1000));
  connection.send(whole.subarray(0, whole.length - 20));
  connection.socket.end();
  await connection.closed;
  const after = await FcgiConnection.open(h.path);
  t.is((await after.request(PARAMS)).stdout.toString(), 'Status: 200 OK\r\n\r\na=1 0');
  t.is(h.seen.length, 1);
});

test('multiplexed requests on one connection are answered each under its own id, in any order', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  connection.send(Buffer.concat([
    requestBytes({ ...PARAMS, CASE: 'wait', QUERY_STRING: 'one' }, undefined, { id: 1, keepConn: true }),
    requestBytes({ ...PARAMS, QUERY_STRING: 'two' }, Buffer.from('22'), { id: 2, keepConn: true }),
  ]));
  const two = await connection.response(2);
  t.is(two.stdout.toString(), 'Status: 200 OK\r\n\r\ntwo 2');
  h.release('one');
  const one = await connection.response(1);
  t.is(one.stdout.toString(), 'Status: 200 OK\r\n\r\none 0');
});

test(`more than ${MAX_REQUESTS_PER_CONNECTION} requests in flight on one connection: the next is refused OVERLOADED`, async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  const begin = (id: number) => encodeRecords(RecordType.BEGIN_REQUEST, id, Buffer.from([0, 1, 1, 0, 0, 0, 0, 0]));
  for (let id = 1; id <= MAX_REQUESTS_PER_CONNECTION; id++) connection.send(begin(id));
  connection.send(begin(MAX_REQUESTS_PER_CONNECTION + 1));
  const refused = await connection.response(MAX_REQUESTS_PER_CONNECTION + 1);
  t.is(refused.protocolStatus, ProtocolStatus.OVERLOADED);
});

test('GET_VALUES is answered for the variables it knows', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  connection.send(encodeRecords(RecordType.GET_VALUES, 0, encodeNameValuePairs([['FCGI_MPXS_CONNS', ''], ['FCGI_MAX_REQS', ''], ['X_OTHER', '']])));
  const record = await connection.management();
  t.is(record.type, RecordType.GET_VALUES_RESULT);
  t.deepEqual({ ...decodeNameValuePairs(record.content) }, { FCGI_MPXS_CONNS: '1', FCGI_MAX_REQS: String(MAX_REQUESTS_PER_CONNECTION) });
});

test('an unknown management record is answered with UNKNOWN_TYPE, and the connection goes on', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  t.teardown(() => connection.close());
  connection.send(encodeRecords(12, 0, Buffer.alloc(0)));
  const record = await connection.management();
  t.is(record.type, RecordType.UNKNOWN_TYPE);
  t.is(record.content[0], 12);
  t.is((await connection.request(PARAMS, undefined, { keepConn: true })).stdout.toString(), 'Status: 200 OK\r\n\r\na=1 0');
});

test('a role other than RESPONDER is refused with UNKNOWN_ROLE', async (t) => {
  const h = await start(t);
  const connection = await FcgiConnection.open(h.path);
  const response = await connection.request(PARAMS, undefined, { role: 2 });
  t.is(response.protocolStatus, ProtocolStatus.UNKNOWN_ROLE);
  t.is(h.seen.length, 0);
});

for (const which of ['throw', 'sync-throw']) {
  test(`an application that fails (${which}) answers a bare 500 for that request only`, async (t) => {
    const h = await start(t);
    const connection = await FcgiConnection.open(h.path);
    t.teardown(() => connection.close());
    const failed = await connection.request({ ...PARAMS, CASE: which }, undefined, { keepConn: true });
    t.is(failed.cgi.status, 500);
    t.is(failed.appStatus, 1);
    t.is(h.logged.length, 1);
    t.is((await connection.request(PARAMS, undefined, { keepConn: true })).stdout.toString(), 'Status: 200 OK\r\n\r\na=1 0');
  });
}

test('a record of another version closes that connection only', async (t) => {
  const h = await start(t);
  const bad = await FcgiConnection.open(h.path);
  const bytes = requestBytes(PARAMS);
  bytes[0] = 9;
  bad.send(bytes);
  await bad.closed;
  t.regex(h.logged.join('\n'), /closing a FastCGI connection: a record of version 9/);
  const good = await FcgiConnection.open(h.path);
  t.is((await good.request(PARAMS)).stdout.toString(), 'Status: 200 OK\r\n\r\na=1 0');
});

test('stop finishes requests in flight, waits for a connection\'s first request, and closes kept connections', async (t) => {
  const h = await start(t);
  const idle = await FcgiConnection.open(h.path);
  await idle.request({ ...PARAMS, QUERY_STRING: 'idle' }, undefined, { keepConn: true });
  const busy = await FcgiConnection.open(h.path);
  busy.send(requestBytes({ ...PARAMS, CASE: 'wait', QUERY_STRING: 'busy' }, undefined, { keepConn: true }));
  const early = await FcgiConnection.open(h.path);
  while (h.seen.length < 2) await new Promise((resolve) => setImmediate(resolve));
  h.server.close();
  const stopped = h.responder.stop(60_000);
  await idle.closed;
  const late = await early.request({ ...PARAMS, QUERY_STRING: 'late' });
  t.is(late.stdout.toString(), 'Status: 200 OK\r\n\r\nlate 0');
  h.release('busy');
  t.is((await busy.response(1)).stdout.toString(), 'Status: 200 OK\r\n\r\nbusy 0');
  await stopped;
  await Promise.all([busy.closed, early.closed]);
  t.is(h.responder.inFlight, 0);
});
