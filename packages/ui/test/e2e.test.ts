/**
 * End to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): a real
 * `sieve serve` with the built UI, real traffic from @sieve/sdk (an agent run with LLM calls and a tool,
 * logs, metrics, an error, a trace of thousands of spans), then every view: traces (filters, live
 * updates, keyboard), the trace waterfall and its detail panel, agent runs and a run's steps, metrics
 * charts, logs, errors, sampling, deep links, the empty state, API errors and a server that goes down
 * and comes back. Screenshots of each view go to packages/ui/test-artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as Sieve from '@sieve/sdk';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { eventually, getJson, startTestServer } from '../../server/test/helpers.ts';

type RunningServer = Awaited<ReturnType<typeof startTestServer>>;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../test-artifacts/', import.meta.url));
const UI_INDEX = fileURLToPath(new URL('../dist/index.html', import.meta.url));
const HOSTILE = '<img src=x onerror="window.__xss=1">';

/** A root and 300 batches of a parent and nine children. */
/**
 * A long attribute value (the SDK caps strings at 8192 characters) with characters that trip naive
 * renderers: an RTL override, an emoji, a combining mark.
 */
const HUGE = `\u202e🙂e\u0301${'x'.repeat(8000)}`;

const BIG_TRACE_SPANS = 1 + 300 * 10;

/** An agent run as an agent framework would record it: two LLM calls and a tool between them, a log, an error. */
function sendAgentRun(): string {
  return Sieve.startSpan(
    {
      name: 'invoke_agent support',
      op: 'gen_ai.invoke_agent',
      attributes: { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'support' },
    },
    (root) => {
      Sieve.startSpan(
        {
          name: 'chat gpt-4o',
          op: 'gen_ai.chat',
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.system': 'openai',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.usage.input_tokens': 1200,
            'gen_ai.usage.output_tokens': 340,
            'gen_ai.cost.total_usd': 0.0065,
            'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: 'Weather in Paris?' }]),
            'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', tool_calls: ['get_weather'] }]),
            'user.note': HOSTILE,
            'debug.payload': HUGE,
          },
        },
        () => {
          const until = Date.now() + 15;
          while (Date.now() < until) {
            // a visible bar
          }
        },
      );
      Sieve.startSpan(
        {
          name: 'execute_tool get_weather',
          op: 'gen_ai.execute_tool',
          attributes: {
            'gen_ai.operation.name': 'execute_tool',
            'gen_ai.tool.name': 'get_weather',
            'gen_ai.tool.call.arguments': '{"city":"Paris"}',
            'gen_ai.tool.call.result': '{"sky":"sunny","celsius":21}',
          },
        },
        () => {
          Sieve.logger.warn('weather API slow', { 'gen_ai.tool.name': 'get_weather' });
        },
      );
      Sieve.startSpan(
        {
          name: 'chat gpt-4o',
          op: 'gen_ai.chat',
          attributes: {
            'gen_ai.operation.name': 'chat',
            'gen_ai.request.model': 'gpt-4o',
            'gen_ai.usage.input_tokens': 300,
            'gen_ai.usage.output_tokens': 60,
            'gen_ai.cost.total_usd': 0.0014,
          },
        },
        () => {},
      );
      Sieve.logger.info('LLM call completed', { model: 'gpt-4o' });
      Sieve.captureException(new RangeError('retry budget exhausted'));
      return root.spanContext().traceId;
    },
  );
}

/** One request that fans out into `count` spans (batches of ten under a root), as a big batch job would. */
function sendBigTrace(count: number): string {
  return Sieve.startSpan({ name: 'nightly batch', op: 'queue.process' }, (root) => {
    for (let batch = 0; batch < (count - 1) / 10; batch++) {
      Sieve.startSpan({ name: `batch ${batch}`, op: 'function' }, () => {
        for (let i = 0; i < 9; i++) Sieve.startSpan({ name: `item ${batch}.${i}`, op: 'db.query' }, () => {});
      });
    }
    return root.spanContext().traceId;
  });
}

/** The text as rendered (cells separated by whitespace), which is what a person reads. */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text on purpose.
const text = (locator: Locator) => locator.innerText();

const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

describe('web UI in Chromium', { skip }, () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let traceId = '';
  let bigTraceId = '';

  const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

  before(async () => {
    assert.ok(existsSync(UI_INDEX), 'the UI is not built: run `npm run build` first');
    await mkdir(ARTIFACTS, { recursive: true });
    server = await startTestServer();
    Sieve.init({
      dsn: server.dsn,
      tracesSampleRate: 1,
      enableLogs: true,
      httpServer: false,
      httpClient: false,
      fetch: false,
      openTelemetry: false,
    });
    traceId = sendAgentRun();
    Sieve.startSpan({ name: 'GET /health', op: 'http.server' }, () => {});
    // What the SDK's trace rescue writes on the root of a trace it kept after a head-sampling drop.
    Sieve.startSpan(
      { name: 'POST /checkout', op: 'http.server', attributes: { 'sieve.rescued': 'error' } },
      () => {},
    );
    bigTraceId = sendBigTrace(BIG_TRACE_SPANS);
    for (const [model, input, output, seconds, cost] of [
      ['gpt-4o', 1200, 340, 1.4, 0.0065],
      ['claude-sonnet', 800, 120, 0.9, 0.0042],
    ] as const) {
      const attributes = { 'gen_ai.request.model': model, 'http.route': '/api/chat' };
      Sieve.metrics.distribution('gen_ai.client.token.usage', input, {
        attributes: { ...attributes, 'gen_ai.token.type': 'input' },
      });
      Sieve.metrics.distribution('gen_ai.client.token.usage', output, {
        attributes: { ...attributes, 'gen_ai.token.type': 'output' },
      });
      Sieve.metrics.distribution('gen_ai.client.operation.duration', seconds, { unit: 'second', attributes });
      Sieve.metrics.distribution('gen_ai.client.cost', cost, { unit: 'usd', attributes });
    }
    assert.equal(await Sieve.flush(10_000), true);
    await eventually(async () => {
      const { body } = await getJson(server, '/api/v1/traces?limit=10');
      return (body as { traces: unknown[] }).traces.length >= 4 ? true : undefined;
    });

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on('pageerror', (error) => {
      throw error;
    });
  });

  after(async () => {
    await Sieve.close(2000);
    await browser?.close();
    await server?.stop();
  });

  test('the traces list shows the agent run; its waterfall and span attributes open on click', async () => {
    await page.goto(`${server.url}/`);
    const row = page.getByTestId('trace-row').filter({ hasText: 'invoke_agent support' });
    await row.waitFor();
    assert.match(await text(row), /gpt-4o/);
    assert.match(await text(row), /1\.5k in \/ 400 out/);
    assert.equal(await page.getByTestId('trace-row').count(), 4);
    // 0.0065 + 0.0014: the calls' costs (the agent span has none of its own).
    assert.equal(await text(row.getByTestId('trace-cost')), '$0.0079');
    const batchRow = page.getByTestId('trace-row').filter({ hasText: 'nightly batch' });
    assert.equal(await text(batchRow.getByTestId('trace-cost')), '–', 'no AI, no cost');
    await shot('traces');

    await row.getByRole('link', { name: 'invoke_agent support' }).click();
    await page.waitForURL(new RegExp(`#/traces/${traceId}$`));
    const chat = page.getByTestId('waterfall-row').filter({ hasText: 'chat gpt-4o' }).first();
    await chat.waitFor();
    assert.equal(await page.getByTestId('waterfall-row').count(), 4);
    assert.match(await text(chat), /gpt-4o · 1\.2k in \/ 340 out · \$0\.0065/);
    assert.match(await text(page.getByTestId('trace-logs')), /LLM call completed/);

    await chat.getByRole('link').click();
    const detail = page.getByTestId('span-detail');
    await detail.waitFor();
    assert.match(page.url(), /\?span=[0-9a-f]{16}$/);
    const attributes = await text(page.getByTestId('attributes'));
    assert.match(attributes, /gen_ai\.request\.model\s+gpt-4o/);
    assert.match(attributes, /gen_ai\.usage\.input_tokens\s+1200/);
    // User text is shown as text, never parsed as HTML.
    assert.ok(attributes.includes(HOSTILE));
    assert.equal(await page.evaluate(() => (window as { __xss?: number }).__xss), undefined);
    // A huge value shows its start and a button for the rest; the page stays responsive.
    await detail.getByRole('button', { name: /show all 8,005 characters/ }).waitFor();
    assert.match(attributes, /debug\.payload\s+\u202e🙂e\u0301x{100}/);
    await shot('trace');

    // The selected span is part of the URL: a reload shows the same panel.
    await page.reload();
    await page.getByTestId('span-detail').waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('trace-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('agent runs: the list shows the run, its run view reads as LLM calls and tool calls', async () => {
    await page.goto(`${server.url}/#/runs`);
    const row = page.getByTestId('run-row').filter({ hasText: 'support' });
    await row.waitFor();
    assert.equal(
      await page.getByTestId('run-row').count(),
      1,
      'one run: the batch and health traces are not AI',
    );
    const cells = await text(row);
    assert.match(cells, /gpt-4o/);
    assert.match(cells, /\b2\s+1\b/, 'two LLM calls, one tool call');
    assert.match(cells, /1\.5k in \/ 400 out/);
    assert.match(cells, /\$0\.0079/, 'cost summed over the calls');
    await shot('runs');

    await row.getByRole('link', { name: 'support' }).click();
    await page.waitForURL(new RegExp(`#/runs/${traceId}/[0-9a-f]{16}$`));
    await page.getByTestId('run-steps').waitFor();
    const kinds = await page
      .getByTestId('run-step')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
    assert.deepEqual(kinds, ['agent', 'llm', 'tool', 'llm']);
    const tool = page.getByTestId('run-step').filter({ hasText: 'execute_tool get_weather' });
    const toolText = await text(tool);
    assert.match(toolText, /"city": "Paris"/, 'the tool input, pretty-printed');
    assert.match(toolText, /"sky": "sunny"/, 'the tool output');
    assert.match(await text(page.getByTestId('run-step').nth(1)), /Weather in Paris\?/);
    assert.match(await text(page.getByTestId('run-summary')), /2 LLM calls[\s\S]*1 tool call\b/);
    await shot('run');
    // The theme toggle goes system → light → dark → system, and is remembered across a reload.
    const toggle = page.getByTestId('theme-toggle');
    await toggle.click();
    await toggle.click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await page.reload();
    await page.getByTestId('run-steps').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    await shot('run-dark');
    await page.getByTestId('theme-toggle').click();
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), undefined);

    // Filters narrow the list and live in the URL.
    await page.goto(`${server.url}/#/runs?agent=nobody`);
    await page.getByTestId('no-runs').waitFor();
    await page.goto(`${server.url}/#/runs?model=gpt-4o&status=ok`);
    await page.getByTestId('run-row').first().waitFor();
    assert.equal(await page.locator('select[name=status]').inputValue(), 'ok');
  });

  test('metrics: ready views chart tokens, latency and cost; any metric can be charted by attribute', async () => {
    await page.goto(`${server.url}/#/metrics`);
    const cards = page.getByTestId('metric-card');
    await cards.first().locator('canvas').waitFor();
    assert.equal(await cards.count(), 6);
    for (const title of ['Tokens by model', 'LLM latency p95 by model', 'Cost by model', 'Tokens by route']) {
      const card = cards.filter({ hasText: title });
      await card.locator('canvas').waitFor();
    }
    assert.match(
      await text(cards.filter({ hasText: 'Tokens by model' })),
      /gpt-4o[\s\S]*claude-sonnet|claude-sonnet[\s\S]*gpt-4o/,
    );
    await shot('metrics');

    await page.locator('input[name=name]').fill('gen_ai.client.token.usage');
    await page.locator('input[name=groupBy]').fill('gen_ai.token.type');
    await page.locator('input[name=groupBy]').press('Enter');
    await page.waitForURL(/#\/metrics\?name=gen_ai\.client\.token\.usage&groupBy=gen_ai\.token\.type$/);
    const custom = page.getByTestId('metric-card');
    await custom.locator('canvas').waitFor();
    assert.equal(await custom.count(), 1);
    assert.match(await text(custom), /input[\s\S]*output|output[\s\S]*input/);

    await page.goto(`${server.url}/#/metrics?name=no.such.metric`);
    await page.getByTestId('metric-empty').waitFor();
  });

  test('logs and errors: search, level and attribute filters, links to the trace', async () => {
    await page.goto(`${server.url}/#/logs`);
    await page.getByTestId('log-row').first().waitFor();
    assert.equal(await page.getByTestId('log-row').count(), 2);
    await shot('logs');
    await page.locator('select[name=level]').selectOption('warn');
    await page.waitForURL(/#\/logs\?level=warn$/);
    await page
      .getByTestId('log-row')
      .filter({ hasText: 'LLM call completed' })
      .waitFor({ state: 'detached' });
    await page.getByTestId('log-row').filter({ hasText: 'weather API slow' }).waitFor();
    assert.equal(await page.getByTestId('log-row').count(), 1);

    await page.goto(`${server.url}/#/logs?attr=model%3Dgpt-4o`);
    const byAttr = page.getByTestId('log-row').filter({ hasText: 'LLM call completed' });
    await byAttr.waitFor();
    assert.equal(await page.getByTestId('log-row').count(), 1);
    await byAttr.getByRole('link', { name: 'trace' }).click();
    await page.waitForURL(new RegExp(`#/traces/${traceId}`));
    await page.getByTestId('waterfall-row').first().waitFor();

    await page.goto(`${server.url}/#/errors`);
    const error = page.getByTestId('error-row').filter({ hasText: 'retry budget exhausted' });
    await error.waitFor();
    assert.match(await text(error), /RangeError/);
    await shot('errors');
    await page.goto(`${server.url}/#/errors?q=nothing-like-this`);
    await page.getByTestId('no-errors').waitFor();
    await page.goto(`${server.url}/#/errors?q=RangeError`);
    await page.getByTestId('error-row').getByRole('link', { name: 'trace' }).click();
    await page.waitForURL(new RegExp(`#/traces/${traceId}`));
    await page.getByTestId('trace-errors').filter({ hasText: 'retry budget exhausted' }).waitFor();
  });

  test(`a trace of ${BIG_TRACE_SPANS.toLocaleString('en-US')} spans renders windowed and scrolls to its last span`, async () => {
    await page.goto(`${server.url}/#/traces/${bigTraceId}`);
    await page.getByTestId('waterfall-row').first().waitFor({ timeout: 15_000 });
    assert.match(
      await text(page.locator('.summary')),
      new RegExp(`${BIG_TRACE_SPANS.toLocaleString('en-US')} spans`),
    );
    const rendered = await page.getByTestId('waterfall-row').count();
    assert.ok(rendered < 100, `only the rows in view are in the DOM (${rendered})`);
    await shot('trace-big');
    // Scrolled to the end, the last span of the trace is there (and the page still answers).
    await page.locator('.wf-scroll').evaluate((el) => {
      el.scrollTop = el.scrollHeight;
    });
    await page.getByTestId('waterfall-row').filter({ hasText: 'item 299.8' }).waitFor();
    // A deep link to a span far down the list scrolls it into view.
    const spans = (await getJson(server, `/api/v1/traces/${bigTraceId}`)).body.spans as Array<{
      spanId: string;
      name: string;
    }>;
    const target = spans.find((x) => x.name === 'item 150.4')!;
    await page.goto(`${server.url}/#/traces/${bigTraceId}?span=${target.spanId}`);
    await page.getByTestId('span-detail').filter({ hasText: 'item 150.4' }).waitFor();
    await page.getByTestId('waterfall-row').filter({ hasText: 'item 150.4' }).waitFor();
  });

  test('keyboard: j/k move through the list, Enter opens, Esc returns to the list with its filters', async () => {
    await page.goto(`${server.url}/#/traces?hasAi=true`);
    await page.getByTestId('trace-row').first().waitFor();
    await page.locator('body').press('j');
    await page.locator('tr[data-nav-selected="true"]').filter({ hasText: 'invoke_agent support' }).waitFor();
    await page.locator('body').press('Enter');
    await page.waitForURL(new RegExp(`#/traces/${traceId}$`));
    await page.getByTestId('waterfall-row').first().waitFor();
    await page.locator('body').press('Escape');
    await page.waitForURL(/#\/traces\?hasAi=true$/);
    await page.getByTestId('trace-row').first().waitFor();
  });

  test('a deep link with filters fills the form and filters the list', async () => {
    await page.goto(`${server.url}/#/traces?hasAi=false&q=health`);
    const rows = page.getByTestId('trace-row');
    // A hash navigation keeps the previous list on screen until the new one loads: wait for a row that
    // only the filtered list has before counting.
    await rows.filter({ hasText: 'GET /health' }).first().waitFor();
    assert.equal(await rows.count(), 1);
    assert.match(await text(rows.first()), /GET \/health/);
    assert.equal(await page.locator('input[name=q]').inputValue(), 'health');
    assert.equal(await page.locator('select[name=hasAi]').inputValue(), 'false');
    await shot('traces-filtered');

    await page.goto(`${server.url}/#/traces?model=no-such-model`);
    await page.getByTestId('no-match').waitFor();

    // Filters typed into the form go into the URL.
    await page.goto(`${server.url}/#/traces`);
    await page.getByTestId('trace-row').first().waitFor();
    await page.locator('input[name=model]').fill('gpt-4o');
    await page.locator('input[name=model]').press('Enter');
    await page.waitForURL(/#\/traces\?model=gpt-4o$/);
    await page
      .getByTestId('trace-total')
      .filter({ hasText: /^1 trace$/ })
      .waitFor();
  });

  test('the sampling page shows stored and extrapolated counts by root', async () => {
    await page.goto(`${server.url}/#/sampling`);
    await page.getByTestId('sampling-roots').waitFor();
    assert.match(await text(page.getByTestId('sampling-roots')), /invoke_agent support/);
    await page.locator('.card canvas').first().waitFor();
    assert.match((await page.getByTestId('rescued-link').getAttribute('href')) ?? '', /q=sieve\.rescued$/);
    await page.getByTestId('rescued-link').click();
    await page.getByTestId('trace-row').filter({ hasText: 'POST /checkout' }).waitFor();
    assert.equal(await page.getByTestId('trace-row').count(), 1);
    await shot('sampling');
  });

  test('an API error is shown and the page recovers by itself', async () => {
    let failing = true;
    await page.route('**/api/v1/traces?*', (route) =>
      failing
        ? route.fulfill({
            status: 503,
            contentType: 'application/json',
            body: JSON.stringify({ error: 'store unavailable' }),
          })
        : route.continue(),
    );
    await page.goto(`${server.url}/#/traces`);
    const banner = page.getByTestId('api-error');
    await banner.waitFor();
    assert.match(await text(banner), /503[\s\S]*store unavailable/);
    await shot('api-error');
    failing = false;
    await page.getByTestId('trace-row').first().waitFor({ timeout: 15_000 });
    assert.equal(await banner.count(), 0);
    await page.unroute('**/api/v1/traces?*');
  });

  test('live: a new trace appears at the top without a reload, the selection stays on its row', async () => {
    await page.goto(`${server.url}/#/traces`);
    await page.getByTestId('trace-row').first().waitFor();
    await page.locator('body').press('j');
    await page.locator('body').press('j');
    const selectedName = async () =>
      (await text(page.locator('tr[data-nav-selected="true"] td').first())).split('\n')[0];
    const selectedBefore = await selectedName();
    Sieve.startSpan({ name: 'POST /late', op: 'http.server' }, () => {});
    assert.equal(await Sieve.flush(5000), true);
    await page.getByTestId('trace-row').filter({ hasText: 'POST /late' }).waitFor({ timeout: 20_000 });
    assert.match(await text(page.getByTestId('trace-row').first()), /POST \/late/);
    // The selection follows its row, not its position.
    assert.equal(await selectedName(), selectedBefore);
  });

  test('the server goes down: a clear message, and the view recovers when it is back', async () => {
    const first = await startTestServer();
    const port = new URL(first.url).port;
    const dataDir = first.config.dataDir;
    let again: RunningServer | undefined;
    try {
      await page.goto(`${first.url}/#/runs`);
      await page.getByTestId('no-runs').waitFor();
      await first.stop();
      // Navigating inside the app (no page load): the request fails and the banner says why.
      await page.evaluate(() => {
        location.hash = '#/logs';
      });
      const banner = page.getByTestId('api-error');
      await banner.waitFor();
      assert.match(await text(banner), /Cannot reach the Sieve server/);
      await shot('server-down');
      again = await startTestServer({ port: Number(port), dataDir });
      await page.getByTestId('no-logs').waitFor({ timeout: 20_000 });
      assert.equal(await banner.count(), 0);
    } finally {
      await again?.stop();
    }
  });

  test('with no traces, the page shows the DSN and client snippets', async () => {
    const empty = await startTestServer();
    try {
      await page.goto(`${empty.url}/`);
      await page.getByTestId('onboarding').waitFor();
      await page.getByTestId('dsn').filter({ hasText: empty.dsn }).waitFor();
      const onboarding = await text(page.getByTestId('onboarding'));
      for (const needle of ['@sieve/sdk', '@sentry/node', 'sentry_sdk.init', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
        assert.ok(onboarding.includes(needle), `onboarding lacks ${needle}`);
      }
      await shot('empty');
    } finally {
      await empty.stop();
    }
  });
});
