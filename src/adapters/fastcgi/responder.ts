// The FastCGI responder (spec §6.2) on each connection a web server opens: it collects a
// request's PARAMS and STDIN, hands the whole request to the application, and writes its answer
// as STDERR, STDOUT and END_REQUEST records in one write. It honours FCGI_KEEP_CONN, serves
// several requests of one connection at once, answers GET_VALUES and ABORT_REQUEST, and never
// writes for a request after its END_REQUEST.
//
// Our own, not node-fastcgi 2.0.0: that library ignores FCGI_KEEP_CONN (the failures behind
// Apache's enablereuse), dies on a throwing handler or an unknown record, garbles PARAMS split
// across records, and costs several times the CPU per request (BENCHMARKS.md, FastCGI).

import type { Socket } from 'node:net';
import {
  decodeNameValuePairs, encodeNameValuePairs, encodeRecords, endRequestRecord, FcgiProtocolError, MANAGEMENT_ID,
  parseBeginRequest, ProtocolStatus, RecordReader, RecordType, ROLE_RESPONDER, unknownTypeRecord, type FcgiRecord,
} from './records.js';

/** One request, whole, as the application gets it. */
export interface ResponderRequest {
  /** The request's id on its connection. */
  readonly id: number;
  /** The PARAMS: the request's CGI meta-variables, prototype-less. */
  readonly params: Record<string, string>;
  /** STDIN, at most `maxBodyBytes` of it; more is read and dropped. */
  readonly body: Buffer;
  /** Aborted when the web server aborts the request (ABORT_REQUEST) or the connection is lost. */
  readonly signal: AbortSignal;
}

/** What the application answers. */
export interface ResponderReply {
  /** The CGI response (header block, blank line, body), sent as STDOUT. */
  stdout: Uint8Array;
  /** Diagnostics for the web server's error log, sent as STDERR. */
  stderr?: Uint8Array;
  /** END_REQUEST's appStatus (a CGI process's exit status). @default 0 */
  appStatus?: number;
}

/** The application: never rejects (a rejection is logged and answered with a bare 500). */
export type ResponderApp = (request: ResponderRequest) => Promise<ResponderReply>;

/** Options of {@link Responder}. */
export interface ResponderOptions {
  /** Bytes of STDIN kept per request. */
  maxBodyBytes: number;
  /** Receives a diagnostic that belongs to no request (a peer breaking the protocol). */
  log: (line: string) => void;
}

/** Requests one connection may have in flight; more are refused with OVERLOADED. Servers that
 * multiplex at all send a few. */
export const MAX_REQUESTS_PER_CONNECTION = 64;
/** The most PARAMS bytes of one request: far above any web server's header limits. */
const MAX_PARAMS_BYTES = 1024 * 1024;
/** While stopping, a kept connection is closed once idle this long, so that a web server is
 * unlikely to be handing it a new request at that moment. */
const STOP_IDLE_MS = 100;

const BARE_500 = Buffer.from('Status: 500 Internal Server Error\r\nContent-Type: text/plain\r\nCache-Control: no-store\r\n\r\nInternal Server Error\n');
const EMPTY = Buffer.alloc(0);

/** The responder of a server's connections; give it each connection with {@link handle}. */
export class Responder {
  readonly #app: ResponderApp;
  readonly #options: ResponderOptions;
  readonly #connections = new Set<Connection>();
  #begun = 0;
  #stopping = false;
  #stopped: (() => void) | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  /** Called as each request begins, with the count so far. */
  onBegin: ((count: number) => void) | undefined;

  constructor(app: ResponderApp, options: ResponderOptions) {
    this.#app = app;
    this.#options = options;
  }

  /** Requests begun since start. */
  get begun(): number {
    return this.#begun;
  }

  /** Requests in flight on all connections. */
  get inFlight(): number {
    let count = 0;
    for (const connection of this.#connections) count += connection.inFlight;
    return count;
  }

  /** Serves one connection until it closes. */
  handle(socket: Socket): void {
    socket.setNoDelay(true);
    const connection = new Connection(socket, this.#app, this.#options, () => this.#countBegin());
    this.#connections.add(connection);
    socket.once('close', () => {
      this.#connections.delete(connection);
      this.#checkStopped();
    });
  }

  /**
   * Finishes what is in flight and closes every connection: a kept connection once it has been
   * idle for a moment, one that has not sent its first request yet only after that request.
   * Resolves when all are closed; after `deadlineMs`, the rest are cut.
   */
  stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    return new Promise((resolve) => {
      this.#stopped = resolve;
      const until = Date.now() + deadlineMs;
      this.#sweeper = setInterval(() => {
        const cut = Date.now() >= until;
        for (const connection of this.#connections) connection.closeIfIdle(cut ? 0 : STOP_IDLE_MS, cut);
      }, STOP_IDLE_MS / 2);
      this.#checkStopped();
    });
  }

  #countBegin(): void {
    this.#begun++;
    this.onBegin?.(this.#begun);
  }

  #checkStopped(): void {
    if (!this.#stopping || this.#connections.size > 0 || this.#stopped === undefined) return;
    clearInterval(this.#sweeper);
    this.#stopped();
    this.#stopped = undefined;
  }
}

/** A request between BEGIN_REQUEST and END_REQUEST. */
interface Pending {
  id: number;
  keepConn: boolean;
  state: 'params' | 'stdin' | 'running';
  params: Buffer[];
  paramsBytes: number;
  env: Record<string, string> | undefined;
  body: Buffer[];
  bodyBytes: number;
  aborter: AbortController;
}

/** One connection's records and requests. */
class Connection {
  readonly #reader = new RecordReader();
  readonly #requests = new Map<number, Pending>();
  #served = 0;
  #idleSince = Date.now();
  #closing = false;

  constructor(
    readonly socket: Socket,
    readonly app: ResponderApp,
    readonly options: ResponderOptions,
    readonly countBegin: () => void,
  ) {
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    // A web server resetting the connection: 'close' follows, which drops its requests.
    socket.on('error', () => {});
    socket.once('close', () => {
      for (const request of this.#requests.values()) request.aborter.abort(new Error('the connection was lost'));
      this.#requests.clear();
    });
  }

  get inFlight(): number {
    return this.#requests.size;
  }

  /** While stopping: ends the connection if nothing is in flight (see Responder.stop). */
  closeIfIdle(idleMs: number, force: boolean): void {
    if (force) {
      this.socket.destroy();
      return;
    }
    if (this.#requests.size === 0 && this.#served > 0 && Date.now() - this.#idleSince >= idleMs) this.#close();
  }

  #receive(chunk: Buffer): void {
    let records: FcgiRecord[];
    try {
      records = this.#reader.push(chunk);
    } catch (error) {
      this.#breach(error);
      return;
    }
    for (const record of records) {
      if (this.socket.destroyed) return;
      try {
        if (record.requestId === MANAGEMENT_ID) this.#management(record);
        else this.#record(record);
      } catch (error) {
        this.#breach(error);
        return;
      }
    }
  }

  #management(record: FcgiRecord): void {
    if (record.type !== RecordType.GET_VALUES) {
      this.#write(unknownTypeRecord(record.type));
      return;
    }
    const known: Record<string, string> = { FCGI_MAX_REQS: String(MAX_REQUESTS_PER_CONNECTION), FCGI_MPXS_CONNS: '1' };
    const asked = Object.keys(decodeNameValuePairs(record.content)).filter((name) => Object.hasOwn(known, name));
    this.#write(encodeRecords(RecordType.GET_VALUES_RESULT, MANAGEMENT_ID, encodeNameValuePairs(asked.map((name) => [name, known[name]!]))));
  }

  #record(record: FcgiRecord): void {
    const { type, requestId: id, content } = record;
    if (type === RecordType.BEGIN_REQUEST) {
      this.#begin(id, content);
      return;
    }
    const request = this.#requests.get(id);
    if (request === undefined) return; // For a request already ended (or never begun): ignored.
    if (type === RecordType.PARAMS && request.state === 'params') {
      if (content.length > 0) {
        request.paramsBytes += content.length;
        if (request.paramsBytes > MAX_PARAMS_BYTES) throw new FcgiProtocolError(`PARAMS of more than ${MAX_PARAMS_BYTES} bytes`);
        request.params.push(Buffer.from(content));
        return;
      }
      // PARAMS is a stream: a pair may straddle records, so it is decoded only when whole.
      request.env = decodeNameValuePairs(Buffer.concat(request.params, request.paramsBytes));
      request.params = [];
      request.state = 'stdin';
    } else if (type === RecordType.STDIN && request.state === 'stdin') {
      if (content.length > 0) {
        const room = this.options.maxBodyBytes - request.bodyBytes;
        if (room > 0) request.body.push(Buffer.from(content.subarray(0, room)));
        request.bodyBytes += content.length;
        return;
      }
      request.state = 'running';
      this.#run(request);
    } else if (type === RecordType.ABORT_REQUEST) {
      request.aborter.abort(new Error('the web server aborted the request'));
      this.#end(request, { stdout: EMPTY, appStatus: 1 }, false);
    }
    // DATA (the Filter role) and records out of order: ignored.
  }

  #begin(id: number, content: Buffer): void {
    if (this.#requests.has(id)) throw new FcgiProtocolError(`BEGIN_REQUEST for request ${id}, which is in flight`);
    const { role, keepConn } = parseBeginRequest(content);
    const refusal = role !== ROLE_RESPONDER ? ProtocolStatus.UNKNOWN_ROLE
      : this.#requests.size >= MAX_REQUESTS_PER_CONNECTION ? ProtocolStatus.OVERLOADED : undefined;
    if (refusal !== undefined) {
      this.#write(endRequestRecord(id, 0, refusal));
      if (!keepConn && this.#requests.size === 0) this.#close();
      return;
    }
    this.#requests.set(id, {
      id, keepConn, state: 'params', params: [], paramsBytes: 0, env: undefined, body: [], bodyBytes: 0, aborter: new AbortController(),
    });
    this.countBegin();
  }

  #run(request: Pending): void {
    const body = request.body.length === 1 ? request.body[0]! : Buffer.concat(request.body);
    request.body = [];
    const input: ResponderRequest = { id: request.id, params: request.env!, body, signal: request.aborter.signal };
    let reply: Promise<ResponderReply>;
    try {
      reply = this.app(input);
    } catch (error) {
      reply = Promise.reject(error);
    }
    reply.then((answer) => this.#end(request, answer, true), (error: unknown) => {
      this.options.log(`cgi-shim: FastCGI request failed outside the pipeline: ${String(error)}`);
      this.#end(request, { stdout: BARE_500, appStatus: 1 }, true);
    });
  }

  /** Sends the reply of `request` and its END_REQUEST in one write (no Nagle stall between
   * records), unless the request has ended already (aborted, or its connection gone). */
  #end(request: Pending, reply: ResponderReply, withOutput: boolean): void {
    if (this.#requests.get(request.id) !== request) return;
    this.#requests.delete(request.id);
    this.#served++;
    this.#idleSince = Date.now();
    const parts: Buffer[] = [];
    if (withOutput) {
      if (reply.stderr !== undefined && reply.stderr.length > 0) {
        parts.push(encodeRecords(RecordType.STDERR, request.id, reply.stderr), encodeRecords(RecordType.STDERR, request.id, EMPTY));
      }
      if (reply.stdout.length > 0) parts.push(encodeRecords(RecordType.STDOUT, request.id, reply.stdout));
      parts.push(encodeRecords(RecordType.STDOUT, request.id, EMPTY));
    }
    parts.push(endRequestRecord(request.id, reply.appStatus ?? 0, ProtocolStatus.REQUEST_COMPLETE));
    this.#write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
    // Without KEEP_CONN the application closes the connection (§5.1). With it, even while
    // stopping, not at once: the web server may be handing the connection its next request.
    if (!request.keepConn && this.#requests.size === 0) this.#close();
  }

  #write(bytes: Buffer): void {
    if (!this.#closing && !this.socket.destroyed) this.socket.write(bytes);
  }

  #close(): void {
    if (this.#closing) return;
    this.#closing = true;
    this.socket.end();
  }

  /** A peer that breaks the protocol: nothing more it sends can be trusted. */
  #breach(error: unknown): void {
    this.options.log(`cgi-shim: closing a FastCGI connection: ${error instanceof Error ? error.message : String(error)}`);
    this.socket.destroy();
  }
}
