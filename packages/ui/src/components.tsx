import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { ApiError } from './api';
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
