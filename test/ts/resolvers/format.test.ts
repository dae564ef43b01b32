import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  contentOrEmpty, contentOrJson, eventLine, goalLine, goalTitle, stringTitle, taskLine, truncate,
} from '../../../src/resolvers/format.js';

describe('truncate', () => {
  test('exactly N characters stay unchanged, N+1 are cut to N plus …', () => {
    assert.equal(truncate('a'.repeat(500), 500), 'a'.repeat(500));
    assert.equal(truncate('a'.repeat(501), 500), `${'a'.repeat(500)}…`);
    assert.equal(truncate('abc', 500), 'abc');
    assert.equal(truncate('', 5), '');
  });

  test('the ellipsis is U+2026', () => {
    assert.equal(truncate('abcdef', 3), 'abc\u2026');
  });

  test('never leaves half a surrogate pair', () => {
    assert.equal(truncate('ab😀cd', 3), 'ab…');
    assert.equal(truncate('ab😀cd', 4), 'ab😀…');
  });
});

describe('titles', () => {
  test('encrypted resolvers: title if a string (empty kept), else the fallback', () => {
    assert.equal(stringTitle({ title: 'Einkauf' }, 'Notiz'), 'Einkauf');
    assert.equal(stringTitle({ title: '' }, 'Notiz'), '');
    assert.equal(stringTitle({}, 'Notiz'), 'Notiz');
    assert.equal(stringTitle({ title: null }, 'Notiz'), 'Notiz');
    assert.equal(stringTitle({ title: 7 }, 'Task'), 'Task');
    assert.equal(stringTitle({ title: { x: 1 } }, 'Termin'), 'Termin');
  });

  test('goals: title unless absent or null, else Goal', () => {
    assert.equal(goalTitle({ title: 'Laufen' }), 'Laufen');
    assert.equal(goalTitle({ title: '' }), '');
    assert.equal(goalTitle({ title: 42 }), '42');
    assert.equal(goalTitle({}), 'Goal');
    assert.equal(goalTitle({ title: null }), 'Goal');
  });
});

describe('content', () => {
  test('notes/kontext: content if a string, else its JSON; absent or null → ""', () => {
    assert.equal(contentOrJson({ content: 'Text' }), 'Text');
    assert.equal(contentOrJson({ content: { blocks: [1] } }), '{"blocks":[1]}');
    assert.equal(contentOrJson({ content: 3 }), '3');
    assert.equal(contentOrJson({}), '""');
    assert.equal(contentOrJson({ content: null }), '""');
  });

  test('journal: content if a string, else empty', () => {
    assert.equal(contentOrEmpty({ content: 'Heute' }), 'Heute');
    assert.equal(contentOrEmpty({ content: { a: 1 } }), '');
    assert.equal(contentOrEmpty({}), '');
  });

  test('goal line: progress label, current / target, period in parentheses', () => {
    assert.equal(goalLine({ currentValue: 3, target: { value: 10, period: 'week' } }), 'Fortschritt: 3 / 10 (unbekannt)');
    assert.equal(goalLine({}), 'Fortschritt: 0 / ? (unbekannt)');
    assert.equal(goalLine({ currentValue: 0, target: null, period: 'Monat' }), 'Fortschritt: 0 / ? (Monat)');
  });

  test('task line: each part only when present', () => {
    assert.equal(taskLine({ status: 'open', title: 'Steuer', description: 'Belege', dueDate: '2026-05-31' }),
      '[open] Steuer — Belege (fällig: 2026-05-31)');
    assert.equal(taskLine({ title: 'Steuer', isCompleted: true }), 'Steuer');
    assert.equal(taskLine({}), '(ohne Titel)');
    assert.equal(taskLine({ description: 'nur Text', title: null }), '(ohne Titel) — nur Text');
  });

  test('event line: title, @ start, in location', () => {
    assert.equal(eventLine({ title: 'Zahnarzt', startDate: '2026-01-02T09:00:00.000Z', location: 'Praxis' }),
      'Zahnarzt @ 2026-01-02T09:00:00.000Z in Praxis');
    assert.equal(eventLine({ title: 'Zahnarzt' }), 'Zahnarzt');
    assert.equal(eventLine({ location: 'Berlin' }), '(ohne Titel) in Berlin');
  });
});
