import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError, FetchState, PagedState } from './api';
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
 * j/k or arrows move a selection through the rows (identified by `keys`), Enter opens the selected one.
 * The selection follows its row's key, so rows added above it (live updates) do not move it to another
 * row. Keys typed into form fields are left alone. The selected row (`data-nav-selected`) is kept in view.
 */
export function useListNav(keys: readonly string[], open: (index: number) => void): number {
  const [selectedKey, setSelectedKey] = useState<string | undefined>(undefined);
  const selected = selectedKey === undefined ? -1 : keys.indexOf(selectedKey);
  const state = useRef({ keys, selected, open });
  state.current = { keys, selected, open };
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.altKey || event.ctrlKey || event.metaKey || isTypingTarget(event.target as HTMLElement))
        return;
      const { keys: rows, selected: at, open: openRow } = state.current;
      if (event.key === 'Enter' && at >= 0) {
        // A focused link or button handles Enter itself.
        const focused = document.activeElement?.tagName;
        if (focused === 'A' || focused === 'BUTTON') return;
        event.preventDefault();
        openRow(at);
        return;
      }
      const next = moveSelection(at, event.key, rows.length);
      if (next === null) return;
      event.preventDefault();
      setSelectedKey(rows[next]);
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  useEffect(() => {
    if (selectedKey !== undefined) {
      document.querySelector('[data-nav-selected="true"]')?.scrollIntoView({ block: 'nearest' });
    }
  }, [selectedKey]);
  return selected;
}

/** "Load more" for a cursor-paged list, with its own error line. */
export function LoadMore(props: { list: PagedState<{ nextCursor: string | null }> }) {
  const { list } = props;
  return (
    <>
      {list.moreError && <p class="error-text">Could not load more: {list.moreError}</p>}
      {list.nextCursor && (
        <p>
          <button type="button" onClick={list.loadMore} disabled={list.loadingMore}>
            {list.loadingMore ? 'Loading…' : 'Load more'}
          </button>
        </p>
      )}
    </>
  );
}

/** A request's error banner (retried by itself) or its loading line, whichever applies. */
export function FetchStatus(props: { state: FetchState<unknown>; what: string }) {
  const { state } = props;
  if (state.error) return <ErrorBanner error={state.error} retryAt={state.retryAt} onRetry={state.reload} />;
  if (state.loading && state.data === undefined) return <Loading what={props.what} />;
  return null;
}
