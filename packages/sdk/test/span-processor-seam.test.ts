/** The seam that delivery, the OpenTelemetry bridge and trace rescue plug into. */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import {
  flush,
  getTraceData,
  InMemorySpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
  startSpan,
} from '../src/index.js';
import type { RecordingSpan } from '../src/trace/span.js';
import { sentryBaggage, setup, teardown } from './helpers.js';

afterEach(teardown);

test('processors see onStart and onEnd in order, with the segment and its DSC', () => {
  const events: string[] = [];
  const processor: SpanProcessor = {
    onStart: (s) => void events.push(`start ${s.name}`),
    onEnd: (s) =>
      void events.push(
        `end ${s.name} segment=${s.segment.name} dsc.transaction=${s.dynamicSamplingContext().transaction}`,
      ),
  };
  setup({ tracesSampleRate: 1, spanProcessors: [processor] });
  startSpan({ name: 'root' }, () => startSpan({ name: 'child' }, () => {}));
  assert.deepEqual(events, [
    'start root',
    'start child',
    'end child segment=root dsc.transaction=root',
    'end root segment=root dsc.transaction=root',
  ]);
});

test('a processor that records unsampled traces receives their spans with sampled=false', () => {
  const buffered: ReadableSpan[] = [];
  const rescue: SpanProcessor = { recordsUnsampled: true, onEnd: (s) => void buffered.push(s) };
  const memory = setup({ tracesSampleRate: 0, spanProcessors: [rescue] });
  const data = startSpan({ name: 'dropped root' }, (root) => {
    assert.equal(root.isRecording(), true);
    startSpan({ name: 'llm', op: 'gen_ai.chat' }, () => {});
    return getTraceData();
  });
  assert.deepEqual(
    buffered.map((s) => [s.name, s.sampled]),
    [
      ['llm', false],
      ['dropped root', false],
    ],
  );
  assert.equal(memory.getFinishedSpans().length, 0, 'an exporter that ignores unsampled spans sends nothing');
  assert.ok(data['sentry-trace']?.endsWith('-0'));
});

test('promoting a trace changes what every span and every later request carries', () => {
  let promoted: string | undefined;
  const rescue: SpanProcessor = {
    recordsUnsampled: true,
    onStart: (s) => {
      if (s.op?.startsWith('gen_ai.')) (s as RecordingSpan).trace.promote(1);
    },
    onEnd: (s) => {
      if (s.isSegment) promoted = `${s.name} sampled=${s.sampled}`;
    },
  };
  setup({ tracesSampleRate: 0, spanProcessors: [rescue] });
  startSpan({ name: 'request' }, () => {
    assert.ok(getTraceData()['sentry-trace']?.endsWith('-0'));
    startSpan({ name: 'chat', op: 'gen_ai.chat' }, () => {});
    const after = getTraceData();
    assert.ok(after['sentry-trace']?.endsWith('-1'));
    assert.equal(sentryBaggage(after.baggage).sampled, 'true');
    assert.equal(sentryBaggage(after.baggage).sample_rate, '1');
  });
  assert.equal(promoted, 'request sampled=true');
});

test('flush waits for processors and resolves false when one is too slow', async () => {
  const slow: SpanProcessor = {
    onEnd: () => {},
    forceFlush: () => new Promise((resolve) => setTimeout(() => resolve(true), 200)),
  };
  setup({ tracesSampleRate: 1, spanProcessors: [slow] });
  assert.equal(await flush(20), false);
  assert.equal(await flush(1000), true);
});

test('InMemorySpanProcessor keeps at most its limit, oldest dropped first', () => {
  const small = new InMemorySpanProcessor(3);
  setup({ tracesSampleRate: 1, spanProcessors: [small] });
  for (let i = 0; i < 5; i++) startSpan({ name: `s${i}` }, () => {});
  assert.deepEqual(
    small.getFinishedSpans().map((s) => s.name),
    ['s2', 's3', 's4'],
  );
});
