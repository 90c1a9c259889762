import { useEffect, useState } from 'preact/hooks';
import { parseRoute, type Route } from './lib/route';
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

export function App() {
  const route = useRoute();
  useEffect(() => {
    const titles: Record<Route['view'], string> = {
      traces: 'Traces',
      trace: 'Trace',
      sampling: 'Sampling',
      notFound: 'Not found',
    };
    document.title = `${titles[route.view]} · Sieve`;
  }, [route.view]);
  const tab = route.view === 'trace' ? 'traces' : route.view;
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
          <a href="#/traces" aria-current={tab === 'traces' ? 'page' : undefined}>
            Traces
          </a>
          <a href="#/sampling" aria-current={tab === 'sampling' ? 'page' : undefined}>
            Sampling
          </a>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {route.view === 'traces' && <TracesView filters={route.filters} />}
        {route.view === 'trace' && (
          <TraceView key={route.traceId} traceId={route.traceId} spanId={route.spanId} />
        )}
        {route.view === 'sampling' && <SamplingView />}
        {route.view === 'notFound' && (
          <p>
            Nothing at <code>{route.path}</code>. <a href="#/traces">Go to traces</a>
          </p>
        )}
      </main>
    </>
  );
}
