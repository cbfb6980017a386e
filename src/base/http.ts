// The HTTP grammar the runtime, the host and the CLI share (RFC 9110), and the escaping that keeps
// client text from forging lines in a log or sequences on a terminal. One home, so no copy drifts.

/** RFC 9110 §5.6.2: a token, the grammar of method names and header field names. */
export const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** RFC 9110 §5.5: a field value as it may arrive: visible characters, space, tab and obs-text
 * (bytes 0x80–0xFF, read as latin1); never CR, LF, NUL or another control. */
export const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A field value as the runtime emits it: printable ASCII, space and tab only. Stricter than
 * {@link FIELD_VALUE}: servers pass header bytes through unchanged, and browsers decode
 * non-ASCII bytes inconsistently. */
export const ASCII_FIELD_VALUE = /^[\t\x20-\x7e]*$/;

/** Whether `value` is a token (a method or a header name). */
export function isToken(value: string): boolean {
  return TOKEN.test(value);
}

/**
 * Splits one header line `Name: value` into its name and value (surrounding blanks trimmed), or
 * undefined when the name is not a token or the value holds a control character.
 * @example parseHeaderLine('X-Id:  7 ') // ['X-Id', '7']
 */
export function parseHeaderLine(line: string): [name: string, value: string] | undefined {
  const colon = line.indexOf(':');
  if (colon <= 0) return undefined;
  const name = line.slice(0, colon);
  const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
  return TOKEN.test(name) && FIELD_VALUE.test(value) ? [name, value] : undefined;
}

/** C0 controls but tab, DEL, and the C1 controls (a terminal takes 0x9B as an escape). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

/**
 * `text` with every control character but tab written as `\xNN`, so that text from a client or a
 * caller, written into a log line or a terminal, can neither start a line of its own nor move the
 * cursor.
 * @example escapeControls('a\nb') // 'a\\x0ab'
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (char) => `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
