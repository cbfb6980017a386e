import test from 'ava';
import { encodeCommand, RedisError, ReplyParser, type RedisReply } from '../../../src/session/redis/resp.js';

function parseAll(...chunks: Buffer[]): RedisReply[] {
  const replies: RedisReply[] = [];
  const parser = new ReplyParser((reply) => replies.push(reply));
  for (const chunk of chunks) parser.feed(chunk);
  return replies;
}

test('encodeCommand writes an array of bulk strings, lengths in bytes', (t) => {
  t.is(encodeCommand(['SET', 'k', 'é', 10]), '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\né\r\n$2\r\n10\r\n');
});

test('ReplyParser reads every RESP2 type', (t) => {
  const replies = parseAll(Buffer.from('+OK\r\n:42\r\n:-7\r\n$5\r\nhello\r\n$0\r\n\r\n$-1\r\n*-1\r\n*2\r\n$1\r\na\r\n*1\r\n:1\r\n'));
  t.deepEqual(replies, ['OK', 42, -7, 'hello', '', null, null, ['a', [1]]]);
});

test('ReplyParser turns an error reply into a RedisError coded by its first word', (t) => {
  const [reply] = parseAll(Buffer.from('-NOSCRIPT No matching script. Please use EVAL.\r\n'));
  t.true(reply instanceof RedisError);
  t.is((reply as RedisError).code, 'NOSCRIPT');
  t.true((reply as RedisError).isReply);
});

test('ReplyParser reads replies split at every byte', (t) => {
  const text = Buffer.from('*3\r\n$4\r\nabcd\r\n:12\r\n+OK\r\n$6\r\nh\u00e9llo\r\n-ERR bad\r\n');
  const whole = parseAll(text);
  for (let cut = 1; cut < text.length; cut++) {
    t.deepEqual(parseAll(text.subarray(0, cut), text.subarray(cut)).map(String), whole.map(String), `cut at ${cut}`);
  }
  const bytes = [...text].map((byte) => Buffer.from([byte]));
  t.deepEqual(parseAll(...bytes).map(String), whole.map(String));
});

test('ReplyParser reads a large bulk string arriving in many chunks', (t) => {
  const value = 'x'.repeat(70_000) + 'é';
  const text = Buffer.from(`$${Buffer.byteLength(value)}\r\n${value}\r\n:1\r\n`);
  const chunks = [];
  for (let i = 0; i < text.length; i += 1000) chunks.push(text.subarray(i, i + 1000));
  t.deepEqual(parseAll(...chunks), [value, 1]);
});

test('ReplyParser throws EPROTOCOL on bytes that are not RESP', (t) => {
  const error = t.throws(() => parseAll(Buffer.from('HTTP/1.1 400 Bad Request\r\n')));
  t.is((error as RedisError).code, 'EPROTOCOL');
});
