import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api';
import { isTypingTarget, moveSelection } from './lib/keys';
import { RANGES } from './lib/route';
import type { SpanStatus } from './types';

/** The API is down or answered an error: what happened, and when the page tries again by itself. */
export function ErrorBanner(props: { error: ApiError; retryAt: number | undefined; onRetry: () => void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, []);
  const seconds =
    props.retryAt === undefined ? undefined : Math.max(0, Math.ceil((props.retryAt - now) / 1000));
  const title =
    props.error.status === 0 ? 'Cannot reach the Sieve server' : `The server answered ${props.error.status}`;
  return (
    <div class="banner error" role="alert" data-testid="api-error">
      <strong>{title}</strong>
      <span class="banner-message">{props.error.message}</span>
      <span class="muted">
        {seconds === undefined ? '' : seconds > 0 ? `Retrying in ${seconds}s.` : 'Retrying…'}
      </span>
      <button type="button" onClick={props.onRetry}>
        Retry now
      </button>
    </div>
  );
}

export function StatusBadge(props: { status: SpanStatus }) {
  return <span class={`status status-${props.status}`}>{props.status}</span>;
}

export function Loading(props: { what: string }) {
  return (
    <p class="muted" aria-live="polite">
      Loading {props.what}…
    </p>
  );
}

export function Section(props: { title: string; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={props.id}>
      <h2 id={props.id}>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** A preset time window; a from/to pair from a deep link shows as "custom". */
export function RangeSelect(props: {
  range: string | undefined;
  custom: boolean;
  onChange: (range: string | undefined) => void;
  allTime?: string;
}) {
  return (
    <label>
      <span>Time</span>
      <select
        name="range"
        value={props.custom ? 'custom' : (props.range ?? '')}
        onChange={(e) => {
          const v = e.currentTarget.value;
          if (v !== 'custom') props.onChange(v || undefined);
        }}
      >
        <option value="">{props.allTime ?? 'all time'}</option>
        {Object.keys(RANGES).map((r) => (
          <option value={r} key={r}>
            last {r}
          </option>
        ))}
        {props.custom && <option value="custom">custom (from URL)</option>}
      </select>
    </label>
  );
}

/**
 * j/k or arrows move a selection through `count` rows, Enter opens the selected one. Keys typed into form
 * fields are left alone. The selected row (marked `data-nav-selected`) is scrolled into view.
 */
export function useListNav(count: number, open: (index: number) => void): [number, (i: number) => void] {
  const [selected, setSelected] = useState(-1);
  const openRef = useRef(open);
  openRef.current = open;
  useEffect(() => {
    if (selected >= count) setSelected(count - 1);
  }, [count, selected]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || isTypingTarget(event.target as HTMLElement))
        return;
      if (event.key === 'Enter' && selected >= 0 && selected < count) {
        // A focused link or button handles Enter itself.
        const focused = document.activeElement?.tagName;
        if (focused === 'A' || focused === 'BUTTON') return;
        event.preventDefault();
        openRef.current(selected);
        return;
      }
      const next = moveSelection(selected, event.key, count);
      if (next === null) return;
      event.preventDefault();
      setSelected(next);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [selected, count]);
  useEffect(() => {
    document.querySelector('[data-nav-selected="true"]')?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  return [selected, setSelected];
}

/** "Load more" for cursor pages, with its own error line. */
export function LoadMore(props: {
  cursor: string | null;
  loading: boolean;
  error?: string;
  onLoad: () => void;
}) {
  return (
    <>
      {props.error && <p class="error-text">Could not load more: {props.error}</p>}
      {props.cursor && (
        <p>
          <button type="button" onClick={props.onLoad} disabled={props.loading}>
            {props.loading ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </>
  );
}
