import test from 'ava';
import { HttpError } from '../../src/base/errors.js';
import { requestFromEnv } from '../../src/core/request.js';

const empty = Buffer.alloc(0);

test('requestFromEnv makes a shell run with nothing set a GET with no cookies', (t) => {
  const request = requestFromEnv({}, empty);
  t.is(request.method, 'GET');
  t.is(request.queryString, '');
  t.deepEqual(Object.keys(request.cookies), []);
  t.is(request.contentLength, 0);
  t.false(request.https);
  t.is(request.url, '');
});

test('requestFromEnv reads the RFC 3875 meta-variables', (t) => {
  const request = requestFromEnv({
    REQUEST_METHOD: 'POST', SCRIPT_NAME: '/cgi-bin/x.cgi', PATH_INFO: '/a/b', QUERY_STRING: 'q=1&q=2&r=%20',
    REMOTE_ADDR: '192.0.2.1', HTTPS: 'on', CONTENT_TYPE: 'text/plain', CONTENT_LENGTH: '3',
  }, Buffer.from('abc'));
  t.is(request.method, 'POST');
  t.is(request.scriptName, '/cgi-bin/x.cgi');
  t.is(request.pathInfo, '/a/b');
  t.deepEqual(request.query.getAll('q'), ['1', '2']);
  t.is(request.query.get('r'), ' ');
  t.is(request.remoteAddr, '192.0.2.1');
  t.true(request.https);
  t.is(request.contentType, 'text/plain');
  t.is(request.contentLength, 3);
  t.is(request.url, '/cgi-bin/x.cgi/a/b?q=1&q=2&r=%20');
});

test('requestFromEnv prefers REQUEST_URI for the url', (t) => {
  t.is(requestFromEnv({ REQUEST_URI: '/x?y', SCRIPT_NAME: '/other' }, empty).url, '/x?y');
});

test('requestFromEnv takes HTTPS as on, ON or 1 only', (t) => {
  for (const value of ['on', 'ON', '1']) t.true(requestFromEnv({ HTTPS: value }, empty).https, value);
  for (const value of ['off', '', '0', 'yes', 'non', 'once', '10']) t.false(requestFromEnv({ HTTPS: value }, empty).https, value);
});

test('requestFromEnv recovers headers from HTTP_* and drops HTTP_PROXY', (t) => {
  const request = requestFromEnv({
    HTTP_USER_AGENT: 'ua', HTTP_X_FORWARDED_FOR: '1.2.3.4', HTTP_PROXY: 'http://evil:8080',
    CONTENT_TYPE: 'a/b', CONTENT_LENGTH: '0', PATH: '/bin',
  }, empty);
  t.is(request.headers.get('user-agent'), 'ua');
  t.is(request.headers.get('x-forwarded-for'), '1.2.3.4');
  t.is(request.headers.get('content-type'), 'a/b');
  t.false(request.headers.has('proxy'));
  t.is(request.env.HTTP_PROXY, undefined);
  t.false(request.headers.has('path'));
  t.deepEqual([...request.headers.keys()].sort(), ['content-length', 'content-type', 'user-agent', 'x-forwarded-for']);
  t.is(request.headers.get('content-length'), '0');
});

test('requestFromEnv uses process.env as it is only when HTTP_PROXY is not in it', (t) => {
  const saved = process.env.HTTP_PROXY;
  try {
    delete process.env.HTTP_PROXY;
    t.is(requestFromEnv(process.env, empty).env, process.env);
    process.env.HTTP_PROXY = 'http://evil:8080';
    const request = requestFromEnv(process.env, empty);
    t.not(request.env, process.env);
    t.is(request.env.HTTP_PROXY, undefined);
    t.false(request.headers.has('proxy'));
  } finally {
    if (saved === undefined) delete process.env.HTTP_PROXY;
    else process.env.HTTP_PROXY = saved;
  }
});

test('requestFromEnv parses cookies from HTTP_COOKIE', (t) => {
  t.is(requestFromEnv({ HTTP_COOKIE: 'session=12345; x' }, empty).cookies.session, '12345');
});

test('requestFromEnv refuses a malformed CONTENT_LENGTH with 400', (t) => {
  for (const value of ['-1', 'abc', '1e3', '0x10', '+5', '1.5', '1 2']) {
    const error = t.throws(() => requestFromEnv({ CONTENT_LENGTH: value }, empty), { instanceOf: HttpError }, value);
    t.is(error?.status, 400);
  }
});

test('requestFromEnv refuses a body over the limit with 413', (t) => {
  const error = t.throws(() => requestFromEnv({ CONTENT_LENGTH: '11' }, empty, { maxBodyBytes: 10 }), { instanceOf: HttpError });
  t.is(error?.status, 413);
  const huge = t.throws(() => requestFromEnv({ CONTENT_LENGTH: '99999999999999999999999' }, empty), { instanceOf: HttpError });
  t.is(huge?.status, 413);
  t.notThrows(() => requestFromEnv({ CONTENT_LENGTH: '10' }, empty, { maxBodyBytes: 10 }));
});

test('requestFromEnv refuses a malformed method with 400', (t) => {
  const error = t.throws(() => requestFromEnv({ REQUEST_METHOD: 'GET /x' }, empty), { instanceOf: HttpError });
  t.is(error?.status, 400);
  t.is(requestFromEnv({ REQUEST_METHOD: 'PROPFIND' }, empty).method, 'PROPFIND');
});

test('body reads exactly CONTENT_LENGTH bytes', async (t) => {
  const request = requestFromEnv({ CONTENT_LENGTH: '5' }, Buffer.from('hello, and more'));
  t.is((await request.body()).toString(), 'hello');
  t.is((await request.body()).toString(), 'hello');
});

test('body without CONTENT_LENGTH is empty', async (t) => {
  t.is((await requestFromEnv({}, Buffer.from('ignored')).body()).length, 0);
});

test('body without CONTENT_LENGTH but chunked (as Apache passes it) is stdin to its end', async (t) => {
  const body = 'a=1&b=2';
  for (const coding of ['chunked', 'Chunked', 'gzip, chunked']) {
    const request = requestFromEnv({ REQUEST_METHOD: 'POST', HTTP_TRANSFER_ENCODING: coding, CONTENT_TYPE: 'application/x-www-form-urlencoded' }, Buffer.from(body));
    t.is((await request.form()).fields.get('b'), '2', coding);
  }
  // Not chunked last: no framing the runtime knows, so no body, as without any header.
  t.is((await requestFromEnv({ HTTP_TRANSFER_ENCODING: 'chunked, gzip' }, Buffer.from(body)).body()).length, 0);
  // A CONTENT_LENGTH, when a server sets one, still says how much to read.
  t.is((await requestFromEnv({ HTTP_TRANSFER_ENCODING: 'chunked', CONTENT_LENGTH: '3' }, Buffer.from(body)).body()).toString(), 'a=1');
});

test('body of a chunked request over maxBodyBytes is a 413, whether read or drained', async (t) => {
  const env = { REQUEST_METHOD: 'POST', HTTP_TRANSFER_ENCODING: 'chunked' };
  const error = await t.throwsAsync(requestFromEnv(env, Buffer.alloc(101), { maxBodyBytes: 100 }).body(), { instanceOf: HttpError });
  t.is(error?.status, 413);
  t.is((await requestFromEnv(env, Buffer.alloc(100), { maxBodyBytes: 100 }).body()).length, 100);
  t.throws(() => requestFromEnv(env, Buffer.alloc(101), { maxBodyBytes: 100 }).drainBody(), { instanceOf: HttpError, message: /over the limit of 100 bytes/ });
});

test('body that ends early is a 400', async (t) => {
  const request = requestFromEnv({ CONTENT_LENGTH: '10' }, Buffer.from('short'));
  const error = await t.throwsAsync(request.body(), { instanceOf: HttpError });
  t.is(error?.status, 400);
  t.regex(error?.message ?? '', /5 of 10/);
});

test('form parses an urlencoded body, keeping repeated names', async (t) => {
  const body = 'a=1&b=x+y&a=2&c=%3Cb%3E';
  const request = requestFromEnv({
    REQUEST_METHOD: 'POST', CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: String(body.length),
  }, Buffer.from(body));
  const form = await request.form();
  t.deepEqual(form.fields.getAll('a'), ['1', '2']);
  t.is(form.fields.get('b'), 'x y');
  t.is(form.fields.get('c'), '<b>');
});

test('form after body parses the same bytes', async (t) => {
  const request = requestFromEnv({ CONTENT_TYPE: 'application/x-www-form-urlencoded', CONTENT_LENGTH: '3' }, Buffer.from('a=1'));
  await request.body();
  t.is((await request.form()).fields.get('a'), '1');
});

test('requestFromEnv takes an empty REQUEST_METHOD as GET and names what is malformed', (t) => {
  t.is(requestFromEnv({ REQUEST_METHOD: '' }, empty).method, 'GET');
  t.is(requestFromEnv({}, empty).remoteAddr, '');
  t.throws(() => requestFromEnv({ REQUEST_METHOD: 'GET /x' }, empty), { instanceOf: HttpError, message: 'The request method is malformed.' });
  t.throws(() => requestFromEnv({ CONTENT_LENGTH: 'x' }, empty), { instanceOf: HttpError, message: 'The Content-Length of the request is malformed.' });
  t.throws(() => requestFromEnv({ CONTENT_LENGTH: '11' }, empty, { maxBodyBytes: 10 }), { instanceOf: HttpError, message: 'The request body is 11 bytes; the limit is 10.' });
});

test('requestFromEnv takes a CONTENT_LENGTH with spaces around it, and one of spaces only as none', async (t) => {
  t.is((await requestFromEnv({ CONTENT_LENGTH: ' 3 ' }, Buffer.from('abcdef')).body()).toString(), 'abc');
  t.is(requestFromEnv({ CONTENT_LENGTH: '  ' }, empty).contentLength, 0);
});

test('body without CONTENT_LENGTH is read to its end for "chunked" with spaces after it', async (t) => {
  t.is((await requestFromEnv({ HTTP_TRANSFER_ENCODING: 'chunked \t' }, Buffer.from('a=1')).body()).toString(), 'a=1');
});

test('the body is read once: a second read is a TypeError, a drain after a read does nothing', async (t) => {
  const request = requestFromEnv({ CONTENT_LENGTH: '3', CONTENT_TYPE: 'application/x-www-form-urlencoded' }, Buffer.from('a=1'));
  t.false(request.bodyRead);
  t.is((await request.form()).fields.get('a'), '1');
  t.true(request.bodyRead);
  t.notThrows(() => request.drainBody());
  await t.throwsAsync(request.form(), { instanceOf: TypeError, message: 'the request body has been read already: call body() once and keep the result' });
});
