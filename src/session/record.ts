// The session record as every store keeps it: one line of JSON,
// `{"v":1,"createdAt":…,"touchedAt":…,"data":…}`, with the size limit on its data. One format for
// the file store and the Redis store, so a session reads the same wherever it was written.

import { CgiError } from '../base/errors.js';
import type { SessionRecord } from './store.js';

/** The largest session data a store accepts by default, in bytes of JSON. */
export const DEFAULT_MAX_DATA_BYTES = 64 * 1024;

/** Room for the record's own fields around the data: a stored record longer than
 * `maxDataBytes` + this is not one of ours. */
export const RECORD_OVERHEAD_BYTES = 256;

const FORMAT_VERSION = 1;

/**
 * The record as stored, ending with a newline. Data over `maxDataBytes` bytes of JSON is refused
 * with CgiError `ESESSIONTOOLARGE`, before anything is written.
 * @example serializeRecord({ createdAt: 1, touchedAt: 2, data: { n: 1 } }, 65536)
 * // '{"v":1,"createdAt":1,"touchedAt":2,"data":{"n":1}}\n'
 */
export function serializeRecord(record: SessionRecord, maxDataBytes: number): string {
  const data = JSON.stringify(record.data);
  const dataBytes = Buffer.byteLength(data);
  if (dataBytes > maxDataBytes) {
    throw new CgiError('ESESSIONTOOLARGE',
      `session data is ${dataBytes} bytes of JSON, over the limit of ${maxDataBytes} (option maxDataBytes); nothing was saved`);
  }
  return `{"v":${FORMAT_VERSION},"createdAt":${Math.trunc(record.createdAt)},"touchedAt":${Math.trunc(record.touchedAt)},"data":${data}}\n`;
}

/** Parses a stored record; undefined for anything that is not exactly a record of ours. */
export function parseRecord(text: string): SessionRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text); // Only JSON: reading a session never runs code.
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { v, createdAt, touchedAt, data } = value as Record<string, unknown>;
  if (v !== FORMAT_VERSION || !Number.isFinite(createdAt) || !Number.isFinite(touchedAt)) return undefined;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  // A prototype-less copy: a key such as "__proto__" stays a plain key.
  const clean: Record<string, unknown> = Object.assign(Object.create(null), data);
  return { createdAt: createdAt as number, touchedAt: touchedAt as number, data: clean };
}

/** Checks a `maxDataBytes` option; a bad value is a TypeError naming it. */
export function resolveMaxDataBytes(value: number | undefined): number {
  const maxDataBytes = value ?? DEFAULT_MAX_DATA_BYTES;
  if (!Number.isInteger(maxDataBytes) || maxDataBytes < 1) throw new TypeError(`option maxDataBytes is invalid: ${maxDataBytes}`);
  return maxDataBytes;
}
