import test from 'ava';
import { html } from '../../src/base/html.js';
import { CgiResponse } from '../../src/core/response.js';

function text(response: CgiResponse, omitBody = false): string {
  return response.toBytes(omitBody).toString();
}

test('toBytes writes a status, the default content type, the length and the body', (t) => {
  t.is(text(new CgiResponse().send('hé')),
    'Status: 200 OK\nContent-Type: text/html; charset=utf-8\nContent-Length: 3\n\nhé');
});

test('toBytes keeps several Set-Cookie headers in order', (t) => {
  const response = new CgiResponse().setCookie('a', '1').setCookie('b', '2', { path: '/' });
  t.regex(text(response), /Set-Cookie: a=1\nSet-Cookie: b=2; Path=\/\n/);
});

test('toBytes omits the body for HEAD but keeps its length', (t) => {
  t.is(text(new CgiResponse().text('hello'), true),
    'Status: 200 OK\nContent-Type: text/plain; charset=utf-8\nContent-Length: 5\n\n');
});

test('toBytes writes any size of body whole', (t) => {
  const body = Buffer.alloc(5 * 1024 * 1024, 0x61);
  const bytes = new CgiResponse().send(body).toBytes();
  t.true(bytes.subarray(bytes.length - body.length).equals(body));
});

test('setHeader refuses CR, LF, NUL and other controls in values', (t) => {
  for (const value of ['a\r\nSet-Cookie: x=1', 'a\nb', 'a\rb', 'a\0b', 'a\x7fb', 'é']) {
    t.throws(() => new CgiResponse().setHeader('X-Test', value), { instanceOf: TypeError }, JSON.stringify(value));
  }
});

test('setHeader refuses invalid names and Status', (t) => {
  for (const name of ['', 'X Test', 'X:Test', 'X\nTest', 'Status']) {
    t.throws(() => new CgiResponse().setHeader(name, 'v'), { instanceOf: TypeError }, JSON.stringify(name));
  }
});

test('setHeader replaces, appendHeader adds, removeHeader removes, case-insensitively', (t) => {
  const response = new CgiResponse().appendHeader('X-A', '1').appendHeader('x-a', '2').setHeader('X-B', 'b');
  t.regex(text(response), /X-A: 1\nx-a: 2\nX-B: b\n/);
  response.setHeader('X-a', '3').removeHeader('X-B');
  t.is(response.getHeader('x-A'), '3');
  t.notRegex(text(response), /X-B/);
});

test('redirect sends the status, Location and a link body', (t) => {
  const out = text(new CgiResponse().redirect('/cgi-bin/x.cgi?a=1&b="2"', 303));
  t.regex(out, /^Status: 303 See Other\n/);
  t.regex(out, /\nLocation: \/cgi-bin\/x.cgi\?a=1&b="2"\n/);
  t.regex(out, /href="\/cgi-bin\/x.cgi\?a=1&#38;b=&#34;2&#34;"/);
});

test('localRedirect sends Location alone, and only for a path', (t) => {
  t.is(text(new CgiResponse().localRedirect('/other.html')), 'Location: /other.html\n\n');
  t.throws(() => new CgiResponse().localRedirect('http://example.org/'), { instanceOf: TypeError });
  t.throws(() => new CgiResponse().localRedirect('relative'), { instanceOf: TypeError });
  t.is(text(new CgiResponse().localRedirect('/a/b%20c?x=1&y=%2F')), 'Location: /a/b%20c?x=1&y=%2F\n\n');
  t.is(text(new CgiResponse().localRedirect('/')), 'Location: /\n\n');
});

test('localRedirect refuses what a browser would take for another host, and anything but a path', (t) => {
  for (const path of ['//evil.example/x', '/\\evil.example/x', '/\\/evil.example', 'https:/x', '', ' /x', '/x y', '/x\r\nSet-Cookie: a=1', '/x#frag', '/%zz']) {
    t.throws(() => new CgiResponse().localRedirect(path), { instanceOf: TypeError, message: /^argument path is invalid: / }, JSON.stringify(path));
  }
});

test('html refuses a plain string, so input cannot skip escaping', (t) => {
  t.throws(() => new CgiResponse().html('<b>' as never), { instanceOf: TypeError });
  t.regex(text(new CgiResponse().html(html`<b>${'<i>'}</b>`)), /<b>&lt;i&gt;<\/b>$/);
});

test('a 204 has no content type', (t) => {
  const response = new CgiResponse();
  response.status = 204;
  t.is(text(response), 'Status: 204 No Content\nContent-Length: 0\n\n');
});

test('clearCookie expires the cookie', (t) => {
  t.regex(text(new CgiResponse().clearCookie('sid', { path: '/' })), /Set-Cookie: sid=; Max-Age=0; Path=\/; Expires=Thu, 01 Jan 1970 00:00:00 GMT/);
});
