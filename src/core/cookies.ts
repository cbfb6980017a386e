// Cookies (RFC 6265 and the 6265bis draft): lenient parsing of the `Cookie` request header and
// strict serialization of `Set-Cookie`. The grammar work is jshttp/cookie's; this module adds the
// rules it leaves out: the `__Host-`/`__Secure-` prefixes, SameSite=None needing Secure, and sizes.

import { parseCookie, stringifySetCookie } from 'cookie';

/** RFC 6265bis §5.6: browsers ignore a cookie whose name plus value exceed 4096 octets. */
const MAX_NAME_VALUE_BYTES = 4096;
/** RFC 6265bis §5.6: browsers ignore an attribute value longer than 1024 octets. */
const MAX_ATTRIBUTE_BYTES = 1024;
/** RFC 6265bis §5.6.1/§5.6.2: lifetimes are capped at 400 days by every browser. */
const MAX_AGE_CAP_SECONDS = 400 * 24 * 60 * 60;

/** Attributes of a `Set-Cookie` header. Each is left out unless given. */
export interface CookieOptions {
  /** Lifetime in seconds (RFC 6265 §5.2.2); 0 or less expires the cookie now. Values over 400
   * days are lowered to 400 days, as browsers do anyway. */
  maxAgeSeconds?: number;
  /** Absolute expiry (RFC 6265 §5.2.1). Prefer `maxAgeSeconds`; both may be given. */
  expires?: Date;
  /** Hosts that receive the cookie (RFC 6265 §5.2.3). Omit for host-only, the safer default. */
  domain?: string;
  /** Path prefix that receives the cookie (RFC 6265 §5.2.4). */
  path?: string;
  /** Send only over HTTPS (RFC 6265 §5.2.5). */
  secure?: boolean;
  /** Hide from `document.cookie` (RFC 6265 §5.2.6). */
  httpOnly?: boolean;
  /** Cross-site sending policy (RFC 6265bis §5.6.7). `none` requires `secure`. */
  sameSite?: 'strict' | 'lax' | 'none';
  /** CHIPS partitioned storage; requires `secure`. */
  partitioned?: boolean;
  /** Chromium's eviction priority. */
  priority?: 'low' | 'medium' | 'high';
}

/**
 * Parses a `Cookie` header (CGI's `HTTP_COOKIE`) into name → value. Never throws: a malformed
 * pair (no `=`, or no name) is skipped and the others kept, the first of duplicate names wins (RFC 6265 §5.4 orders
 * more specific cookies first), a bad `%` escape leaves the raw value, and the result has no
 * prototype, so names like `__proto__` are plain keys.
 * @example parseCookies('a=1; b=%zz; a=2') // { a: '1', b: '%zz' }
 */
export function parseCookies(header: string | undefined): Record<string, string> {
  const parsed = parseCookie(header ?? '');
  const out: Record<string, string> = Object.create(null);
  for (const name of Object.keys(parsed)) {
    const value = parsed[name];
    // A pair like `=x` has no name to look it up by; drop it rather than key it by ''.
    if (value !== undefined && name !== '') out[name] = value;
  }
  return out;
}

/**
 * Serializes one `Set-Cookie` header value. The value is percent-encoded as needed, so any
 * string round-trips through {@link parseCookies}. Throws a TypeError naming the option for an
 * invalid name, value or attribute, a broken prefix rule, or a cookie browsers would drop.
 * @example serializeCookie('theme', 'dark', { path: '/', maxAgeSeconds: 3600 })
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  checkPrefixRules(name, options);
  if (options.sameSite === 'none' && !options.secure) {
    throw new TypeError('option sameSite is invalid: SameSite=None requires secure (browsers reject it otherwise)');
  }
  if (options.partitioned && !options.secure) {
    throw new TypeError('option partitioned is invalid: Partitioned requires secure');
  }
  checkAttributeLength('path', options.path);
  checkAttributeLength('domain', options.domain);
  const maxAge = options.maxAgeSeconds;
  if (maxAge !== undefined && !Number.isInteger(maxAge)) {
    throw new TypeError(`option maxAgeSeconds is invalid: ${maxAge}`);
  }
  const header = stringifySetCookie(name, value, {
    maxAge: maxAge === undefined ? undefined : Math.min(maxAge, MAX_AGE_CAP_SECONDS),
    expires: options.expires,
    domain: options.domain,
    path: options.path,
    secure: options.secure,
    httpOnly: options.httpOnly,
    sameSite: options.sameSite,
    partitioned: options.partitioned,
    priority: options.priority,
  });
  const pairBytes = Buffer.byteLength(header.split(';', 1)[0] ?? '') - 1;
  if (pairBytes > MAX_NAME_VALUE_BYTES) {
    throw new TypeError(`argument value is invalid: name and encoded value are ${pairBytes} bytes, over ${MAX_NAME_VALUE_BYTES}`);
  }
  return header;
}

function checkPrefixRules(name: string, options: CookieOptions): void {
  // RFC 6265bis §4.1.3: the prefixes are matched case-insensitively by current browsers.
  const lower = name.toLowerCase();
  if (lower.startsWith('__secure-') && !options.secure) {
    throw new TypeError(`option secure is invalid: a ${name} cookie must be secure (__Secure- prefix)`);
  }
  if (lower.startsWith('__host-')) {
    if (!options.secure) throw new TypeError(`option secure is invalid: a ${name} cookie must be secure (__Host- prefix)`);
    if (options.path !== '/') throw new TypeError(`option path is invalid: a ${name} cookie must have path "/" (__Host- prefix)`);
    if (options.domain !== undefined) throw new TypeError(`option domain is invalid: a ${name} cookie must not have a domain (__Host- prefix)`);
  }
}

function checkAttributeLength(option: string, value: string | undefined): void {
  if (value !== undefined && Buffer.byteLength(value) > MAX_ATTRIBUTE_BYTES) {
    throw new TypeError(`option ${option} is invalid: longer than ${MAX_ATTRIBUTE_BYTES} bytes`);
  }
}
