import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTypingTarget, moveSelection } from '../src/lib/keys.ts';
import { scrollToRow, visibleWindow } from '../src/lib/windowing.ts';

describe('visibleWindow', () => {
  it('renders the rows in view plus the overscan, padding for the rest', () => {
    // 10,000 rows of 40 px, 400 px viewport scrolled to row 100.
    assert.deepEqual(visibleWindow(10_000, 40, 4000, 400, 5), {
      start: 95,
      end: 115,
      padTop: 95 * 40,
      padBottom: (10_000 - 115) * 40,
    });
  });

  it('clamps at both ends and for small lists', () => {
    assert.deepEqual(visibleWindow(10_000, 40, 0, 400, 5), {
      start: 0,
      end: 15,
      padTop: 0,
      padBottom: 9985 * 40,
    });
    assert.deepEqual(visibleWindow(10_000, 40, 40 * 10_000, 400, 5), {
      start: 9995,
      end: 10_000,
      padTop: 9995 * 40,
      padBottom: 0,
    });
    assert.deepEqual(visibleWindow(3, 40, 0, 400), { start: 0, end: 3, padTop: 0, padBottom: 0 });
    assert.deepEqual(visibleWindow(0, 40, 100, 400), { start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('survives bad input', () => {
    const w = visibleWindow(100, Number.NaN, -50, Number.POSITIVE_INFINITY);
    assert.ok(w.start >= 0 && w.end <= 100 && w.start <= w.end);
    assert.ok(w.padTop >= 0 && w.padBottom >= 0);
  });

  it('keeps the rendered count bounded by the viewport, not the list', () => {
    for (const count of [1000, 100_000, 1_000_000]) {
      const w = visibleWindow(count, 40, 40 * (count / 2), 800);
      assert.equal(w.end - w.start, 20 + 20);
      assert.equal(w.padTop + (w.end - w.start) * 40 + w.padBottom, count * 40);
    }
  });
});

describe('scrollToRow', () => {
  it('scrolls only as far as needed', () => {
    assert.equal(scrollToRow(0, 40, 0, 400), 0);
    assert.equal(scrollToRow(5, 40, 0, 400), 0, 'already in view');
    assert.equal(scrollToRow(20, 40, 0, 400), 21 * 40 - 400, 'below: brought to the bottom edge');
    assert.equal(scrollToRow(2, 40, 400, 400), 80, 'above: brought to the top edge');
  });
});

describe('keyboard selection', () => {
  it('moves with j/k and arrows, clamps at the ends, starts at the top', () => {
    const cases: Array<[current: number, key: string, count: number, expected: number | null]> = [
      [-1, 'j', 5, 0],
      [-1, 'k', 5, 0],
      [0, 'j', 5, 1],
      [4, 'j', 5, 4],
      [4, 'ArrowUp', 5, 3],
      [0, 'k', 5, 0],
      [2, 'ArrowDown', 5, 3],
      [2, 'Home', 5, 0],
      [2, 'End', 5, 4],
      [2, 'x', 5, null],
      [-1, 'j', 0, null],
    ];
    for (const [current, key, count, expected] of cases) {
      assert.equal(moveSelection(current, key, count), expected, `${key} from ${current} of ${count}`);
    }
  });

  it('leaves keys typed into form fields alone', () => {
    assert.equal(isTypingTarget({ tagName: 'INPUT' }), true);
    assert.equal(isTypingTarget({ tagName: 'select' }), true);
    assert.equal(isTypingTarget({ tagName: 'DIV', isContentEditable: true }), true);
    assert.equal(isTypingTarget({ tagName: 'A' }), false);
    assert.equal(isTypingTarget(null), false);
  });
});
