import test from 'ava';
import { CgiError } from '../../src/base/errors.js';
import { findHeaderBlockEnd, parseHeaderBlock } from '../../src/host/output.js';

function end(text: string) {
  return findHeaderBlockEnd(Buffer.from(text, 'latin1'));
}

test('findHeaderBlockEnd finds a blank line after LF lines', (t) => {
  t.deepEqual(end('A: b\n\nbody'), { headEnd: 4, bodyStart: 6 });
});

test('findHeaderBlockEnd finds a blank line after CRLF lines', (t) => {
  t.deepEqual(end('A: b\r\nC: d\r\n\r\nbody'), { headEnd: 10, bodyStart: 14 });
});

test('findHeaderBlockEnd accepts mixed line ends', (t) => {
  t.deepEqual(end('A: b\n\r\nbody'), { headEnd: 4, bodyStart: 7 });
});

test('findHeaderBlockEnd reports an empty block at the start', (t) => {
  t.deepEqual(end('\nbody'), { headEnd: 0, bodyStart: 1 });
  t.deepEqual(end('\r\nbody'), { headEnd: 0, bodyStart: 2 });
});

test('findHeaderBlockEnd returns undefined until the blank line arrives', (t) => {
  t.is(end('A: b\nC: d\n'), undefined);
  t.is(end('A: b\r\n\r'), undefined);
});

test('parseHeaderBlock reads a document with Status, reason and repeated Set-Cookie', (t) => {
  const block = parseHeaderBlock('Status: 404 Not Here\r\nContent-Type: text/html\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2');
  t.is(block.kind, 'document');
  t.is(block.status, 404);
  t.is(block.reason, 'Not Here');
  t.deepEqual(block.headers, [['Content-Type', 'text/html'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2']]);
});

test('parseHeaderBlock defaults to 200 and trims the value', (t) => {
  const block = parseHeaderBlock('Content-Type:   text/plain  ');
  t.is(block.status, 200);
  t.is(block.reason, undefined);
  t.deepEqual(block.headers, [['Content-Type', 'text/plain']]);
});

test('parseHeaderBlock accepts a Status without a reason phrase', (t) => {
  t.is(parseHeaderBlock('Status: 204').status, 204);
});

test('parseHeaderBlock treats Location: /path without Status as a local redirect', (t) => {
  const block = parseHeaderBlock('Location: /cgi-bin/next.cgi?a=1');
  t.is(block.kind, 'local-redirect');
  t.is(block.location, '/cgi-bin/next.cgi?a=1');
});

test('parseHeaderBlock treats an absolute Location as a client redirect with 302', (t) => {
  const block = parseHeaderBlock('Location: https://example.test/');
  t.is(block.kind, 'client-redirect');
  t.is(block.status, 302);
});

test('parseHeaderBlock reads a protocol-relative Location without Status as a local path, as Apache does', (t) => {
  // A browser would go to another host; the server serves its own path //evil.test/x instead.
  t.is(parseHeaderBlock('Location: //evil.test/x').kind, 'local-redirect');
  t.is(parseHeaderBlock('Location: /\\evil.test/x').kind, 'local-redirect');
  t.is(parseHeaderBlock('Status: 302 Found\nLocation: //cdn.example/x').kind, 'client-redirect');
});

test('parseHeaderBlock treats Location: /path with a Status as a client redirect', (t) => {
  const block = parseHeaderBlock('Status: 303 See Other\nLocation: /done\nContent-Type: text/plain');
  t.is(block.kind, 'client-redirect');
  t.is(block.status, 303);
});

test('parseHeaderBlock reads the declared Content-Length', (t) => {
  t.is(parseHeaderBlock('Content-Type: text/plain\nContent-Length: 12').contentLength, 12);
  t.is(parseHeaderBlock('Content-Type: text/plain').contentLength, undefined);
});

test('parseHeaderBlock drops hop-by-hop fields', (t) => {
  const block = parseHeaderBlock('Content-Type: text/plain\nConnection: close\nTransfer-Encoding: chunked');
  t.deepEqual(block.headers, [['Content-Type', 'text/plain']]);
});

for (const [title, head] of [
  ['an empty block', ''],
  ['a line without a colon', 'Content-Type text/plain'],
  ['a name with a space', 'Content Type: text/plain'],
  ['a name with a non-token character', 'Content(Type): text/plain'],
  ['a control character in a value', 'Content-Type: text/plain\x01'],
  ['a document without Content-Type', 'X-Only: yes'],
  ['a malformed Status', 'Status: OK\nContent-Type: text/plain'],
  ['a 1xx Status', 'Status: 100 Continue\nContent-Type: text/plain'],
  ['a Status out of range', 'Status: 700 Odd\nContent-Type: text/plain'],
  ['two Status headers', 'Status: 200 OK\nStatus: 404 Not Found\nContent-Type: text/plain'],
  ['two Location headers', 'Location: /a\nLocation: /b'],
  ['an empty Location', 'Location: '],
  ['a malformed Content-Length', 'Content-Type: text/plain\nContent-Length: 12abc'],
  ['two Content-Length headers', 'Content-Type: text/plain\nContent-Length: 1\nContent-Length: 1'],
  ['an HTTP status line', 'HTTP/1.1 200 OK\nContent-Type: text/plain'],
] as const) {
  test(`parseHeaderBlock refuses ${title}`, (t) => {
    const error = t.throws(() => parseHeaderBlock(head), { instanceOf: CgiError });
    t.is(error?.code, 'ECGIHEADER');
  });
}

test('parseHeaderBlock drops every hop-by-hop field, whatever its case', (t) => {
  const hop = ['Connection: close', 'Keep-Alive: timeout=5', 'Transfer-Encoding: chunked', 'Upgrade: h2c', 'Trailer: X',
    'TE: trailers', 'Proxy-Connection: close'];
  t.deepEqual(parseHeaderBlock(['Content-Type: text/plain', ...hop].join('\n')).headers, [['Content-Type', 'text/plain']]);
});

test('parseHeaderBlock takes Status 200 and a reason after several blanks', (t) => {
  t.like(parseHeaderBlock('Status: 200\nContent-Type: text/plain'), { status: 200, reason: undefined });
  t.like(parseHeaderBlock('Status: 404 \t Not Found\nContent-Type: text/plain'), { status: 404, reason: 'Not Found' });
});

test('parseHeaderBlock names what is wrong, quoting at most 100 characters of it', (t) => {
  const long = `X${'y'.repeat(200)}`;
  for (const [head, message] of [
    ['', 'the header block is empty'],
    [`${long} no colon`, `malformed header line ${JSON.stringify(long.slice(0, 100))}`],
    ['Status: 200\nStatus: 200\nContent-Type: text/plain', 'more than one Status header'],
    ['Location: /a\nLocation: /b', 'more than one Location header'],
    ['Location: ', 'empty Location header'],
    [`Content-Type: text/plain\nContent-Length: x${long}`, `malformed or repeated Content-Length ${JSON.stringify(`x${long}`.slice(0, 100))}`],
    ['Content-Type: text/plain\nContent-Length: x12', 'malformed or repeated Content-Length "x12"'],
    [`Status: 2${long}\nContent-Type: text/plain`, `malformed Status header ${JSON.stringify(`2${long}`.slice(0, 100))}`],
    ['Status: x200 OK\nContent-Type: text/plain', 'malformed Status header "x200 OK"'],
    ['Status: 200x\nContent-Type: text/plain', 'malformed Status header "200x"'],
    ['X-Only: yes', 'no Content-Type, Status or Location header'],
  ] as const) {
    t.throws(() => parseHeaderBlock(head), { instanceOf: CgiError, message: `cgi: invalid header block: ${message}` }, head.slice(0, 40));
  }
});
