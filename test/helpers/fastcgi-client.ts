// A FastCGI client for tests, the web server's side of the protocol: builds a request's records
// (optionally with FCGI_KEEP_CONN, PARAMS split inside a pair, an ABORT_REQUEST), sends them on a
// connection, and collects each request's STDOUT, STDERR and END_REQUEST.

import { connect, type Socket } from 'node:net';
import {
  encodeNameValuePairs, encodeRecords, FLAG_KEEP_CONN, RecordReader, RecordType, ROLE_RESPONDER, type FcgiRecord,
} from '../../src/adapters/fastcgi/records.js';
import { parseCgiOutput, type CgiOutput } from './cgi.js';

/** Where a FastCGI application listens: a Unix socket's path, or a TCP port on 127.0.0.1. */
export type FcgiTarget = string | number;

/** How to build a request's records. */
export interface RequestShape {
  /** @default 1 */
  id?: number;
  /** Set FCGI_KEEP_CONN: the application must leave the connection open. @default false */
  keepConn?: boolean;
  /** @default RESPONDER */
  role?: number;
  /** Cut the PARAMS stream into two records at this byte (inside a name-value pair). */
  splitParamsAt?: number;
  /** End with ABORT_REQUEST instead of the empty STDIN record. @default false */
  abort?: boolean;
}

/** What came back for one request. */
export interface FcgiResponse {
  stdout: Buffer;
  stderr: string;
  appStatus: number;
  protocolStatus: number;
  /** The types of the request's records, in order (END_REQUEST last). */
  types: number[];
  /** STDOUT parsed as CGI output (throws on access if it is not). */
  readonly cgi: CgiOutput;
}

/** The records of one request: BEGIN_REQUEST, PARAMS, STDIN (or ABORT_REQUEST). */
export function requestBytes(params: Record<string, string>, body: Uint8Array = Buffer.alloc(0), shape: RequestShape = {}): Buffer {
  const id = shape.id ?? 1;
  const begin = Buffer.alloc(8);
  begin.writeUInt16BE(shape.role ?? ROLE_RESPONDER, 0);
  begin[2] = shape.keepConn ? FLAG_KEEP_CONN : 0;
  const pairs = encodeNameValuePairs(Object.entries(params));
  const cut = shape.splitParamsAt;
  const paramRecords = cut === undefined ? [encodeRecords(RecordType.PARAMS, id, pairs)]
    : [encodeRecords(RecordType.PARAMS, id, pairs.subarray(0, cut)), encodeRecords(RecordType.PARAMS, id, pairs.subarray(cut))];
  const parts = [encodeRecords(RecordType.BEGIN_REQUEST, id, begin), ...paramRecords, encodeRecords(RecordType.PARAMS, id, Buffer.alloc(0))];
  if (body.length > 0) parts.push(encodeRecords(RecordType.STDIN, id, body));
  parts.push(shape.abort ? encodeRecords(RecordType.ABORT_REQUEST, id, Buffer.alloc(0)) : encodeRecords(RecordType.STDIN, id, Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** One connection to a FastCGI application. */
export class FcgiConnection {
  readonly socket: Socket;
  /** Resolves when the connection has closed (by either side). */
  readonly closed: Promise<void>;
  readonly #reader = new RecordReader();
  readonly #records: FcgiRecord[] = [];
  #waiters: Array<() => void> = [];
  #ended = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#records.push(...this.#reader.push(chunk).map((r) => ({ ...r, content: Buffer.from(r.content) })));
      this.#wakeAll();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.#ended = true;
      this.#wakeAll();
      resolve();
    }));
  }

  /** Connects to `target`. */
  static open(target: FcgiTarget): Promise<FcgiConnection> {
    return new Promise((resolve, reject) => {
      const socket = typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
      socket.once('connect', () => resolve(new FcgiConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes raw bytes. */
  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Sends a request (see {@link requestBytes}) and resolves with its response. */
  request(params: Record<string, string>, body?: Uint8Array, shape: RequestShape = {}): Promise<FcgiResponse> {
    this.send(requestBytes(params, body, shape));
    return this.response(shape.id ?? 1);
  }

  /** Resolves with request `id`'s records up to its END_REQUEST; rejects if the connection
   * closes first. */
  async response(id: number): Promise<FcgiResponse> {
    for (;;) {
      const end = this.#records.findIndex((r) => r.requestId === id && r.type === RecordType.END_REQUEST);
      if (end !== -1) {
        const mine = this.#records.slice(0, end + 1).filter((r) => r.requestId === id);
        for (let i = end; i >= 0; i--) if (this.#records[i]!.requestId === id) this.#records.splice(i, 1);
        return toResponse(mine);
      }
      if (this.#ended) throw new Error(`the connection closed before END_REQUEST of request ${id}`);
      await new Promise<void>((resolve) => { this.#waiters.push(resolve); });
    }
  }

  /** The next management record (request id 0). */
  async management(): Promise<FcgiRecord> {
    for (;;) {
      const at = this.#records.findIndex((r) => r.requestId === 0);
      if (at !== -1) return this.#records.splice(at, 1)[0]!;
      if (this.#ended) throw new Error('the connection closed before a management record');
      await new Promise<void>((resolve) => { this.#waiters.push(resolve); });
    }
  }

  /** Records received and not yet taken by {@link response}. */
  get unread(): readonly FcgiRecord[] {
    return this.#records;
  }

  close(): void {
    this.socket.destroy();
  }

  #wakeAll(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** One request on a connection of its own, as mod_fcgid and lighttpd send them. */
export async function fastCgiRequest(target: FcgiTarget, params: Record<string, string>, body?: Uint8Array): Promise<FcgiResponse> {
  const connection = await FcgiConnection.open(target);
  try {
    return await connection.request(params, body);
  } finally {
    connection.close();
  }
}

function toResponse(records: FcgiRecord[]): FcgiResponse {
  const of = (type: number) => Buffer.concat(records.filter((r) => r.type === type).map((r) => r.content));
  const end = records[records.length - 1]!.content;
  const stdout = of(RecordType.STDOUT);
  let parsed: CgiOutput | undefined;
  return {
    stdout,
    stderr: of(RecordType.STDERR).toString(),
    appStatus: end.readUInt32BE(0),
    protocolStatus: end[4]!,
    types: records.map((r) => r.type),
    get cgi() {
      parsed ??= parseCgiOutput(stdout);
      return parsed;
    },
  };
}
