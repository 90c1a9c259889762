/**
 * End to end in headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): a real
 * `sieve serve` with the built UI, real traffic from @sieve/sdk, then the traces list, the trace waterfall
 * and its detail panel, a deep link with filters, the sampling page, the empty state and recovery from
 * API errors. Screenshots go to packages/ui/test-artifacts/.
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
    traceId = Sieve.startSpan(
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
              'user.note': HOSTILE,
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
            attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'get_weather' },
          },
          () => {},
        );
        Sieve.logger.info('LLM call completed', { model: 'gpt-4o' });
        return root.spanContext().traceId;
      },
    );
    Sieve.startSpan({ name: 'GET /health', op: 'http.server' }, () => {});
    assert.equal(await Sieve.flush(5000), true);
    await Sieve.close(2000);
    await eventually(async () => {
      const { body } = await getJson(server, '/api/v1/traces?limit=10');
      return (body as { traces: unknown[] }).traces.length >= 2 ? true : undefined;
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
    await browser?.close();
    await server?.stop();
  });

  test('the traces list shows the agent run; its waterfall and span attributes open on click', async () => {
    await page.goto(`${server.url}/`);
    const row = page.getByTestId('trace-row').filter({ hasText: 'invoke_agent support' });
    await row.waitFor();
    assert.match(await text(row), /gpt-4o/);
    assert.match(await text(row), /1\.2k in \/ 340 out/);
    assert.equal(await page.getByTestId('trace-row').count(), 2);
    await shot('traces');

    await row.getByRole('link', { name: 'invoke_agent support' }).click();
    await page.waitForURL(new RegExp(`#/traces/${traceId}$`));
    const chat = page.getByTestId('waterfall-row').filter({ hasText: 'chat gpt-4o' });
    await chat.waitFor();
    assert.equal(await page.getByTestId('waterfall-row').count(), 3);
    assert.match(await text(chat), /gpt-4o · 1\.2k in \/ 340 out/);
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
    await shot('trace');

    // The selected span is part of the URL: a reload shows the same panel.
    await page.reload();
    await page.getByTestId('span-detail').waitFor();
    await page.emulateMedia({ colorScheme: 'dark' });
    await shot('trace-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  test('a deep link with filters fills the form and filters the list', async () => {
    await page.goto(`${server.url}/#/traces?hasAi=false&q=health`);
    const rows = page.getByTestId('trace-row');
    await rows.first().waitFor();
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
