// Reads the "on the wire" panel of a demo page (cgi-bin/_wire.ts) back into plain text, so a test
// can compare it with the headers that really crossed the wire.

/** What a page's panel says. */
export interface WirePanel {
  /** The Cookie header as the page shows it: `Cookie: …`, or '(no Cookie header)'. */
  cookie: string;
  /** Each `Set-Cookie: …` line, or none. */
  setCookies: string[];
  /** The session panels' text, on session demos. */
  sessionBefore?: string;
  sessionAfter?: string;
}

/** The panel of `page` (HTML); throws when the page has none. */
export function readWire(page: string): WirePanel {
  const cookie = elementText(page, 'wire-cookie');
  const setCookie = elementText(page, 'wire-set-cookie');
  if (cookie === undefined || setCookie === undefined) throw new Error('the page has no "on the wire" panel');
  return {
    cookie,
    setCookies: setCookie === '(no Set-Cookie header)' ? [] : setCookie.split('\n'),
    sessionBefore: elementText(page, 'session-before'),
    sessionAfter: elementText(page, 'session-after'),
  };
}

/** The panel's line for a request that sent `header` (undefined: none). */
export function shownCookie(header: string | undefined): string {
  return header === undefined || header === '' ? '(no Cookie header)' : `Cookie: ${header}`;
}

/** The text of the element with `id` (tags dropped, entities decoded), or undefined. */
export function elementText(page: string, id: string): string | undefined {
  const match = new RegExp(`<(\\w+)[^>]* id="${id}"[^>]*>([\\s\\S]*?)</\\1>`).exec(page);
  return match === null ? undefined : decodeText(match[2]!);
}

function decodeText(markup: string): string {
  return markup.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name]!);
}
