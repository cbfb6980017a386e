import test from 'ava';
import { requestFromEnv } from '../../src/core/request.js';
import { FileSessionStore } from '../../src/session/file-store.js';
import { resolveSettings, SESSION_DEFAULTS } from '../../src/session/options.js';

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
