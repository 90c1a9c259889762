// Number, duration, token and time formatting shared by every view. Pure: unit-tested in test/format.test.ts.

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567"; fractions are rounded. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '–';
  return grouped.format(Math.round(n));
}

/** A compact count: 999 → "999", 1234 → "1.2k", 12_345 → "12k", 1_500_000 → "1.5M". */
export function formatCompact(n: number): string {
  if (!Number.isFinite(n)) return '–';
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  if (a < 1000) return sign + String(Math.round(a));
  const units: Array<[number, string]> = [
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, suffix] of units) {
    if (a >= size * 0.9995) {
      const v = a / size;
      const text = v >= 9.95 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, '');
      return sign + text + suffix;
    }
  }
  return sign + String(Math.round(a));
}

/** Tokens in and out of an LLM call or a trace: "1.2k in / 340 out"; "–" when there are none. */
export function formatTokens(input: number | null | undefined, output: number | null | undefined): string {
  const i = input ?? 0;
  const o = output ?? 0;
  if (i === 0 && o === 0) return '–';
  return `${formatCompact(i)} in / ${formatCompact(o)} out`;
}

/** A duration in milliseconds: "850 µs", "12.3 ms", "450 ms", "1.52 s", "1m 05s", "2h 03m". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms === 0) return '0 ms';
  if (ms < 1) return `${Math.max(1, Math.round(ms * 1000))} µs`;
  if (ms < 10) return `${trim(ms.toFixed(2))} ms`;
  if (ms < 100) return `${trim(ms.toFixed(1))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const totalSeconds = Math.round(s);
  const minutes = Math.floor(totalSeconds / 60);
  if (minutes < 60) return `${minutes}m ${pad(totalSeconds % 60)}s`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h ${pad(minutes % 60)}m`;
}

/** US dollars: "$0", "<$0.0001", "$0.0042", "$0.015", "$0.12", "$3.45", "$1,234"; "–" when unknown (null). */
export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined || !Number.isFinite(usd)) return '–';
  if (usd === 0) return '$0';
  const sign = usd < 0 ? '-' : '';
  const a = Math.abs(usd);
  if (a < 0.0001) return `${sign}<$0.0001`;
  if (a < 1) {
    // Two significant digits, at least cents: 0.0042 → "0.0042", 0.015 → "0.015", 0.5 → "0.50".
    const text = String(Number(a.toPrecision(2)));
    const decimals = text.split('.')[1]?.length ?? 0;
    return `${sign}$${decimals < 2 ? a.toFixed(2) : text}`;
  }
  if (a < 1000) return `${sign}$${a.toFixed(2)}`;
  return `${sign}$${grouped.format(Math.round(a))}`;
}

/** A count with its noun, plural when not one: (1, 'tool call') → "1 tool call", (2, …) → "2 tool calls". */
export function formatCount(n: number, noun: string): string {
  return `${formatNumber(n)} ${n === 1 ? noun : `${noun}s`}`;
}

/** A ratio as a percentage: 1 → "100%", 0.1 → "10%", 0.0123 → "1.23%", 0.00001 → "<0.01%". */
export function formatPercent(ratio: number): string {
  if (!Number.isFinite(ratio)) return '–';
  const p = ratio * 100;
  if (p === 0) return '0%';
  if (p < 0.01) return '<0.01%';
  if (p < 10) return `${trim(p.toFixed(2))}%`;
  return `${trim(p.toFixed(1))}%`;
}

/** Local date and time to the millisecond: "2026-11-01 14:03:07.042". */
export function formatTime(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) return '–';
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
  );
}

/** How long ago, from `now`: "12s ago", "5m ago", "3h ago", "2d ago". */
export function formatAgo(epochMs: number, now: number): string {
  const s = Math.max(0, Math.round((now - epochMs) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** An attribute value as text (arrays as JSON). */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

function trim(fixed: string): string {
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}
