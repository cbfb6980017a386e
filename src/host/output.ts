// The server's reading of a CGI script's output (RFC 3875 §6): finds the header block, parses it
// strictly, and says what kind of response it is. Pure; a script whose header block does not pass
// gets a 502 from the host, as Apache's "malformed header from script" does.

import { CgiError } from '../base/errors.js';
import { parseHeaderLine } from '../base/http.js';

/** The three kinds of response a script may give (RFC 3875 §6.2). */
export type CgiResponseKind = 'document' | 'local-redirect' | 'client-redirect';

/** A parsed CGI header block. */
export interface CgiHeaderBlock {
  kind: CgiResponseKind;
  /** The HTTP status: from `Status:`, else 302 for a client redirect, else 200. */
  status: number;
  /** The reason phrase from `Status:`, if the script gave one. */
  reason: string | undefined;
  /** The header fields to send to the client, in order, without `Status` and without hop-by-hop
   * fields; repeated fields (several `Set-Cookie`) stay separate. */
  headers: Array<[string, string]>;
  /** The `Location` value, for both kinds of redirect. */
  location: string | undefined;
  /** The body length the script declared with `Content-Length`, if it did. */
  contentLength: number | undefined;
}

/** Where a header block ends in a script's output. */
export interface HeaderBlockEnd {
  /** Offset of the end of the last header line. */
  headEnd: number;
  /** Offset of the first body byte. */
  bodyStart: number;
}

/** Largest header block accepted, in bytes; a script printing more without a blank line is broken. */
export const MAX_HEADER_BLOCK_BYTES = 64 * 1024;

/** RFC 3875 §6.3.3: `Status: 3DIGIT SP reason-phrase`; the reason is optional in practice. */
const STATUS_VALUE = /^([1-5][0-9]{2})(?:[ \t]+([\t\x20-\x7e\x80-\xff]*))?$/;
/** Fields about one connection (RFC 9110 §7.6.1), which a script cannot meaningfully set. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'trailer', 'te', 'proxy-connection']);

/**
 * Finds the blank line ending the header block (lines end in LF or CRLF; RFC 3875 §6 allows
 * both). Returns undefined when the output so far holds no blank line.
 */
export function findHeaderBlockEnd(output: Buffer): HeaderBlockEnd | undefined {
  for (let at = output.indexOf(10); at !== -1; at = output.indexOf(10, at + 1)) {
    let before = at - 1;
    if (before >= 0 && output[before] === 13) before -= 1;
    if (before === -1) return { headEnd: 0, bodyStart: at + 1 };
    if (output[before] !== 10) continue;
    // A blank line: the block ends before the line break that precedes it.
    const headEnd = before > 0 && output[before - 1] === 13 ? before - 1 : before;
    return { headEnd, bodyStart: at + 1 };
  }
  return undefined;
}

/**
 * Parses a header block (the text before the blank line, decoded as latin1) strictly: every line
 * a well-formed field, at most one `Status`, `Location` and `Content-Length` (digits), a valid
 * status code, and a
 * `Content-Type` in a document response without `Status`. Throws CgiError `ECGIHEADER` otherwise.
 * `Location: /path` without `Status` is a local redirect (RFC 3875 §6.2.2), which the server
 * serves itself. So is `//host/path` (an abs-path whose first segment is empty, as Apache reads
 * it): a browser would take it for another host, so it never reaches one as a redirect.
 * @example parseHeaderBlock('Status: 404 Not Found\nContent-Type: text/plain') // → { kind: 'document', status: 404, … }
 */
export function parseHeaderBlock(head: string): CgiHeaderBlock {
  if (head === '') throw invalid('the header block is empty');
  const headers: Array<[string, string]> = [];
  let status: string | undefined;
  let location: string | undefined;
  let contentLength: number | undefined;
  let contentType = false;
  for (const line of head.split(/\r?\n/)) {
    const field = parseHeaderLine(line);
    if (field === undefined) throw invalid(`malformed header line ${JSON.stringify(line.slice(0, 100))}`);
    const [name, value] = field;
    const lower = name.toLowerCase();
    if (lower === 'status') {
      if (status !== undefined) throw invalid('more than one Status header');
      status = value;
    } else if (lower === 'location') {
      if (location !== undefined) throw invalid('more than one Location header');
      if (value === '') throw invalid('empty Location header');
      location = value;
      headers.push([name, value]);
    } else if (lower === 'content-length') {
      if (contentLength !== undefined || !/^[0-9]{1,15}$/.test(value)) throw invalid(`malformed or repeated Content-Length ${JSON.stringify(value.slice(0, 100))}`);
      contentLength = Number(value);
      headers.push([name, value]);
    } else if (!HOP_BY_HOP.has(lower)) {
      if (lower === 'content-type') contentType = true;
      headers.push([name, value]);
    }
  }
  const block = classify(headers, status, location, contentType);
  return { ...block, contentLength };
}

function classify(headers: Array<[string, string]>, status: string | undefined, location: string | undefined, contentType: boolean): Omit<CgiHeaderBlock, 'contentLength'> {
  let code: number | undefined;
  let reason: string | undefined;
  if (status !== undefined) {
    const match = STATUS_VALUE.exec(status);
    if (!match || Number(match[1]) < 200) throw invalid(`malformed Status header ${JSON.stringify(status.slice(0, 100))}`);
    code = Number(match[1]);
    reason = match[2] === undefined || match[2] === '' ? undefined : match[2];
  }
  if (location !== undefined) {
    const local = code === undefined && location.startsWith('/');
    return { kind: local ? 'local-redirect' : 'client-redirect', status: code ?? 302, reason, headers, location };
  }
  if (code === undefined && !contentType) throw invalid('no Content-Type, Status or Location header');
  return { kind: 'document', status: code ?? 200, reason, headers, location };
}

function invalid(message: string): CgiError {
  return new CgiError('ECGIHEADER', `cgi: invalid header block: ${message}`);
}
