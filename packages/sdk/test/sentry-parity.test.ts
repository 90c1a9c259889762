/**
 * Sieve and the official @sentry/node make the same calls against the same receiver: the envelopes must
 * agree in structure (item types, item headers, envelope header keys, record keys, attribute encoding),
 * so any Sentry-compatible server accepts Sieve's.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { captureException, close, flush, logger, metrics, startSpan } from '../src/index.js';
import { setup } from './helpers.js';
import { type ReceivedEnvelope, Receiver } from './receiver.js';

const run = promisify(execFile);
let sentry: Receiver;
let sieve: Receiver;

before(async () => {
  sentry = await new Receiver().start();
  sieve = await new Receiver().start();
  const script = fileURLToPath(new URL('./fixtures/sentry-client.mjs', import.meta.url));
  await run(process.execPath, [script], {
    env: { ...process.env, PARITY_DSN: sentry.dsn() },
    timeout: 30_000,
  });

  setup({
    dsn: sieve.dsn(),
    transport: undefined,
    tracesSampleRate: 1,
    release: 'app@2.0.0',
    environment: 'staging',
  });
  startSpan(
    {
      name: 'invoke_agent weather',
      op: 'gen_ai.invoke_agent',
      attributes: { s: 'x', i: 3, d: 1.5, b: true, arr: ['a', 'b'] },
    },
    () => {
      startSpan(
        { name: 'chat claude', op: 'gen_ai.chat', attributes: { 'gen_ai.usage.input_tokens': 10 } },
        (span) => span.setStatus({ code: 2, message: 'internal_error' }),
      );
      metrics.distribution('gen_ai.token_usage', 42, { unit: 'none', attributes: { model: 'claude' } });
      metrics.count('calls', 1);
      metrics.gauge('queue', 5, { unit: 'item' });
      logger.info('LLM call completed', { model: 'claude', input_tokens: 10 });
      captureException(new Error('boom'));
    },
  );
  await flush(5000);
});
after(async () => {
  await close(1000);
  await sentry.stop();
  await sieve.stop();
});

function envelopeWith(r: Receiver, type: string): ReceivedEnvelope {
  const envelope = r.envelopes.find((e) => e.items.some((i) => i.header.type === type));
  assert.ok(
    envelope,
    `no ${type} envelope among ${r.envelopes.map((e) => e.items.map((i) => i.header.type)).join(' | ')}`,
  );
  return envelope;
}

function keys(value: unknown): string[] {
  return Object.keys(value as object).sort();
}

test('both send to the same endpoint with the same auth query', () => {
  const ours = new URL(sieve.envelopes[0]!.url, 'http://x');
  const theirs = new URL(sentry.envelopes[0]!.url, 'http://x');
  assert.equal(ours.pathname, theirs.pathname);
  assert.deepEqual([...ours.searchParams.keys()].sort(), [...theirs.searchParams.keys()].sort());
});

for (const type of ['span', 'log', 'trace_metric', 'event']) {
  test(`${type}: same item header and envelope header keys`, () => {
    const ours = envelopeWith(sieve, type);
    const theirs = envelopeWith(sentry, type);
    const ourItem = ours.items.find((i) => i.header.type === type)!;
    const theirItem = theirs.items.find((i) => i.header.type === type)!;
    assert.deepEqual(keys(ourItem.header), keys(theirItem.header));
    assert.equal(ourItem.header.content_type, theirItem.header.content_type);
    for (const key of keys(theirs.header)) {
      if (key === 'sent_at' && type !== 'span' && type !== 'event') continue; // Sentry omits it on some envelopes; Sieve always sends it
      assert.ok(key in ours.header, `envelope header lacks ${key}`);
    }
    if (theirs.header.trace !== undefined) {
      assert.deepEqual(keys(ours.header.trace), keys(theirs.header.trace));
    }
  });
}

test('span v2 records: same keys and the same attribute encoding', () => {
  const ours = sieve.records<Record<string, unknown>>('span');
  const theirs = sentry.records<Record<string, unknown>>('span');
  for (const segment of [true, false]) {
    const a = ours.find((s) => s.is_segment === segment)!;
    const b = theirs.find((s) => s.is_segment === segment)!;
    assert.deepEqual(keys(a), keys(b));
    assert.equal(a.status, b.status);
    const ac = a.attributes as Record<string, { type: string; value: unknown }>;
    const bc = b.attributes as Record<string, { type: string; value: unknown }>;
    for (const key of Object.keys(bc)) {
      if (key in ac) assert.deepEqual(keys(ac[key]), keys(bc[key]), key);
      if (key in ac) assert.equal(ac[key]!.type, bc[key]!.type, `type of ${key}`);
    }
    for (const key of [
      'sentry.op',
      'sentry.segment.name',
      'sentry.segment.id',
      'sentry.release',
      'sentry.environment',
    ]) {
      assert.ok(key in ac && key in bc, key);
    }
    if (segment)
      for (const key of ['s', 'i', 'd', 'b', 'arr', 'sentry.sample_rate'])
        assert.deepEqual(ac[key], bc[key], key);
    else assert.deepEqual(ac['sentry.status.message'], bc['sentry.status.message']);
  }
});

test('log and metric records: same keys, same encoding of user attributes', () => {
  for (const type of ['log', 'trace_metric']) {
    const ours = sieve.records<Record<string, unknown>>(type);
    const theirs = sentry.records<Record<string, unknown>>(type);
    assert.equal(ours.length, theirs.length, type);
    for (let i = 0; i < ours.length; i++) {
      const a = ours[i]!;
      const b = theirs[i]!;
      assert.deepEqual(keys(a), keys(b), `${type} ${i}`);
      for (const field of ['name', 'type', 'unit', 'value', 'level', 'body', 'severity_number'])
        assert.deepEqual(a[field], b[field], field);
      const aa = a.attributes as Record<string, unknown>;
      const ba = b.attributes as Record<string, unknown>;
      for (const key of [
        'model',
        'input_tokens',
        'sentry.release',
        'sentry.environment',
        'sentry.trace.parent_span_id',
      ]) {
        if (key in ba) assert.deepEqual(keys(aa[key]), keys(ba[key]), key);
      }
    }
  }
});

test('error events: the fields Sentry reads are there in the same shape', () => {
  const ours = envelopeWith(sieve, 'event').items[0]!.payload as Record<string, any>;
  const theirs = envelopeWith(sentry, 'event').items[0]!.payload as Record<string, any>;
  for (const key of [
    'event_id',
    'timestamp',
    'platform',
    'level',
    'exception',
    'contexts',
    'environment',
    'release',
    'sdk',
    'server_name',
  ]) {
    assert.ok(key in ours, `event lacks ${key}`);
    assert.equal(typeof ours[key], typeof theirs[key], key);
  }
  const a = ours.exception.values[0];
  const b = theirs.exception.values[0];
  assert.deepEqual([a.type, a.value, a.mechanism], [b.type, b.value, b.mechanism]);
  assert.deepEqual(
    keys(a.stacktrace.frames[0]).filter((k) => k !== 'module'),
    keys(b.stacktrace.frames[0]).filter((k) => !/context|module/.test(k)),
  );
  assert.deepEqual(keys(ours.contexts.trace), keys(theirs.contexts.trace));
});
