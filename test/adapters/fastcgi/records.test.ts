import test from 'ava';
import {
  decodeNameValuePairs, encodeNameValuePairs, encodeRecords, endRequestRecord, FcgiProtocolError, parseBeginRequest,
  RecordReader, RecordType, unknownTypeRecord,
} from '../../../src/adapters/fastcgi/records.js';

test('encodeRecords writes the header of §8 and pads the content to 8 bytes', (t) => {
  const bytes = encodeRecords(RecordType.STDOUT, 0x0102, Buffer.from('hello'));
  t.deepEqual([...bytes.subarray(0, 8)], [1, 6, 0x01, 0x02, 0, 5, 3, 0]);
  t.is(bytes.subarray(8, 13).toString(), 'hello');
  t.deepEqual([...bytes.subarray(13)], [0, 0, 0]);
});

test('encodeRecords gives one empty record for empty content (the end of a stream)', (t) => {
  t.deepEqual([...encodeRecords(RecordType.STDOUT, 1, Buffer.alloc(0))], [1, 6, 0, 1, 0, 0, 0, 0]);
});

test('encodeRecords cuts content over 64 KiB into several records that read back whole', (t) => {
  const content = Buffer.alloc(200_000, 'x');
  const records = new RecordReader().push(encodeRecords(RecordType.STDOUT, 3, content));
  t.is(records.length, 4);
  t.true(records.every((r) => r.type === RecordType.STDOUT && r.requestId === 3 && r.content.length <= 65535));
  t.true(Buffer.concat(records.map((r) => r.content)).equals(content));
});

test('endRequestRecord carries appStatus and protocolStatus', (t) => {
  const [record] = new RecordReader().push(endRequestRecord(7, 1, 3));
  t.is(record!.type, RecordType.END_REQUEST);
  t.is(record!.requestId, 7);
  t.is(record!.content.readUInt32BE(0), 1);
  t.is(record!.content[4], 3);
});

test('unknownTypeRecord names the type it does not know, as a management record', (t) => {
  const [record] = new RecordReader().push(unknownTypeRecord(42));
  t.is(record!.type, RecordType.UNKNOWN_TYPE);
  t.is(record!.requestId, 0);
  t.is(record!.content[0], 42);
});

test('parseBeginRequest reads the role and FCGI_KEEP_CONN', (t) => {
  t.deepEqual(parseBeginRequest(Buffer.from([0, 1, 1, 0, 0, 0, 0, 0])), { role: 1, keepConn: true });
  t.deepEqual(parseBeginRequest(Buffer.from([0, 2, 0, 0, 0, 0, 0, 0])), { role: 2, keepConn: false });
  const error = t.throws(() => parseBeginRequest(Buffer.from([0, 1])), { instanceOf: FcgiProtocolError, message: 'BEGIN_REQUEST body of 2 bytes, 8 expected' });
  t.is(error?.name, 'FcgiProtocolError'); // What the log line names it by.
});

test('name-value pairs round-trip, with short and long lengths and UTF-8', (t) => {
  const pairs: Array<[string, string]> = [['QUERY_STRING', 'a=1'], ['HTTP_COOKIE', 'x'.repeat(300)], ['EMPTY', ''], ['PATH_INFO', '/é']];
  const bytes = encodeNameValuePairs(pairs);
  t.is(bytes[0], 12); // one byte for a short length
  t.deepEqual({ ...decodeNameValuePairs(bytes) }, Object.fromEntries(pairs));
});

test('decodeNameValuePairs gives a prototype-less map, so __proto__ is just a name', (t) => {
  const decoded = decodeNameValuePairs(encodeNameValuePairs([['__proto__', 'x'], ['constructor', 'y']]));
  t.is(Object.getPrototypeOf(decoded), null);
  t.is(decoded.__proto__, 'x');
  t.is(decoded.constructor as unknown, 'y');
});

test('decodeNameValuePairs refuses a pair that runs past the end: its text, its value\'s length, or a long length cut short', (t) => {
  const bytes = encodeNameValuePairs([['NAME', 'value']]);
  const refused = { instanceOf: FcgiProtocolError, message: 'a name-value pair runs past the end of its stream' };
  t.throws(() => decodeNameValuePairs(bytes.subarray(0, bytes.length - 1)), refused);
  t.throws(() => decodeNameValuePairs(bytes.subarray(0, 1)), refused);
  t.throws(() => decodeNameValuePairs(Buffer.from([0x80, 0, 0])), refused);
});

test('name-value pairs: a length of 127 takes one byte, 128 four; a four-byte length may end the stream', (t) => {
  for (const [size, first] of [[127, 127], [128, 0x80]] as const) {
    const bytes = encodeNameValuePairs([['N'.repeat(size), 'v']]);
    t.is(bytes[0], first, `${size}`);
    t.deepEqual({ ...decodeNameValuePairs(bytes) }, { ['N'.repeat(size)]: 'v' });
  }
  // An empty name and value, both lengths in the four-byte form: nothing follows the second.
  t.deepEqual({ ...decodeNameValuePairs(Buffer.from([0x80, 0, 0, 0, 0x80, 0, 0, 0])) }, { '': '' });
});

test('RecordReader reassembles records cut at any byte', (t) => {
  const stream = Buffer.concat([
    encodeRecords(RecordType.PARAMS, 1, encodeNameValuePairs([['A', '1']])),
    encodeRecords(RecordType.STDIN, 1, Buffer.from('body')),
    encodeRecords(RecordType.STDIN, 1, Buffer.alloc(0)),
  ]);
  for (let size = 1; size <= stream.length; size++) {
    const reader = new RecordReader();
    const types: number[] = [];
    for (let at = 0; at < stream.length; at += size) types.push(...reader.push(stream.subarray(at, at + size)).map((r) => r.type));
    t.deepEqual(types, [RecordType.PARAMS, RecordType.STDIN, RecordType.STDIN], `chunks of ${size}`);
  }
});

test('RecordReader refuses a record of another version', (t) => {
  const bytes = encodeRecords(RecordType.STDIN, 1, Buffer.from('x'));
  bytes[0] = 2;
  t.throws(() => new RecordReader().push(bytes), { instanceOf: FcgiProtocolError, message: /version 2/ });
});
