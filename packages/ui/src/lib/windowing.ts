// Windowing for long lists of fixed-height rows: only the rows in view (plus a margin) are in the DOM, so
// a trace of 50,000 spans costs the same to render as one of 50. Pure: unit-tested in test/windowing.test.ts.

export interface Window {
  /** First row index to render. */
  start: number;
  /** One past the last row index to render. */
  end: number;
  /** Space above the first rendered row, in pixels (stands for the rows not rendered). */
  padTop: number;
  /** Space below the last rendered row, in pixels. */
  padBottom: number;
}

/**
 * The rows to render for a viewport `viewportHeight` pixels tall scrolled `scrollTop` pixels into a list
 * of `count` rows of `rowHeight` pixels, with `overscan` extra rows on each side so fast scrolling does not
 * show gaps. Bad inputs (negative, NaN) are clamped: the result always lies within [0, count].
 */
export function visibleWindow(
  count: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = 10,
): Window {
  const n = Math.max(0, Math.floor(finite(count)));
  const h = Math.max(1, finite(rowHeight));
  const top = Math.max(0, finite(scrollTop));
  const height = Math.max(0, finite(viewportHeight));
  const first = Math.floor(top / h);
  const start = Math.min(n, Math.max(0, first - overscan));
  const end = Math.min(n, Math.max(start, Math.ceil((top + height) / h) + overscan));
  return { start, end, padTop: start * h, padBottom: (n - end) * h };
}

/** The scrollTop that brings row `index` into a viewport, or `current` when it is already fully in view. */
export function scrollToRow(
  index: number,
  rowHeight: number,
  current: number,
  viewportHeight: number,
): number {
  const rowTop = index * rowHeight;
  if (rowTop < current) return rowTop;
  if (rowTop + rowHeight > current + viewportHeight) return Math.max(0, rowTop + rowHeight - viewportHeight);
  return current;
}

function finite(n: number): number {
  return Number.isFinite(n) ? n : 0;
}
