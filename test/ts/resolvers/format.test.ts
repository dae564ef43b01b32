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

/** Values that are not "present" in a content line: everything but a non-empty string. */
const ABSENT: [string, unknown][] = [
  ['empty string', ''], ['number', 42], ['zero', 0], ['boolean', true], ['object', { x: 1 }], ['array', ['a']], ['null', null],
  ['undefined', undefined],
];

describe('content lines: "present" means a non-empty string, in every part (table)', () => {
  const fullTask = { status: 'open', title: 'Steuer', description: 'Belege', dueDate: '2026-05-31' };
  const taskWithout: Record<string, string> = {
    status: 'Steuer — Belege (fällig: 2026-05-31)',
    title: '[open] (ohne Titel) — Belege (fällig: 2026-05-31)',
    description: '[open] Steuer (fällig: 2026-05-31)',
    dueDate: '[open] Steuer — Belege',
  };
  for (const [field, expected] of Object.entries(taskWithout)) {
    for (const [kind, value] of ABSENT) {
      test(`task line, ${field} = ${kind}`, () => assert.equal(taskLine({ ...fullTask, [field]: value }), expected));
    }
  }
  test('task line: every field not present at once (the reference test case) → the title alone', () => {
    assert.equal(taskLine({ title: 'Buy milk', description: '', dueDate: '', status: '' }), 'Buy milk');
    for (const [, value] of ABSENT) {
      assert.equal(taskLine({ status: value, title: value, description: value, dueDate: value }), '(ohne Titel)');
    }
  });

  const fullEvent = { title: 'Meet', startDate: '2026-01-02T09:00:00.000Z', location: 'Praxis' };
  const eventWithout: Record<string, string> = {
    title: '(ohne Titel) @ 2026-01-02T09:00:00.000Z in Praxis',
    startDate: 'Meet in Praxis',
    location: 'Meet @ 2026-01-02T09:00:00.000Z',
  };
  for (const [field, expected] of Object.entries(eventWithout)) {
    for (const [kind, value] of ABSENT) {
      test(`event line, ${field} = ${kind}`, () => assert.equal(eventLine({ ...fullEvent, [field]: value }), expected));
    }
  }
  test('event line: empty start and location (the reference test case) → the title alone', () => {
    assert.equal(eventLine({ title: 'Meet', startDate: '', location: '' }), 'Meet');
  });

  // Goal counts are numbers in real records: a finite number or a non-empty string is shown.
  for (const [kind, value] of ABSENT) {
    const shown = (typeof value === 'number') ? String(value) : null;
    test(`goal line, currentValue = ${kind}`, () => {
      assert.equal(goalLine({ currentValue: value, target: { value: 10 }, period: 'Woche' }), `Fortschritt: ${shown ?? '0'} / 10 (Woche)`);
    });
    test(`goal line, target.value = ${kind}`, () => {
      assert.equal(goalLine({ currentValue: 3, target: { value }, period: 'Woche' }), `Fortschritt: 3 / ${shown ?? '?'} (Woche)`);
    });
    test(`goal line, period = ${kind}`, () => {
      assert.equal(goalLine({ currentValue: 3, target: { value: 10 }, period: value }), 'Fortschritt: 3 / 10 (unbekannt)');
    });
  }
  test('goal line: counts as non-empty strings are shown, NaN and Infinity are not', () => {
    assert.equal(goalLine({ currentValue: '3', target: { value: '10' }, period: 'Woche' }), 'Fortschritt: 3 / 10 (Woche)');
    assert.equal(goalLine({ currentValue: Number.NaN, target: { value: Number.POSITIVE_INFINITY } }), 'Fortschritt: 0 / ? (unbekannt)');
    assert.equal(goalLine({ currentValue: 3, target: 'x' }), 'Fortschritt: 3 / ? (unbekannt)');
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
