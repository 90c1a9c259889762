import { useEffect, useRef, useState } from 'preact/hooks';
import { isTypingTarget } from './lib/keys';
import { formatRoute, parseRoute, type Route } from './lib/route';
import { applyChoice, storedChoice, type ThemeChoice } from './theme';
import { ErrorsView, LogsView } from './views/logs';
import { MetricsView } from './views/metrics';
import { RunView } from './views/run';
import { RunsView } from './views/runs';
import { SamplingView } from './views/sampling';
import { TraceView } from './views/trace';
import { TracesView } from './views/traces';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

const TITLES: Record<Route['view'], string> = {
  traces: 'Traces',
  trace: 'Trace',
  runs: 'Agent runs',
  run: 'Agent run',
  metrics: 'Metrics',
  logs: 'Logs',
  errors: 'Errors',
  sampling: 'Sampling',
  notFound: 'Not found',
};

const TABS: Array<[tab: Route['view'], label: string]> = [
  ['traces', 'Traces'],
  ['runs', 'Agent runs'],
  ['metrics', 'Metrics'],
  ['logs', 'Logs'],
  ['errors', 'Errors'],
  ['sampling', 'Sampling'],
];

/** The list a detail view belongs to (its tab, and where Esc goes). */
function tabOf(view: Route['view']): Route['view'] {
  if (view === 'trace') return 'traces';
  if (view === 'run') return 'runs';
  return view;
}

function ThemeToggle() {
  const [choice, setChoice] = useState<ThemeChoice>(storedChoice);
  const next: Record<ThemeChoice, ThemeChoice> = { system: 'light', light: 'dark', dark: 'system' };
  return (
    <button
      type="button"
      class="secondary small theme-toggle"
      data-testid="theme-toggle"
      title="Colour theme: system, light or dark"
      onClick={() => {
        const value = next[choice];
        applyChoice(value);
        setChoice(value);
      }}
    >
      Theme: {choice}
    </button>
  );
}

export function App() {
  const route = useRoute();
  const tab = tabOf(route.view);
  // The URL of each list as last seen (with its filters), so the tab and Esc return to it.
  const lastList = useRef<Partial<Record<Route['view'], string>>>({});
  if (route.view === tab) lastList.current[tab] = formatRoute(route);
  useEffect(() => {
    document.title = `${TITLES[route.view]} · Sieve`;
  }, [route.view]);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== 'Escape' || isTypingTarget(event.target as HTMLElement)) return;
      const current = parseRoute(location.hash);
      const list = tabOf(current.view);
      if (list !== current.view) location.hash = lastList.current[list] ?? `#/${list}`;
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      <button
        type="button"
        class="skip"
        onClick={() => {
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </button>
      <header class="top">
        <a class="brand" href="#/traces">
          Sieve
        </a>
        <nav aria-label="Views">
          {TABS.map(([view, label]) => (
            <a
              key={view}
              href={tab === view ? `#/${view}` : (lastList.current[view] ?? `#/${view}`)}
              aria-current={tab === view ? 'page' : undefined}
            >
              {label}
            </a>
          ))}
        </nav>
        <span class="grow" />
        <span class="muted small keys-hint" title="j/k or arrows move, Enter opens, Esc goes back">
          j/k ↑↓ · Enter · Esc
        </span>
        <ThemeToggle />
      </header>
      <main id="main" tabIndex={-1}>
        {route.view === 'traces' && <TracesView filters={route.filters} />}
        {route.view === 'trace' && (
          <TraceView key={route.traceId} traceId={route.traceId} spanId={route.spanId} />
        )}
        {route.view === 'runs' && <RunsView params={route.params} />}
        {route.view === 'run' && (
          <RunView key={route.traceId + route.spanId} traceId={route.traceId} spanId={route.spanId} />
        )}
        {route.view === 'metrics' && <MetricsView params={route.params} />}
        {route.view === 'logs' && <LogsView params={route.params} />}
        {route.view === 'errors' && <ErrorsView params={route.params} />}
        {route.view === 'sampling' && <SamplingView params={route.params} />}
        {route.view === 'notFound' && (
          <p>
            Nothing at <code>{route.path}</code>. <a href="#/traces">Go to traces</a>
          </p>
        )}
      </main>
    </>
  );
}
