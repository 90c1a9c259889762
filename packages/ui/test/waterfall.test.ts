import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type LayoutSpan, layoutWaterfall } from '../src/lib/waterfall.ts';

const span = (
  spanId: string,
  parentSpanId: string | null,
  startTime: number,
  endTime: number,
): LayoutSpan => ({
  spanId,
  parentSpanId,
  startTime,
  endTime,
});

const summary = (spans: LayoutSpan[]) =>
  layoutWaterfall(spans).rows.map((r) => [r.span.spanId, r.depth, round(r.offsetPct), round(r.widthPct)]);
const round = (n: number) => Math.round(n * 100) / 100;

describe('layoutWaterfall', () => {
  it('orders depth-first with children by start time, bars relative to the trace', () => {
    const spans = [
      span('tool', 'agent', 600, 700),
      span('agent', null, 1000 - 1000, 1000),
      span('chat2', 'agent', 700, 1000),
      span('chat1', 'agent', 100, 600),
      span('http', 'chat1', 150, 550),
    ];
    assert.deepEqual(summary(spans), [
      ['agent', 0, 0, 100],
      ['chat1', 1, 10, 50],
      ['http', 2, 15, 40],
      ['tool', 1, 60, 10],
      ['chat2', 1, 70, 30],
    ]);
    const layout = layoutWaterfall(spans);
    assert.equal(layout.startTime, 0);
    assert.equal(layout.endTime, 1000);
    assert.equal(layout.durationMs, 1000);
    assert.equal(layout.rows[0]!.childCount, 3);
  });

  it('is empty for no spans', () => {
    assert.deepEqual(layoutWaterfall([]), { rows: [], startTime: 0, endTime: 0, durationMs: 0 });
  });

  it('puts spans whose parent is missing at depth 0, marked orphan', () => {
    const layout = layoutWaterfall([
      span('a', 'gone', 10, 20),
      span('b', 'a', 12, 18),
      span('c', null, 0, 5),
    ]);
    assert.deepEqual(
      layout.rows.map((r) => [r.span.spanId, r.depth, r.orphan]),
      [
        ['c', 0, false],
        ['a', 0, true],
        ['b', 1, false],
      ],
    );
  });

  it('handles a zero-length trace and instant spans', () => {
    assert.deepEqual(summary([span('a', null, 5, 5), span('b', 'a', 5, 5)]), [
      ['a', 0, 0, 0],
      ['b', 1, 0, 0],
    ]);
  });

  it('never loops on a parent cycle and shows every span once', () => {
    const layout = layoutWaterfall([span('a', 'b', 0, 10), span('b', 'a', 1, 5), span('self', 'self', 2, 3)]);
    assert.deepEqual(layout.rows.map((r) => r.span.spanId).sort(), ['a', 'b', 'self']);
  });

  it('clamps an end before the start to a zero-width bar', () => {
    const rows = layoutWaterfall([span('root', null, 0, 100), span('bad', 'root', 50, 40)]).rows;
    assert.equal(rows[1]!.offsetPct, 50);
    assert.equal(rows[1]!.widthPct, 0);
  });

  it('keeps the original span objects', () => {
    const s = { ...span('x', null, 0, 1), name: 'kept' };
    assert.equal(layoutWaterfall([s]).rows[0]!.span.name, 'kept');
  });

  it('lays out a 10 000-span trace quickly', () => {
    const spans: LayoutSpan[] = [span('root', null, 0, 10_000)];
    for (let i = 0; i < 9_999; i++) spans.push(span(`s${i}`, i % 10 === 0 ? 'root' : `s${i - 1}`, i, i + 1));
    const started = performance.now();
    const layout = layoutWaterfall(spans);
    assert.equal(layout.rows.length, 10_000);
    assert.ok(performance.now() - started < 500);
  });

  it('lays out a chain of 50,000 nested spans without overflowing the stack', () => {
    const spans: LayoutSpan[] = [];
    for (let i = 0; i < 50_000; i++) spans.push(span(`s${i}`, i === 0 ? null : `s${i - 1}`, i, 100_000));
    const rows = layoutWaterfall(spans).rows;
    assert.equal(rows.length, 50_000);
    assert.equal(rows[49_999]!.depth, 49_999);
    assert.equal(rows[49_999]!.span.spanId, 's49999');
  });
});
