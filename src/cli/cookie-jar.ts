// A cookie jar kept in a file between `cgi-shim run` invocations, in the Netscape format curl
// reads with -b and writes with -c, so one jar serves both. tough-cookie decides which cookies a
// request gets and what a Set-Cookie does (domain, path, expiry); this module only reads and
// writes the file's lines.

import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Cookie, CreateCookieOptions } from 'tough-cookie';
import { errorCode } from '../base/errors.js';

/** The comment a jar file opens with, as curl writes it (curl reads a file without it too). */
const HEADER = '# Netscape HTTP Cookie File\n# https://curl.se/docs/http-cookies.html\n# Written by cgi-shim run; curl -b FILE -c FILE reads and writes it too.\n\n';
/** curl marks HttpOnly cookies by prefixing their line with this (otherwise a comment). */
const HTTP_ONLY = '#HttpOnly_';

/** A jar loaded from a file, to be saved back after the request. */
export interface FileCookieJar {
  /** The Cookie header for a request to `url` ('' when no cookie matches). */
  cookieHeader(url: string): Promise<string>;
  /** Applies a response's Set-Cookie header for `url`; returns false when the jar refused it. */
  store(setCookie: string, url: string): Promise<boolean>;
  /** Writes the jar's live cookies back to the file (expired ones are left out). */
  save(): Promise<void>;
}

/**
 * Loads a jar from `file`; a missing file is an empty jar (as with curl -c). Throws a TypeError
 * naming the line for a malformed one.
 */
export async function loadCookieJar(file: string): Promise<FileCookieJar> {
  // Imported here, so that the CLI's other commands never load it (or its public-suffix list).
  const { Cookie, cookieCompare, CookieJar, MemoryCookieStore } = await import('tough-cookie');
  const store = new MemoryCookieStore();
  const jar = new CookieJar(store);
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  for (const [index, line] of text.split(/\r?\n/).entries()) {
    const fields = parseJarLine(line, `${file}:${index + 1}`);
    if (fields !== undefined) await store.putCookie(new Cookie(fields));
  }
  return {
    cookieHeader: (url) => jar.getCookieString(url),
    async store(setCookie, url) {
      return (await jar.setCookie(setCookie, url, { ignoreError: true })) !== undefined;
    },
    async save() {
      const now = Date.now();
      const live = (await store.getAllCookies()).filter((cookie) => (expiryMs(cookie) ?? Infinity) > now).sort(cookieCompare);
      const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        // Cookies are credentials: the jar is for its owner's eyes only.
        await writeFile(temp, HEADER + live.map(formatJarLine).join(''), { mode: 0o600, flag: 'wx' });
        await rename(temp, file);
      } finally {
        await rm(temp, { force: true });
      }
    },
  };
}

/**
 * One line of a Netscape cookie file: domain, include-subdomains flag, path, secure flag, expiry
 * (Unix seconds, 0 for a browser-session cookie), name, value; separated by tabs. Gives the
 * cookie's fields; blank lines and comments give undefined.
 */
export function parseJarLine(line: string, where: string): CreateCookieOptions | undefined {
  const httpOnly = line.startsWith(HTTP_ONLY);
  const text = httpOnly ? line.slice(HTTP_ONLY.length) : line;
  if (text.trim() === '' || text.startsWith('#')) return undefined;
  const fields = text.split('\t');
  const [domain = '', subdomains, path, secure, expiry = '', key, value = ''] = fields;
  const flags = [subdomains, secure];
  if (fields.length !== 7 || domain === '' || !path?.startsWith('/') || !/^[0-9]+$/.test(expiry) || !key || flags.some((f) => f !== 'TRUE' && f !== 'FALSE')) {
    throw new TypeError(`${where}: not a line of a Netscape cookie file (7 tab-separated fields: domain, TRUE/FALSE, path, TRUE/FALSE, expiry, name, value)`);
  }
  const seconds = Number(expiry);
  return {
    key, value, path, httpOnly,
    domain: domain.replace(/^\./, '').toLowerCase(),
    hostOnly: subdomains === 'FALSE',
    secure: secure === 'TRUE',
    expires: seconds === 0 ? 'Infinity' : new Date(seconds * 1000),
  };
}

/** A cookie as a line of a Netscape cookie file, as curl writes it. */
export function formatJarLine(cookie: Cookie): string {
  const expiry = expiryMs(cookie);
  const fields = [
    `${cookie.httpOnly ? HTTP_ONLY : ''}${cookie.hostOnly ? '' : '.'}${cookie.domain ?? ''}`,
    cookie.hostOnly ? 'FALSE' : 'TRUE',
    cookie.path ?? '/',
    cookie.secure ? 'TRUE' : 'FALSE',
    // A browser-session cookie has no expiry: 0, which curl reads back the same way.
    expiry === undefined || !Number.isFinite(expiry) ? '0' : String(Math.floor(expiry / 1000)),
    cookie.key,
    cookie.value,
  ];
  return `${fields.join('\t')}\n`;
}

/** When a cookie expires, ms since the epoch (Infinity for a browser-session cookie). Max-Age
 * counts from when the cookie was received (RFC 6265 §5.2.2), not from its last use. */
function expiryMs(cookie: Cookie): number | undefined {
  return cookie.expiryTime(cookie.creation instanceof Date ? cookie.creation : undefined);
}
