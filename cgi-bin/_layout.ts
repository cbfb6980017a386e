// The page frame every demo shares: a title, a link home, and a little CSS. A module of the demos
// (the leading _ keeps the build from treating it as a script).
import { html, rawHtml, type SafeHtml } from 'node-cgi-shim';

// Markup of our own, so it is passed through as it is.
const STYLE = rawHtml(`body{font:16px/1.5 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:14px ui-monospace,monospace;background:#f4f4f4;border-radius:3px}
pre{padding:.6rem;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;text-align:left}
.note{background:#eef6ff;border-left:4px solid #48c;padding:.5rem .8rem}
.error{background:#fff0f0;border-left:4px solid #c44;padding:.5rem .8rem}
nav{margin-bottom:1rem}`);

/** A whole demo page around `body`; `isIndex` leaves out the link to the index itself. */
export function page(title: string, body: SafeHtml, isIndex = false): SafeHtml {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title}</title><style>${STYLE}</style></head>
<body>${isIndex ? '' : html`<nav><a href="index.cgi">← all demos</a></nav>`}
<h1>${title}</h1>
${body}
</body></html>
`;
}
