import test from 'ava';
import { requestFromEnv } from '../../src/core/request.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { resolveSettings, SESSION_DEFAULTS } from '../../src/session/options.js';
import type { RedisSessionStore } from '../../src/session/redis/store.js';

const DIR = '/tmp/cgi-shim-options-never-written';

test('resolveSettings sweeps on the request path under CGI, not under FastCGI (FCGI_ROLE set)', async (t) => {
  const cgi = requestFromEnv({ REQUEST_METHOD: 'GET' }, Buffer.alloc(0));
  const fastcgi = requestFromEnv({ REQUEST_METHOD: 'GET', FCGI_ROLE: 'RESPONDER' }, Buffer.alloc(0));
  t.is((await resolveSettings(cgi, { dir: DIR })).gcProbability, SESSION_DEFAULTS.gcProbability);
  t.is((await resolveSettings(fastcgi, { dir: DIR })).gcProbability, 0);
  t.is((await resolveSettings(fastcgi, { dir: DIR, gcProbability: 0.5 })).gcProbability, 0.5, 'a script\'s own choice wins');
});

test('resolveSettings: the file store of a FastCGI request (FCGI_ROLE set) makes its file calls in the thread pool', async (t) => {
  const env = { REQUEST_METHOD: 'GET', CGI_SESSION_DIR: DIR };
  const stores = await Promise.all([env, { ...env, FCGI_ROLE: 'RESPONDER' }].map(async (vars) =>
    (await resolveSettings(requestFromEnv(vars, Buffer.alloc(0)), {})).store as FileSessionStore));
  t.deepEqual(stores.map((store) => [store.dir, store.threadPool]), [[DIR, false], [DIR, true]]);
});

test('resolveSettings refuses a gcProbability outside 0 to 1, and takes both ends', async (t) => {
  const request = requestFromEnv({ REQUEST_METHOD: 'GET' }, Buffer.alloc(0));
  for (const gcProbability of [-0.01, 1.01, Number.NaN]) {
    await t.throwsAsync(resolveSettings(request, { dir: DIR, gcProbability }), { instanceOf: TypeError, message: `option gcProbability is invalid: ${gcProbability}` });
  }
  for (const gcProbability of [0, 1]) t.is((await resolveSettings(request, { dir: DIR, gcProbability })).gcProbability, gcProbability);
});

test('resolveSettings takes 0 seconds (touchAfterSeconds 0 saves on every request) and refuses fewer', async (t) => {
  const request = requestFromEnv({ REQUEST_METHOD: 'GET' }, Buffer.alloc(0));
  t.is((await resolveSettings(request, { dir: DIR, touchAfterSeconds: 0 })).touchAfterMs, 0);
  await t.throwsAsync(resolveSettings(request, { dir: DIR, touchAfterSeconds: -1 }), { instanceOf: TypeError, message: 'option touchAfterSeconds is invalid: -1' });
});

test('resolveSettings hands the session timeouts, in seconds, to the store CGI_SESSION_STORE names: its keys expire by them', async (t) => {
  // No command is sent: the client connects on its first one.
  const request = requestFromEnv({ REQUEST_METHOD: 'GET', CGI_SESSION_STORE: 'redis://127.0.0.1:1/0' }, Buffer.alloc(0));
  const store = (await resolveSettings(request, { idleTimeoutSeconds: 120, absoluteTimeoutSeconds: 3600 })).store as RedisSessionStore;
  t.deepEqual([store.idleMs, store.absoluteMs], [120_000, 3_600_000]);
  await store.close();
});
