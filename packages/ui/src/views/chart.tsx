import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ChartData } from '../lib/chart';

const PALETTE = ['#4f46e5', '#16a34a', '#dc2626', '#d97706', '#0891b2', '#9333ea', '#db2777', '#65a30d'];

/** A uPlot time-series chart; resized with its container and rebuilt when the data or theme changes. */
export function Chart(props: {
  data: ChartData;
  format: (v: number) => string;
  /** The x range in epoch milliseconds (the query's window), so a few points do not stretch over years. */
  window?: { from: number; to: number };
  height?: number;
  theme: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const { data, format, theme } = props;
  const from = props.window?.from;
  const to = props.window?.to;
  const height = props.height ?? 220;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const style = getComputedStyle(document.documentElement);
    const muted = style.getPropertyValue('--muted').trim() || '#888';
    const grid = style.getPropertyValue('--border').trim() || '#ddd';
    const axis = { stroke: muted, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const plot = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        // Labels only: values under the cursor show in the legend while hovering would read "–" otherwise.
        legend: { show: true, live: false },
        cursor: { points: { size: 6 } },
        scales: {
          x:
            from !== undefined && to !== undefined
              ? { time: true, range: [from / 1000, to / 1000] }
              : { time: true },
        },
        axes: [axis, { ...axis, size: 70, values: (_u, splits) => splits.map((v) => format(v)) }],
        series: [
          {},
          ...data.labels.map((label, i) => ({
            label,
            stroke: PALETTE[i % PALETTE.length],
            width: 2,
            points: { show: data.times.length < 40 },
            spanGaps: false,
            value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
          })),
        ],
      },
      [data.times, ...data.columns] as uPlot.AlignedData,
      el,
    );
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data, format, height, theme, from, to]);
  return <div class="chart" ref={box} data-testid="chart" />;
}
