import test from 'ava';
import fc from 'fast-check';
import { parseCookies, serializeCookie } from '../../src/core/cookies.js';

test('parseCookies reads every pair', (t) => {
  t.deepEqual({ ...parseCookies('a=1; b=two; c=') }, { a: '1', b: 'two', c: '' });
});

test('parseCookies treats a missing header as no cookies', (t) => {
  t.deepEqual(Object.keys(parseCookies(undefined)), []);
  t.deepEqual(Object.keys(parseCookies('')), []);
});

test('parseCookies keeps the other pairs around a malformed one', (t) => {
  t.deepEqual({ ...parseCookies('a=1; garbage; =x; ;; b=2') }, { a: '1', b: '2' });
});

test('parseCookies lets the first of duplicate names win', (t) => {
  t.is(parseCookies('sid=first; sid=second').sid, 'first');
});

test('parseCookies keeps a value with invalid percent-encoding as it is', (t) => {
  t.is(parseCookies('a=%zz%; b=%E2%9C%93').a, '%zz%');
  t.is(parseCookies('a=%zz%; b=%E2%9C%93').b, '✓');
});

test('parseCookies makes __proto__ and constructor plain keys', (t) => {
  const cookies = parseCookies('__proto__=polluted; constructor=x; toString=y');
  t.is(Object.getPrototypeOf(cookies), null);
  t.is(cookies.__proto__, 'polluted');
  t.is(Object.getOwnPropertyDescriptor(cookies, 'constructor')?.value, 'x');
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

test('parseCookies handles thousands of pairs', (t) => {
  const header = Array.from({ length: 5000 }, (_, i) => `c${i}=${i}`).join('; ');
  const cookies = parseCookies(header);
  t.is(Object.keys(cookies).length, 5000);
  t.is(cookies.c4999, '4999');
});

test('serializeCookie writes every attribute', (t) => {
  const header = serializeCookie('id', 'a b', {
    maxAgeSeconds: 60, expires: new Date(Date.UTC(2030, 0, 1)), domain: 'example.org', path: '/app',
    secure: true, httpOnly: true, sameSite: 'strict', partitioned: true, priority: 'high',
  });
  t.is(header, 'id=a%20b; Max-Age=60; Domain=example.org; Path=/app; Expires=Tue, 01 Jan 2030 00:00:00 GMT; ' +
    'HttpOnly; Secure; Partitioned; Priority=High; SameSite=Strict');
});

test('serializeCookie refuses an invalid name', (t) => {
  for (const name of ['', 'a b', 'a;b', 'a=b', 'a\r\nSet-Cookie: x']) {
    t.throws(() => serializeCookie(name, 'v'), { instanceOf: TypeError }, name);
  }
});

test('serializeCookie encodes values so CR, LF and ; cannot inject', (t) => {
  const header = serializeCookie('a', 'x\r\nSet-Cookie: evil=1; Path=/');
  t.notRegex(header, /[\r\n]/);
  t.is(header.split(';').length, 1);
});

test('serializeCookie refuses invalid attributes', (t) => {
  t.throws(() => serializeCookie('a', 'b', { maxAgeSeconds: 1.5 }), { instanceOf: TypeError, message: /maxAgeSeconds/ });
  t.throws(() => serializeCookie('a', 'b', { domain: 'bad domain' }), { instanceOf: TypeError, message: /domain/ });
  t.throws(() => serializeCookie('a', 'b', { path: '/x;y' }), { instanceOf: TypeError, message: /path/ });
  t.throws(() => serializeCookie('a', 'b', { expires: new Date(Number.NaN) }), { instanceOf: TypeError, message: /expires/ });
  t.throws(() => serializeCookie('a', 'b', { sameSite: 'sometimes' as 'lax' }), { instanceOf: TypeError, message: /sameSite/ });
  t.throws(() => serializeCookie('a', 'b', { priority: 'urgent' as 'high' }), { instanceOf: TypeError, message: /priority/ });
  t.throws(() => serializeCookie('a', 'b', { path: `/${'x'.repeat(1024)}` }), { instanceOf: TypeError, message: /path/ });
});

test('serializeCookie enforces the __Secure- prefix rule', (t) => {
  t.throws(() => serializeCookie('__Secure-id', 'v'), { instanceOf: TypeError, message: /secure/ });
  t.is(serializeCookie('__Secure-id', 'v', { secure: true }), '__Secure-id=v; Secure');
});

test('serializeCookie enforces the __Host- prefix rules, case-insensitively', (t) => {
  t.throws(() => serializeCookie('__Host-id', 'v', { path: '/' }), { message: /secure/ });
  t.throws(() => serializeCookie('__host-id', 'v', { secure: true, path: '/app' }), { message: /path/ });
  t.throws(() => serializeCookie('__Host-id', 'v', { secure: true }), { message: /path/ });
  t.throws(() => serializeCookie('__Host-id', 'v', { secure: true, path: '/', domain: 'example.org' }), { message: /domain/ });
  t.is(serializeCookie('__Host-id', 'v', { secure: true, path: '/' }), '__Host-id=v; Path=/; Secure');
});

test('serializeCookie requires Secure for SameSite=None and Partitioned', (t) => {
  t.throws(() => serializeCookie('a', 'b', { sameSite: 'none' }), { message: /SameSite=None/ });
  t.throws(() => serializeCookie('a', 'b', { partitioned: true }), { message: /Partitioned/ });
  t.is(serializeCookie('a', 'b', { sameSite: 'none', secure: true }), 'a=b; Secure; SameSite=None');
});

test('serializeCookie caps Max-Age at 400 days', (t) => {
  t.is(serializeCookie('a', 'b', { maxAgeSeconds: 10 * 365 * 86400 }), 'a=b; Max-Age=34560000');
  t.is(serializeCookie('a', 'b', { maxAgeSeconds: -1 }), 'a=b; Max-Age=-1');
});

test('serializeCookie refuses a cookie over 4096 bytes', (t) => {
  t.notThrows(() => serializeCookie('a', 'x'.repeat(4095)));
  t.throws(() => serializeCookie('a', 'x'.repeat(4096)), { instanceOf: TypeError, message: /4096/ });
});

test('parseCookies never throws, whatever the header', (t) => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (header) => {
    const cookies = parseCookies(header);
    return Object.getPrototypeOf(cookies) === null && Object.values(cookies).every((v) => typeof v === 'string');
  }), { numRuns: 2000 });
  t.pass();
});

const cookieName = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,20}$/);

test('serializeCookie then parseCookies gives back any name and value', (t) => {
  fc.assert(fc.property(cookieName, fc.string({ unit: 'grapheme', maxLength: 200 }), (name, value) => {
    const pair = serializeCookie(name, value).split(';', 1)[0]!;
    return parseCookies(`other=1; ${pair}`)[name] === value;
  }), { numRuns: 2000 });
  t.pass();
});

test('serializeCookie takes a path of exactly 1024 bytes, not one more', (t) => {
  t.notThrows(() => serializeCookie('a', 'b', { path: `/${'x'.repeat(1023)}` }));
  t.throws(() => serializeCookie('a', 'b', { path: `/${'x'.repeat(1024)}` }), { instanceOf: TypeError, message: 'option path is invalid: longer than 1024 bytes' });
  t.throws(() => serializeCookie('a', 'b', { domain: `${'x'.repeat(1021)}.org` }), { instanceOf: TypeError, message: 'option domain is invalid: longer than 1024 bytes' });
});
