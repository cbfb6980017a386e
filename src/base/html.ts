// HTML output: escaping, and a tagged template that escapes every interpolation unless it is
// markup already marked safe. The brand makes "escaped by default" checkable by the type system.

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
};
const NEEDS_ESCAPE = /[&<>"']/g;

/** Markup that is already safe to emit: made only by {@link html} and {@link rawHtml}. */
export class SafeHtml {
  readonly #markup: string;
  constructor(markup: string) {
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

/**
 * Escapes text for an HTML element's content or a quoted attribute value.
 * `null` and `undefined` become the empty string.
 * @example escapeHtml('<b>"hi"</b>') // '&lt;b&gt;&quot;hi&quot;&lt;/b&gt;'
 */
export function escapeHtml(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value).replace(NEEDS_ESCAPE, (ch) => ESCAPES[ch] ?? ch);
}

/**
 * A tagged template for HTML. Interpolated values are escaped; a {@link SafeHtml} (such as a
 * nested `html` template) is kept as it is; arrays are joined, each item treated the same way;
 * `null`, `undefined` and `false` print nothing, so `${cond && html`…`}` works.
 * @example html`<p>Hello, ${name}</p>` // name '<x>' prints as &lt;x&gt;
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  // Stryker disable StringLiteral,EqualityOperator: a template has one more string than values, so
  // the fallbacks never apply and a further round would add interpolate(undefined), which is ''.
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += interpolate(values[i]) + (strings[i + 1] ?? '');
  }
  // Stryker restore StringLiteral,EqualityOperator
  return new SafeHtml(out);
}

/** Marks a string as trusted markup. Use only for markup you wrote, never for input. */
export function rawHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

function interpolate(value: unknown): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(interpolate).join('');
  if (value === false) return '';
  return escapeHtml(value);
}
