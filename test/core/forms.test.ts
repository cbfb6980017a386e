import test from 'ava';
import { HttpError } from '../../src/base/errors.js';
import { parseForm } from '../../src/core/forms.js';

const BOUNDARY = 'XyZ123';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;

function multipart(parts: Array<{ name: string; value: string; filename?: string; type?: string }>): Buffer {
  const text = parts.map((part) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"` +
    (part.filename === undefined ? '' : `; filename="${part.filename}"\r\nContent-Type: ${part.type ?? 'application/octet-stream'}`) +
    `\r\n\r\n${part.value}\r\n`).join('') + `--${BOUNDARY}--\r\n`;
  return Buffer.from(text);
}

test('parseForm reads multipart fields and files', async (t) => {
  const form = await parseForm(MULTIPART, [multipart([
    { name: 'title', value: 'Hi <there>' },
    { name: 'title', value: 'again' },
    { name: 'upload', value: 'file body\r\nline 2', filename: 'notes.txt', type: 'text/plain' },
  ])]);
  t.deepEqual(form.fields.getAll('title'), ['Hi <there>', 'again']);
  t.is(form.files.length, 1);
  t.is(form.files[0]?.field, 'upload');
  t.is(form.files[0]?.filename, 'notes.txt');
  t.is(form.files[0]?.mimeType, 'text/plain');
  t.is(form.files[0]?.data.toString(), 'file body\r\nline 2');
});

test('parseForm reads a multipart body that arrives in many small chunks', async (t) => {
  const body = multipart([{ name: 'a', value: 'x'.repeat(5000) }, { name: 'f', value: 'y'.repeat(9000), filename: 'f.bin' }]);
  const chunks = Array.from({ length: Math.ceil(body.length / 7) }, (_, i) => body.subarray(i * 7, i * 7 + 7));
  const form = await parseForm(MULTIPART, chunks);
  t.is(form.fields.get('a')?.length, 5000);
  t.is(form.files[0]?.data.length, 9000);
});

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof HttpError ? error.status : -1;
  }
}

test('parseForm answers 413 for a file over the limit', async (t) => {
  const body = multipart([{ name: 'f', value: 'x'.repeat(101), filename: 'big.bin' }]);
  t.is(await statusOf(parseForm(MULTIPART, [body], { maxFileBytes: 100 })), 413);
});

test('parseForm answers 413 for too many files, fields or parts', async (t) => {
  const files = multipart([1, 2, 3].map((i) => ({ name: `f${i}`, value: 'x', filename: `${i}.txt` })));
  t.is(await statusOf(parseForm(MULTIPART, [files], { maxFiles: 2 })), 413);
  const fields = multipart([1, 2, 3].map((i) => ({ name: `f${i}`, value: 'x' })));
  t.is(await statusOf(parseForm(MULTIPART, [fields], { maxFields: 2 })), 413);
  t.is(await statusOf(parseForm(MULTIPART, [fields], { maxParts: 2 })), 413);
  t.is(await statusOf(parseForm('application/x-www-form-urlencoded', [Buffer.from('a=1&b=2&c=3')], { maxFields: 2 })), 413);
});

test('parseForm answers 413 for a field value over the limit', async (t) => {
  const body = multipart([{ name: 'a', value: 'x'.repeat(11) }]);
  t.is(await statusOf(parseForm(MULTIPART, [body], { maxFieldBytes: 10 })), 413);
});

test('parseForm answers 400 for a missing boundary or a truncated body', async (t) => {
  t.is(await statusOf(parseForm('multipart/form-data', [Buffer.from('x')])), 400);
  const body = multipart([{ name: 'a', value: 'x' }]);
  t.is(await statusOf(parseForm(MULTIPART, [body.subarray(0, body.length - 12)])), 400);
  t.is(await statusOf(parseForm('multipart/form-data; boundary=other', [body])), 400);
});

test('parseForm answers 415 for a body that is not a form', async (t) => {
  t.is(await statusOf(parseForm('application/json', [Buffer.from('{}')])), 415);
  t.is(await statusOf(parseForm(undefined, [Buffer.from('a=1')])), 415);
});

test('parseForm gives an empty form for an empty body of any type', async (t) => {
  const form = await parseForm(undefined, []);
  t.is(form.fields.size, 0);
  t.is(form.files.length, 0);
});

test('parseForm takes the content type case-insensitively, with parameters', async (t) => {
  const form = await parseForm('Application/X-WWW-Form-Urlencoded; charset=UTF-8', [Buffer.from('a=%E2%9C%93')]);
  t.is(form.fields.get('a'), '✓');
  const spaced = await parseForm(`multipart/form-data ; boundary=${BOUNDARY}`, [multipart([{ name: 'a', value: 'x' }])]);
  t.is(spaced.fields.get('a'), 'x');
});

const urlencoded = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `f${i}=x`).join('&'));
const files = (n: number) => multipart(Array.from({ length: n }, (_, i) => ({ name: `f${i}`, value: 'x', filename: `${i}.txt` })));

async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (error) {
    return error instanceof HttpError ? `${error.status} ${error.message}` : String(error);
  }
}

test('parseForm takes a form exactly at each limit and names the limit one over it breaks', async (t) => {
  const fields = (n: number) => multipart(Array.from({ length: n }, (_, i) => ({ name: `f${i}`, value: 'x' })));
  const file = (bytes: number) => multipart([{ name: 'f', value: 'x'.repeat(bytes), filename: 'big.bin' }]);
  const field = (bytes: number) => multipart([{ name: 'a', value: 'x'.repeat(bytes) }]);
  const URLENCODED = 'application/x-www-form-urlencoded';
  const cases: Array<[string, Buffer, Parameters<typeof parseForm>[2], string]> = [
    [MULTIPART, files(2), { maxFiles: 2 }, 'accepted'],
    [MULTIPART, files(3), { maxFiles: 2 }, '413 The form has more than 2 files.'],
    [MULTIPART, fields(2), { maxFields: 2 }, 'accepted'],
    [MULTIPART, fields(3), { maxFields: 2 }, '413 The form has more than 2 fields.'],
    [MULTIPART, fields(2), { maxParts: 2 }, 'accepted'],
    [MULTIPART, fields(3), { maxParts: 2 }, '413 The form has more than 2 parts.'],
    [MULTIPART, file(100), { maxFileBytes: 100 }, 'accepted'],
    [MULTIPART, file(101), { maxFileBytes: 100 }, '413 File "big.bin" is larger than 100 bytes.'],
    [MULTIPART, field(10), { maxFieldBytes: 10 }, 'accepted'],
    [MULTIPART, field(11), { maxFieldBytes: 10 }, '413 Field "a" is longer than 10 bytes.'],
    [URLENCODED, urlencoded(2), { maxFields: 2 }, 'accepted'],
    [URLENCODED, urlencoded(3), { maxFields: 2 }, '413 The form has more than 2 fields.'],
    ['multipart/form-data', Buffer.from('x'), {}, '400 The multipart body has no valid boundary.'],
    ['multipart/form-data; boundary=other', fields(1), {}, '400 The multipart body is malformed.'],
    ['application/json', Buffer.from('{}'), {}, '415 A form was expected, but the body is application/json.'],
  ];
  for (const [type, body, options, expected] of cases) {
    t.is(await messageOf(parseForm(type, [body], options)), expected, `${type} ${JSON.stringify(options)}`);
  }
  t.is(await messageOf(parseForm(undefined, [Buffer.from('a=1')])), '415 A form was expected, but the body has no Content-Type.');
});

test('parseForm keeps the defaults: 1000 fields, 10 files', async (t) => {
  t.is((await parseForm('application/x-www-form-urlencoded', [urlencoded(1000)])).fields.size, 1000);
  t.is(await messageOf(parseForm('application/x-www-form-urlencoded', [urlencoded(1001)])), '413 The form has more than 1000 fields.');
  t.is(await messageOf(parseForm(MULTIPART, [files(11)])), '413 The form has more than 10 files.');
});

test('parseForm keeps busboy\'s error as the cause of a 400', async (t) => {
  for (const [type, body] of [['multipart/form-data', Buffer.from('x')], ['multipart/form-data; boundary=other', files(1)]] as const) {
    const error = await t.throwsAsync(parseForm(type, [body]), { instanceOf: HttpError });
    t.true(error!.cause instanceof Error, type);
  }
});
