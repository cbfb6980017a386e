// FastCGI 1.0 records (https://fastcgi-archives.github.io/FastCGI_Specification.html §3, §8):
// the 8-byte header, framing a stream into padded records, the name-value pairs of PARAMS and
// GET_VALUES, and a reader that cuts a connection's bytes into records. Pure: no sockets here.

/** FCGI_VERSION_1, the only version (§8). */
export const FCGI_VERSION = 1;

/** Record types (§8). */
export const RecordType = {
  BEGIN_REQUEST: 1,
  ABORT_REQUEST: 2,
  END_REQUEST: 3,
  PARAMS: 4,
  STDIN: 5,
  STDOUT: 6,
  STDERR: 7,
  DATA: 8,
  GET_VALUES: 9,
  GET_VALUES_RESULT: 10,
  UNKNOWN_TYPE: 11,
} as const;

/** The request id of management records (§3.3). */
export const MANAGEMENT_ID = 0;
/** FCGI_RESPONDER, the only role served here (§6.2). */
export const ROLE_RESPONDER = 1;
/** FCGI_KEEP_CONN in BEGIN_REQUEST's flags: the web server closes the connection, not us (§5.1). */
export const FLAG_KEEP_CONN = 1;

/** END_REQUEST's protocolStatus (§5.5). */
export const ProtocolStatus = { REQUEST_COMPLETE: 0, CANT_MPX_CONN: 1, OVERLOADED: 2, UNKNOWN_ROLE: 3 } as const;

export const HEADER_BYTES = 8;
/** The largest content of one record that keeps records 8-byte aligned (§3.3 recommends it). */
const MAX_CONTENT_BYTES = 65528;

/** One record as read: its type, request id and content (padding dropped). */
export interface FcgiRecord {
  type: number;
  requestId: number;
  content: Buffer;
}

/** A peer that breaks the protocol (a wrong version byte, a truncated name-value pair). */
export class FcgiProtocolError extends Error {
  override readonly name = 'FcgiProtocolError';
}

/**
 * `content` as records of `type` for `requestId`, 8-byte aligned; empty content gives the one
 * empty record that ends a stream (STDOUT, STDERR).
 * @example encodeRecords(RecordType.STDOUT, 1, Buffer.from('Status: 204\r\n\r\n'))
 */
export function encodeRecords(type: number, requestId: number, content: Uint8Array): Buffer {
  const count = Math.max(1, Math.ceil(content.length / MAX_CONTENT_BYTES));
  const last = content.length - (count - 1) * MAX_CONTENT_BYTES;
  const out = Buffer.alloc((count - 1) * (HEADER_BYTES + MAX_CONTENT_BYTES) + HEADER_BYTES + padded(last));
  for (let i = 0, offset = 0; i < count; i++) {
    const at = i * MAX_CONTENT_BYTES;
    const length = Math.min(MAX_CONTENT_BYTES, content.length - at);
    writeHeader(out, offset, type, requestId, length);
    out.set(content.subarray(at, at + length), offset + HEADER_BYTES);
    offset += HEADER_BYTES + padded(length);
  }
  return out;
}

/** The END_REQUEST record (§5.5). */
export function endRequestRecord(requestId: number, appStatus: number, protocolStatus: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + 8);
  writeHeader(out, 0, RecordType.END_REQUEST, requestId, 8);
  out.writeUInt32BE(appStatus >>> 0, HEADER_BYTES);
  out[HEADER_BYTES + 4] = protocolStatus;
  return out;
}

/** The UNKNOWN_TYPE record answering a management record of `type` (§4.2). */
export function unknownTypeRecord(type: number): Buffer {
  const out = Buffer.alloc(HEADER_BYTES + 8);
  writeHeader(out, 0, RecordType.UNKNOWN_TYPE, MANAGEMENT_ID, 8);
  out[HEADER_BYTES] = type;
  return out;
}

/** BEGIN_REQUEST's body (§5.1): the role, and whether the web server keeps the connection. */
export function parseBeginRequest(content: Buffer): { role: number; keepConn: boolean } {
  if (content.length < 8) throw new FcgiProtocolError(`BEGIN_REQUEST body of ${content.length} bytes, 8 expected`);
  return { role: content.readUInt16BE(0), keepConn: (content[2]! & FLAG_KEEP_CONN) !== 0 };
}

/**
 * Name-value pairs (§3.4) as a prototype-less map; a repeated name keeps its last value. Names
 * and values are decoded as UTF-8, as Node decodes a CGI process's environment. Throws
 * FcgiProtocolError when a pair runs past the end.
 */
export function decodeNameValuePairs(bytes: Buffer): Record<string, string> {
  const pairs: Record<string, string> = Object.create(null);
  let at = 0;
  while (at < bytes.length) {
    const name = readLength(bytes, at);
    const value = readLength(bytes, name.next);
    const start = value.next;
    if (start + name.length + value.length > bytes.length) throw new FcgiProtocolError('a name-value pair runs past the end of its stream');
    pairs[bytes.toString('utf8', start, start + name.length)] = bytes.toString('utf8', start + name.length, start + name.length + value.length);
    at = start + name.length + value.length;
  }
  return pairs;
}

/** Name-value pairs (§3.4) as bytes. */
export function encodeNameValuePairs(pairs: Iterable<readonly [string, string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of pairs) {
    const nameBytes = Buffer.from(name);
    const valueBytes = Buffer.from(value);
    parts.push(lengthBytes(nameBytes.length), lengthBytes(valueBytes.length), nameBytes, valueBytes);
  }
  return Buffer.concat(parts);
}

/**
 * Cuts a connection's bytes into records, whatever the chunks' boundaries. Throws
 * FcgiProtocolError for a record of another version: nothing after it can be trusted.
 */
export class RecordReader {
  #pending: Buffer | undefined;

  /** The records completed by `chunk`, in order. Their content may share memory with `chunk`. */
  push(chunk: Buffer): FcgiRecord[] {
    const bytes = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    const records: FcgiRecord[] = [];
    let at = 0;
    while (bytes.length - at >= HEADER_BYTES) {
      if (bytes[at] !== FCGI_VERSION) throw new FcgiProtocolError(`a record of version ${bytes[at]}, not ${FCGI_VERSION}`);
      const length = bytes.readUInt16BE(at + 4);
      const end = at + HEADER_BYTES + length + bytes[at + 6]!;
      if (end > bytes.length) break;
      records.push({ type: bytes[at + 1]!, requestId: bytes.readUInt16BE(at + 2), content: bytes.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length) });
      at = end;
    }
    // A copy, so that a record's few leftover bytes do not keep a large chunk alive.
    this.#pending = at < bytes.length ? Buffer.from(bytes.subarray(at)) : undefined;
    return records;
  }
}

function writeHeader(out: Buffer, offset: number, type: number, requestId: number, length: number): void {
  out[offset] = FCGI_VERSION;
  out[offset + 1] = type;
  out.writeUInt16BE(requestId, offset + 2);
  out.writeUInt16BE(length, offset + 4);
  out[offset + 6] = padded(length) - length;
  out[offset + 7] = 0;
}

function padded(length: number): number {
  return (length + 7) & ~7;
}

/** A length of §3.4: one byte below 128, else four with the high bit set. */
function readLength(bytes: Buffer, at: number): { length: number; next: number } {
  if (at >= bytes.length) throw new FcgiProtocolError('a name-value pair runs past the end of its stream');
  const first = bytes[at]!;
  if (first < 0x80) return { length: first, next: at + 1 };
  if (at + 4 > bytes.length) throw new FcgiProtocolError('a name-value pair runs past the end of its stream');
  return { length: bytes.readUInt32BE(at) & 0x7fffffff, next: at + 4 };
}

function lengthBytes(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const out = Buffer.alloc(4);
  out.writeUInt32BE((length | 0x80000000) >>> 0);
  return out;
}
