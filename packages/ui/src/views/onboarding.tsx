import { useApi } from '../api';
import type { ServerInfo } from '../types';

export function Snippet(props: { title: string; code: string }) {
  return (
    <div class="snippet">
      <div class="snippet-head">
        <h3>{props.title}</h3>
        <button
          type="button"
          class="small"
          onClick={() => {
            void navigator.clipboard?.writeText(props.code);
          }}
        >
          Copy
        </button>
      </div>
      <pre>
        <code>{props.code}</code>
      </pre>
    </div>
  );
}

/** No traces yet: the DSN to paste and the few lines each kind of client needs. */
export function Onboarding() {
  const { data } = useApi<ServerInfo>('/api/v1/info');
  const dsn = data?.dsn ?? `http://<key>@${location.host}/1`;
  const otlp = data?.otlpEndpoint ?? location.origin;
  const key = data?.publicKey ?? '<key>';
  return (
    <div class="onboarding" data-testid="onboarding">
      <h2>No traces yet</h2>
      <p>
        Point any Sentry SDK or OpenTelemetry exporter at this server. Traces show up here as soon as they are
        committed.
      </p>
      <p>
        DSN: <code data-testid="dsn">{dsn}</code>
      </p>
      <div class="snippets">
        <Snippet
          title="@sieve/sdk (Node)"
          code={`import * as Sieve from '@sieve/sdk';

Sieve.init({
  dsn: '${dsn}',
  tracesSampler: Sieve.samplers.aiFirst({ fallback: 0.2 }),
  enableLogs: true,
});`}
        />
        <Snippet
          title="@sentry/node"
          code={`import * as Sentry from '@sentry/node';

Sentry.init({
  dsn: '${dsn}',
  tracesSampleRate: 1.0,
  enableLogs: true,
});`}
        />
        <Snippet
          title="Python (sentry_sdk)"
          code={`import sentry_sdk

sentry_sdk.init(
    dsn="${dsn}",
    traces_sample_rate=1.0,
)`}
        />
        <Snippet
          title="OpenTelemetry (OTLP/HTTP)"
          code={`OTEL_EXPORTER_OTLP_ENDPOINT=${otlp}
OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf
OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer ${key}`}
        />
      </div>
    </div>
  );
}
