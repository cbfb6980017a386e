import test from 'ava';
import { CgiError } from '../../src/base/errors.js';
import { parseRecord, resolveMaxDataBytes, serializeRecord } from '../../src/session/record.js';

test('serializeRecord writes one line of JSON, times as whole milliseconds', (t) => {
  t.is(serializeRecord({ createdAt: 1.9, touchedAt: 2, data: { n: 1, s: 'é' } }, 100),
    '{"v":1,"createdAt":1,"touchedAt":2,"data":{"n":1,"s":"é"}}\n');
});

test('serializeRecord refuses data over maxDataBytes, counted in bytes of JSON', (t) => {
  t.notThrows(() => serializeRecord({ createdAt: 1, touchedAt: 1, data: { s: 'x'.repeat(92) } }, 100)); // {"s":"…"} is 100 bytes.
  const error = t.throws(() => serializeRecord({ createdAt: 1, touchedAt: 1, data: { s: 'é'.repeat(47) } }, 100), { instanceOf: CgiError });
  t.is((error as CgiError).code, 'ESESSIONTOOLARGE');
});

test('parseRecord reads what serializeRecord wrote, and nothing else', (t) => {
  const record = parseRecord(serializeRecord({ createdAt: 1, touchedAt: 2, data: { a: [1] } }, 100));
  t.deepEqual({ ...record, data: { ...record!.data } }, { createdAt: 1, touchedAt: 2, data: { a: [1] } });
  const withData = (data: string) => `{"v":1,"createdAt":1,"touchedAt":1,"data":${data}}`;
  for (const text of ['', 'null', '[]', '1', '"x"', '{"v":2,"createdAt":1,"touchedAt":1,"data":{}}', withData('null'), withData('[]'), withData('"xy"'), withData('7'), withData('true')]) {
    t.is(parseRecord(text), undefined, text);
  }
});

test('resolveMaxDataBytes takes a positive whole number, 65536 by default', (t) => {
  t.is(resolveMaxDataBytes(undefined), 65536);
  t.is(resolveMaxDataBytes(10), 10);
  t.is(resolveMaxDataBytes(1), 1);
  for (const bad of [0, -1, 1.5, Number.NaN]) t.throws(() => resolveMaxDataBytes(bad), { instanceOf: TypeError, message: /option maxDataBytes/ });
});

test('parseRecord keeps "__proto__" a plain key', (t) => {
  const parsed = parseRecord('{"v":1,"createdAt":1,"touchedAt":2,"data":{"__proto__":{"admin":true}}}');
  t.truthy(parsed);
  t.is(Object.getPrototypeOf(parsed!.data), null);
  t.deepEqual(parsed!.data.__proto__, { admin: true });
  t.is(({} as Record<string, unknown>).admin, undefined);
});
