import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatAgo,
  formatCompact,
  formatCost,
  formatCount,
  formatDuration,
  formatNumber,
  formatPercent,
  formatTime,
  formatTokens,
  formatValue,
} from '../src/lib/format.ts';

describe('formatDuration', () => {
  const cases: Array<[number, string]> = [
    [0, '0 ms'],
    [0.0004, '1 µs'],
    [0.25, '250 µs'],
    [1, '1 ms'],
    [1.234, '1.23 ms'],
    [12.34, '12.3 ms'],
    [12, '12 ms'],
    [450.4, '450 ms'],
    [999.6, '1000 ms'],
    [1000, '1.00 s'],
    [1520, '1.52 s'],
    [12_345, '12.3 s'],
    [65_000, '1m 05s'],
    [3_599_000, '59m 59s'],
    [3_780_000, '1h 03m'],
  ];
  for (const [ms, text] of cases) it(`${ms} ms → ${text}`, () => assert.equal(formatDuration(ms), text));
  it('negative and non-finite are a dash', () => {
    assert.equal(formatDuration(-1), '–');
    assert.equal(formatDuration(Number.NaN), '–');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), '–');
  });
});

describe('formatNumber and formatCompact', () => {
  it('groups thousands and rounds', () => {
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(1234567), '1,234,567');
    assert.equal(formatNumber(12.6), '13');
    assert.equal(formatNumber(Number.NaN), '–');
  });
  it('compacts', () => {
    assert.equal(formatCompact(0), '0');
    assert.equal(formatCompact(999), '999');
    assert.equal(formatCompact(1000), '1k');
    assert.equal(formatCompact(1234), '1.2k');
    assert.equal(formatCompact(12_345), '12k');
    assert.equal(formatCompact(999_999), '1M');
    assert.equal(formatCompact(1_500_000), '1.5M');
    assert.equal(formatCompact(2_000_000_000), '2B');
    assert.equal(formatCompact(-1234), '-1.2k');
  });
});

describe('formatTokens', () => {
  it('shows in and out, a dash when none', () => {
    assert.equal(formatTokens(120, 48), '120 in / 48 out');
    assert.equal(formatTokens(12_400, 310), '12k in / 310 out');
    assert.equal(formatTokens(0, 0), '–');
    assert.equal(formatTokens(null, undefined), '–');
    assert.equal(formatTokens(5, null), '5 in / 0 out');
  });
});

describe('formatPercent', () => {
  it('keeps small rates readable', () => {
    assert.equal(formatPercent(1), '100%');
    assert.equal(formatPercent(0.1), '10%');
    assert.equal(formatPercent(0.125), '12.5%');
    assert.equal(formatPercent(0.0123), '1.23%');
    assert.equal(formatPercent(0), '0%');
    assert.equal(formatPercent(0.000001), '<0.01%');
  });
});

describe('formatTime, formatAgo, formatValue', () => {
  it('formats local time to the millisecond', () => {
    const t = new Date(2026, 10, 1, 9, 5, 7, 42).getTime();
    assert.equal(formatTime(t), '2026-11-01 09:05:07.042');
    assert.equal(formatTime(Number.NaN), '–');
  });
  it('says how long ago', () => {
    assert.equal(formatAgo(1000, 13_000), '12s ago');
    assert.equal(formatAgo(0, 5 * 60_000), '5m ago');
    assert.equal(formatAgo(0, 3 * 3_600_000), '3h ago');
    assert.equal(formatAgo(0, 2 * 86_400_000), '2d ago');
    assert.equal(formatAgo(5000, 1000), '0s ago');
  });
  it('renders attribute values as text', () => {
    assert.equal(formatValue('a<b>'), 'a<b>');
    assert.equal(formatValue(3), '3');
    assert.equal(formatValue(false), 'false');
    assert.equal(formatValue(['x', 1]), '["x",1]');
  });
});

describe('formatCost', () => {
  it('shows dollars with precision that fits the amount', () => {
    const cases: Array<[number | null | undefined, string]> = [
      [null, '–'],
      [undefined, '–'],
      [Number.NaN, '–'],
      [0, '$0'],
      [0.00001, '<$0.0001'],
      [0.0042, '$0.0042'],
      [0.005, '$0.005'],
      [0.123, '$0.12'],
      [0.015, '$0.015'],
      [0.5, '$0.50'],
      [0.00125, '$0.0013'],
      [3.456, '$3.46'],
      [1234.5, '$1,235'],
      [-0.5, '-$0.50'],
    ];
    for (const [input, expected] of cases) assert.equal(formatCost(input), expected, String(input));
  });
});

describe('formatCount', () => {
  it('pluralises the noun unless the count is one', () => {
    assert.equal(formatCount(0, 'tool call'), '0 tool calls');
    assert.equal(formatCount(1, 'tool call'), '1 tool call');
    assert.equal(formatCount(1200, 'span'), '1,200 spans');
  });
});
