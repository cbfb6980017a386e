import test from 'ava';
import { requestFromEnv } from '../../src/core/request.js';
import { resolveSettings, SESSION_DEFAULTS } from '../../src/session/options.js';

const DIR = '/tmp/cgi-shim-options-never-written';

test('resolveSettings sweeps on the request path under CGI, not under FastCGI (FCGI_ROLE set)', async (t) => {
  const cgi = requestFromEnv({ REQUEST_METHOD: 'GET' }, Buffer.alloc(0));
  const fastcgi = requestFromEnv({ REQUEST_METHOD: 'GET', FCGI_ROLE: 'RESPONDER' }, Buffer.alloc(0));
  t.is((await resolveSettings(cgi, { dir: DIR })).gcProbability, SESSION_DEFAULTS.gcProbability);
  t.is((await resolveSettings(fastcgi, { dir: DIR })).gcProbability, 0);
  t.is((await resolveSettings(fastcgi, { dir: DIR, gcProbability: 0.5 })).gcProbability, 0.5, 'a script\'s own choice wins');
});
