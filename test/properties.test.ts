// Property tests (fast-check) of the parsers that face input: they never throw anything but an
// HttpError, whatever they are given, and what is serialized parses back the same.
import test from 'ava';
import fc from 'fast-check';
import { HttpError } from '../src/base/errors.js';
import { parseForm } from '../src/core/forms.js';
import { requestFromEnv } from '../src/core/request.js';
import { isSessionId } from '../src/session/id.js';

const RUNS = 1000;
const envKey = fc.constantFrom('REQUEST_METHOD', 'CONTENT_LENGTH', 'CONTENT_TYPE', 'QUERY_STRING', 'HTTP_COOKIE',
  'HTTPS', 'PATH_INFO', 'SCRIPT_NAME', 'HTTP_PROXY', 'HTTP_X_Y', 'REQUEST_URI', 'HTTP___PROTO__');
const hostileString = fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('-1', '0', '1e9', '__proto__', '', ' 7 '));

test('requestFromEnv throws nothing but an HttpError, and its getters never throw', async (t) => {
  await fc.assert(fc.asyncProperty(fc.dictionary(envKey, hostileString), fc.uint8Array({ maxLength: 64 }), async (env, body) => {
    let request;
    try {
      request = requestFromEnv(env, body);
    } catch (error) {
      return error instanceof HttpError && error.status >= 400 && error.status < 500;
    }
    void request.query.toString();
    void request.cookies;
    void request.url;
    try {
      await request.body();
    } catch (error) {
      return error instanceof HttpError && error.status === 400;
    }
    return request.env.HTTP_PROXY === undefined && !request.headers.has('proxy');
  }), { numRuns: RUNS });
  t.pass();
});

test('parseForm throws nothing but a 4xx HttpError on any body', async (t) => {
  const type = fc.constantFrom('application/x-www-form-urlencoded', 'multipart/form-data; boundary=b',
    'multipart/form-data', 'text/plain', undefined);
  await fc.assert(fc.asyncProperty(type, fc.uint8Array({ maxLength: 300 }), async (contentType, body) => {
    try {
      await parseForm(contentType, [Buffer.from(body)]);
      return true;
    } catch (error) {
      return error instanceof HttpError && error.status >= 400 && error.status < 500;
    }
  }), { numRuns: RUNS });
  t.pass();
});

test('an urlencoded form round-trips any names and values, repeats and order kept', async (t) => {
  const pairs = fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 30 })), { maxLength: 20 });
  await fc.assert(fc.asyncProperty(pairs, async (input) => {
    const body = new URLSearchParams(input).toString();
    const form = await parseForm('application/x-www-form-urlencoded', [Buffer.from(body)]);
    return JSON.stringify([...form.fields]) === JSON.stringify(input);
  }), { numRuns: RUNS });
  t.pass();
});

test('a multipart form round-trips field values, files and order', async (t) => {
  const field = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_]{0,9}$/), fc.string({ unit: 'grapheme', maxLength: 40 }));
  await fc.assert(fc.asyncProperty(fc.array(field, { maxLength: 8 }), fc.uint8Array({ maxLength: 200 }), async (fields, file) => {
    const boundary = '----cgishim0123456789';
    const parts = fields.map(([name, value]) => Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="up"; filename="f.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.from(file), Buffer.from(`\r\n--${boundary}--\r\n`));
    const form = await parseForm(`multipart/form-data; boundary=${boundary}`, [Buffer.concat(parts)]);
    return JSON.stringify([...form.fields]) === JSON.stringify(fields) && form.files[0]!.data.equals(Buffer.from(file));
  }), { numRuns: 300 });
  t.pass();
});

/** RFC 4648 §5: the base64url alphabet, written out rather than taken from the implementation. */
const BASE64URL = new Set('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_');

test('isSessionId accepts exactly 43 base64url characters, so no accepted ID can name a path', (t) => {
  const oracle = (value: string) => value.length === 43 && [...value].every((char) => BASE64URL.has(char));
  fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 60 }), fc.string({ minLength: 43, maxLength: 43 }),
    fc.stringMatching(/^[A-Za-z0-9_./+=-]{40,46}$/), fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('base64url'))), (value) => {
    const accepted = isSessionId(value);
    return accepted === oracle(value) && (!accepted || (!value.includes('/') && !value.includes('.') && !value.includes('\0')));
  }), { numRuns: RUNS * 5 });
  t.pass();
});
