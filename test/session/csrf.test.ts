import test from 'ava';
import { csrfToken, openSession, verifyCsrf, type Session } from '../../src/index.js';
import { runHandler } from '../helpers/run-handler.js';
import { cookieValue, runScript } from '../helpers/cgi.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Opens a session with a token, then makes a second request with `env` and the cookie. */
async function twoRequests(env: Record<string, string>, body: string, useForm: boolean, tamper?: (token: string) => string) {
  const dir = await tempDir();
  let token = '';
  const first = await runHandler(async (request, response) => {
    const session = await openSession(request, response, { dir, gcProbability: 0 });
    token = await csrfToken(session);
    response.text('form');
  });
  const sid = cookieValue(first.response, 'sid')!;
  const sent = tamper ? tamper(token) : token;
  const text = body.replace('TOKEN', encodeURIComponent(sent));
  let session: Session | undefined;
  const second = await runHandler(async (request, response) => {
    session = await openSession(request, response, { dir, gcProbability: 0 });
    const form = useForm ? await request.form() : undefined;
    await verifyCsrf(request, session, form);
    response.text('accepted');
  }, {
    HTTP_COOKIE: `sid=${sid}`, CONTENT_LENGTH: String(Buffer.byteLength(text)),
    ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('TOKEN', sent)])),
  }, text);
  return { token, second: second.response };
}

const POST_FORM = { REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/x-www-form-urlencoded' };

test('verifyCsrf accepts a POST with the session token in the form', async (t) => {
  const { token, second } = await twoRequests(POST_FORM, 'item=tea&_csrf=TOKEN', true);
  t.regex(token, /^[A-Za-z0-9_-]{43}$/);
  t.is(second.status, 200);
  t.is(second.text, 'accepted');
});

test('verifyCsrf accepts a POST with the token in X-CSRF-Token', async (t) => {
  const { second } = await twoRequests({ REQUEST_METHOD: 'POST', HTTP_X_CSRF_TOKEN: 'TOKEN' }, '', false);
  t.is(second.status, 200);
});

test('verifyCsrf rejects a POST without a token with 403', async (t) => {
  const { second } = await twoRequests(POST_FORM, 'item=tea', true);
  t.is(second.status, 403);
  t.regex(second.text, /This form has expired or did not come from this site\. Reload the page and try again\./);
});

test('verifyCsrf rejects a POST with a wrong token with 403', async (t) => {
  const { second } = await twoRequests(POST_FORM, 'item=tea&_csrf=TOKEN', true, (token) => `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`);
  t.is(second.status, 403);
});

test('verifyCsrf rejects a POST with a token of another length with 403', async (t) => {
  const { second } = await twoRequests(POST_FORM, 'item=tea&_csrf=TOKEN', true, (token) => token.slice(0, 10));
  t.is(second.status, 403);
});

test('verifyCsrf lets GET through unchecked', async (t) => {
  const { second } = await twoRequests({ REQUEST_METHOD: 'GET' }, '', false);
  t.is(second.status, 200);
});

test('verifyCsrf lets HEAD, OPTIONS and TRACE through unchecked and checks PUT, PATCH and DELETE', async (t) => {
  for (const method of ['HEAD', 'OPTIONS', 'TRACE', 'PUT', 'PATCH', 'DELETE']) {
    const { second } = await twoRequests({ REQUEST_METHOD: method }, '', false);
    t.is(second.status, ['PUT', 'PATCH', 'DELETE'].includes(method) ? 403 : 200, method);
  }
});

test('csrfToken replaces a stored value that is not a token it made', async (t) => {
  const tokens: string[] = [];
  const { response } = await runHandler(async (request, response) => {
    const session = await openSession(request, response, { dir: await tempDir(), gcProbability: 0 });
    for (const planted of ['short', Array(43).fill('a')]) {
      session.set('_csrf', planted);
      const token = await csrfToken(session);
      tokens.push(token, String(session.get('_csrf') === token));
    }
    response.text('ok');
  });
  t.is(response.status, 200, response.text);
  const [first, firstKept, second, secondKept] = tokens;
  t.is(tokens.length, 4);
  for (const token of [first, second]) t.regex(token!, /^[A-Za-z0-9_-]{43}$/);
  t.deepEqual([firstKept, secondKept], ['true', 'true'], 'the new token is kept under _csrf');
});

test('csrfToken is stable within a session and changes on regenerate', async (t) => {
  const dir = await tempDir();
  const tokens: string[] = [];
  const { response } = await runHandler(async (request, response) => {
    const session = await openSession(request, response, { dir, gcProbability: 0 });
    tokens.push(await csrfToken(session), await csrfToken(session));
    await session.regenerate();
    tokens.push(await csrfToken(session));
    response.text('ok');
  });
  t.is(response.status, 200, response.text);
  const [first, again, renewed] = tokens;
  t.is(tokens.length, 3);
  t.is(again, first);
  t.not(renewed, first);
});

test('verifyCsrf rejects a POST whose session holds no token at all, whatever it sends', async (t) => {
  // A first visit has no session yet: an empty or made-up token must not pass for a missing one.
  for (const body of ['item=tea', 'item=tea&_csrf=', 'item=tea&_csrf=undefined']) {
    const { response } = await runHandler(async (request, response) => {
      const session = await openSession(request, response, { dir: await tempDir(), gcProbability: 0 });
      await verifyCsrf(request, session, await request.form());
      response.text('accepted');
    }, { ...POST_FORM, CONTENT_LENGTH: String(body.length) }, body);
    t.is(response.status, 403, body);
  }
});

test('a built script refuses a state change that brings no cookie and no token', async (t) => {
  const body = 'action=add&id=shortbread';
  const run = await runScript('cart', {
    env: { ...POST_FORM, CONTENT_LENGTH: String(body.length), CGI_SESSION_DIR: await tempDir() }, stdin: body,
  });
  t.is(run.response.status, 403, run.stderr);
});
