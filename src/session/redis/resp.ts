// RESP2, the Redis wire protocol (https://redis.io/docs/latest/develop/reference/protocol-spec/):
// commands encoded as arrays of bulk strings, and a streaming parser of replies. Hand-written:
// redis-parser does the same but costs more to load than this whole client (BENCHMARKS.md).

/** A reply: simple and bulk strings as UTF-8 text, integers as numbers, nil as null, arrays;
 * an error reply inside an array stays a {@link RedisError} value (top-level ones reject). */
export type RedisReply = string | number | null | RedisError | RedisReply[];

/** A command's arguments; numbers are sent as their decimal text. */
export type RedisArg = string | number;

/**
 * An error of the Redis client. `code` is the error's first word for an error reply of the server
 * (`ERR`, `NOSCRIPT`, `WRONGPASS`, `NOAUTH`, `WRONGTYPE`…), or a Node-style code for a failure
 * of the connection: `ETIMEDOUT` (no connection or no reply in time), `ECONNCLOSED` (closed
 * with replies pending), `EPROTOCOL` (a reply that is not RESP), or the system's (`ECONNREFUSED`,
 * `ENOENT` for a missing socket file, a TLS certificate error…).
 */
export class RedisError extends Error {
  readonly code: string;
  /** True for an error reply of the server: the connection itself is fine. */
  readonly isReply: boolean;
  /** True when connecting failed at AUTH or SELECT: a wrong password, user or database number,
   * which waiting will not cure. */
  readonly isHandshake: boolean;
  constructor(code: string, message: string, options?: { cause?: unknown; isReply?: boolean; isHandshake?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RedisError';
    this.code = code;
    this.isReply = options?.isReply ?? false;
    this.isHandshake = options?.isHandshake ?? false;
  }
}

// Type bytes of RESP2 (spec, "RESP protocol description").
const SIMPLE_STRING = 0x2b; // +
const ERROR = 0x2d; // -
const INTEGER = 0x3a; // :
const BULK_STRING = 0x24; // $
const ARRAY = 0x2a; // *
const CR = 0x0d;

/** Returned while a reply is not complete yet. */
const INCOMPLETE = Symbol('incomplete');

/**
 * Encodes one command as a RESP array of bulk strings.
 * @example encodeCommand(['GET', 'k']) // '*2\r\n$3\r\nGET\r\n$1\r\nk\r\n'
 */
export function encodeCommand(args: readonly RedisArg[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) {
    const text = typeof arg === 'string' ? arg : String(arg);
    out += `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  }
  return out;
}

/**
 * Parses a stream of replies fed in chunks of any size, calling `onReply` once per complete
 * top-level reply, in order. A byte stream that is not RESP throws a RedisError `EPROTOCOL`.
 */
export class ReplyParser {
  readonly #onReply: (reply: RedisReply) => void;
  /** Bytes received and not yet consumed, starting at a reply's first byte. */
  #buffer: Buffer | undefined;
  /** Chunks held back until `#needBytes` have arrived (a large bulk string in pieces). */
  #waiting: Buffer[] = [];
  #waitingBytes = 0;
  #needBytes = 0;
  #pos = 0;
  #needEnd = 0;

  constructor(onReply: (reply: RedisReply) => void) {
    this.#onReply = onReply;
  }

  /** Feeds the next chunk of the stream. */
  feed(chunk: Buffer): void {
    if (this.#buffer !== undefined) {
      this.#waiting.push(chunk);
      this.#waitingBytes += chunk.length;
      // Concatenating on every chunk of a 64 KiB value would copy it dozens of times.
      if (this.#buffer.length + this.#waitingBytes < this.#needBytes) return;
      chunk = Buffer.concat([this.#buffer, ...this.#waiting]);
      this.#waiting = [];
      this.#waitingBytes = 0;
    }
    this.#buffer = undefined;
    let start = 0;
    while (start < chunk.length) {
      this.#pos = start;
      this.#needEnd = 0;
      const reply = this.#read(chunk);
      if (reply === INCOMPLETE) {
        this.#buffer = chunk.subarray(start);
        this.#needBytes = this.#needEnd - start;
        return;
      }
      start = this.#pos;
      this.#onReply(reply);
    }
  }

  /** Reads one reply at `#pos`, advancing it past the reply. */
  #read(buf: Buffer): RedisReply | typeof INCOMPLETE {
    const type = buf[this.#pos];
    const lineEnd = buf.indexOf(CR, this.#pos + 1);
    if (type === undefined || lineEnd < 0 || lineEnd + 1 >= buf.length) return INCOMPLETE;
    const start = this.#pos + 1;
    this.#pos = lineEnd + 2;
    switch (type) {
      case SIMPLE_STRING:
        return buf.toString('utf8', start, lineEnd);
      case ERROR:
        return replyError(buf.toString('utf8', start, lineEnd));
      case INTEGER:
        return parseInteger(buf, start, lineEnd);
      case BULK_STRING:
        return this.#readBulk(buf, parseInteger(buf, start, lineEnd));
      case ARRAY:
        return this.#readArray(buf, parseInteger(buf, start, lineEnd));
      default:
        throw new RedisError('EPROTOCOL', `redis: not a RESP reply (type byte 0x${type.toString(16)})`);
    }
  }

  #readBulk(buf: Buffer, length: number): string | null | typeof INCOMPLETE {
    if (length < 0) return null;
    const end = this.#pos + length;
    if (end + 2 > buf.length) {
      this.#needEnd = end + 2;
      return INCOMPLETE;
    }
    const text = buf.toString('utf8', this.#pos, end);
    this.#pos = end + 2;
    return text;
  }

  #readArray(buf: Buffer, length: number): RedisReply[] | null | typeof INCOMPLETE {
    if (length < 0) return null;
    const items: RedisReply[] = new Array<RedisReply>(length);
    for (let i = 0; i < length; i++) {
      const item = this.#read(buf);
      if (item === INCOMPLETE) return INCOMPLETE;
      items[i] = item;
    }
    return items;
  }
}

/** A server's error reply (`-NOSCRIPT No matching script…`) as a RedisError coded by its first word. */
function replyError(line: string): RedisError {
  const space = line.indexOf(' ');
  const code = space > 0 ? line.slice(0, space) : line;
  return new RedisError(code, `redis: ${line}`, { isReply: true });
}

/** The decimal integer in `buf[start, end)`, as Redis writes it (optional minus, digits). */
function parseInteger(buf: Buffer, start: number, end: number): number {
  const negative = buf[start] === 0x2d;
  let value = 0;
  for (let i = negative ? start + 1 : start; i < end; i++) {
    const digit = buf[i]! - 0x30;
    if (digit < 0 || digit > 9) throw new RedisError('EPROTOCOL', `redis: bad integer in reply: ${buf.toString('latin1', start, end)}`);
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}
