import test from 'ava';
import { escapeHtml, html, rawHtml, SafeHtml } from '../../src/base/html.js';

test('escapeHtml escapes the five significant characters', (t) => {
  t.is(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
});

test('escapeHtml prints null and undefined as nothing, other values as text', (t) => {
  t.is(escapeHtml(null), '');
  t.is(escapeHtml(undefined), '');
  t.is(escapeHtml(42), '42');
});

test('html escapes interpolations and keeps nested templates', (t) => {
  const name = '<script>alert(1)</script>';
  const inner = html`<b>${name}</b>`;
  const out = html`<p title="${name}">${inner}</p>`;
  t.true(out instanceof SafeHtml);
  t.is(out.toString(), '<p title="&lt;script&gt;alert(1)&lt;/script&gt;"><b>&lt;script&gt;alert(1)&lt;/script&gt;</b></p>');
});

test('html joins arrays and prints false, null and undefined as nothing', (t) => {
  const items = ['a', '<b>'];
  t.is(html`<ul>${items.map((i) => html`<li>${i}</li>`)}</ul>${false}${null}${undefined}${0}`.toString(),
    '<ul><li>a</li><li>&lt;b&gt;</li></ul>0');
});

test('html escapes plain strings inside arrays, nested arrays too', (t) => {
  t.is(html`<p>${['<b>', html`<i>ok</i>`, ['"q"', [`'&'`]]]}</p>`.toString(), '<p>&lt;b&gt;<i>ok</i>&quot;q&quot;&#39;&amp;&#39;</p>');
});

test('rawHtml passes trusted markup through', (t) => {
  t.is(html`${rawHtml('<hr>')}`.toString(), '<hr>');
});
