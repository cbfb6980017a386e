import test from 'ava';
import { escapeControls, isToken, parseHeaderLine } from '../../src/base/http.js';

test('isToken accepts method and header names and refuses separators', (t) => {
  for (const name of ['GET', 'X-Custom_1', "!#$%&'*+.^_`|~"]) t.true(isToken(name), name);
  for (const name of ['', 'Content Type', 'a:b', 'a(b)', 'é', 'a\nb']) t.false(isToken(name), JSON.stringify(name));
});

test('parseHeaderLine splits a field and trims blanks around its value', (t) => {
  t.deepEqual(parseHeaderLine('X-Id:  7 \t'), ['X-Id', '7']);
  t.deepEqual(parseHeaderLine('Empty:'), ['Empty', '']);
  t.deepEqual(parseHeaderLine('Latin1: caf\xe9'), ['Latin1', 'caf\xe9']);
});

test('parseHeaderLine refuses a line without a token name or with a control character', (t) => {
  for (const line of ['no colon', ': no name', 'Bad Name: x', 'X: a\x01b', 'X: a\rb', 'X: a\0']) {
    t.is(parseHeaderLine(line), undefined, JSON.stringify(line));
  }
});

test('escapeControls writes every control character but tab as \\xNN', (t) => {
  t.is(escapeControls('a\nb\rc\0d\x1b[2J\x7f\x9b\te'), 'a\\x0ab\\x0dc\\x00d\\x1b[2J\\x7f\\x9b\te');
  t.is(escapeControls('plain text, ünïcödé'), 'plain text, ünïcödé');
});
