import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseInterval, READY_VIEWS, samplingChartData, toChartData } from '../src/lib/chart.ts';

describe('toChartData', () => {
  it('aligns series on the union of bucket times, gaps as null, seconds on the x axis', () => {
    const data = toChartData(
      [
        {
          group: 'gpt-4o',
          points: [
            { time: 1000, sum: 5 },
            { time: 3000, sum: 7 },
          ],
        },
        { group: null, points: [{ time: 2000, sum: 1 }] },
      ],
      'sum',
    );
    assert.deepEqual(data, {
      times: [1, 2, 3],
      labels: ['gpt-4o', '(none)'],
      columns: [
        [5, null, 7],
        [null, 1, null],
      ],
      hidden: 0,
    });
  });

  it('keeps the largest series and counts the rest; reads the chosen aggregate only', () => {
    const series = ['a', 'b', 'c', 'd'].map((group, i) => ({
      group,
      points: [{ time: 0, p95: i + 1, sum: 100 - i }],
    }));
    const data = toChartData(series, 'p95', 2);
    assert.deepEqual(data.labels, ['d', 'c']);
    assert.deepEqual(data.columns, [[4], [3]]);
    assert.equal(data.hidden, 2);
  });

  it('is empty for no series, and ignores non-finite values', () => {
    assert.deepEqual(toChartData([], 'sum'), { times: [], labels: [], columns: [], hidden: 0 });
    const data = toChartData([{ group: 'x', points: [{ time: 0, avg: Number.NaN }] }], 'avg');
    assert.deepEqual(data.columns, [[null]]);
  });
});

describe('chooseInterval', () => {
  it('picks the smallest round bucket with at most the wanted count', () => {
    const cases: Array<[number, string]> = [
      [60_000, '1s'],
      [15 * 60_000, '10s'],
      [3_600_000, '1m'],
      [86_400_000, '30m'],
      [7 * 86_400_000, '3h'],
      [30 * 86_400_000, '12h'],
      [3650 * 86_400_000, '1d'],
    ];
    for (const [range, interval] of cases) assert.equal(chooseInterval(range), interval, `${range} ms`);
  });
});

describe('samplingChartData', () => {
  it('charts kept, extrapolated and each drop reason, zeros where a bucket lacks one', () => {
    const data = samplingChartData([
      { time: 2000, traces: 1, weightedTraces: 10, dropped: { 'sample_rate:span': 9 } },
      { time: 1000, traces: 2, weightedTraces: 2, dropped: { 'queue_overflow:span': 1 } },
    ]);
    assert.deepEqual(data.times, [1, 2]);
    assert.deepEqual(data.labels, [
      'kept',
      'estimated true volume',
      'dropped: queue_overflow:span',
      'dropped: sample_rate:span',
    ]);
    assert.deepEqual(data.columns, [
      [2, 1],
      [2, 10],
      [1, 0],
      [0, 9],
    ]);
  });
});

describe('ready metric views', () => {
  it('cover tokens, latency and cost by model and by route, with unique ids', () => {
    assert.equal(new Set(READY_VIEWS.map((v) => v.id)).size, READY_VIEWS.length);
    for (const what of ['token', 'duration', 'cost']) {
      const groups = READY_VIEWS.filter((v) => v.name.includes(what)).map((v) => v.groupBy);
      assert.equal(groups.length, 2, what);
      assert.notEqual(groups[0], groups[1]);
    }
  });
});
