import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  getActiveSpan,
  type ReadableSpan,
  SPAN_STATUS_ERROR,
  SPAN_STATUS_OK,
  type SpanProcessor,
  startInactiveSpan,
  startNewTrace,
  startSpan,
  startSpanManual,
  withActiveSpan,
} from '../src/index.js';
import { generateSpanId, generateTraceId, isValidSpanId, isValidTraceId } from '../src/trace/ids.js';
import { captureWarnings, setup, teardown } from './helpers.js';

afterEach(teardown);

function byName(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const span = spans.find((s) => s.name === name);
  assert.ok(span, `no span named ${name} among ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

describe('ids', () => {
  test('128-bit trace ids and 64-bit span ids, lowercase hex, valid and distinct', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const t = generateTraceId();
      const s = generateSpanId();
      assert.ok(isValidTraceId(t), t);
      assert.ok(isValidSpanId(s), s);
      seen.add(t);
      seen.add(s);
    }
    assert.equal(seen.size, 10_000);
    assert.equal(isValidTraceId('0'.repeat(32)), false);
    assert.equal(isValidSpanId('0'.repeat(16)), false);
  });
});

describe('startSpan', () => {
  test('returns the callback value and ends the span when it returns', () => {
    const memory = setup({ tracesSampleRate: 1 });
    const value = startSpan(
      { name: 'sync', op: 'task', attributes: { a: 1, b: 'x', c: true, d: [1, 2] } },
      () => 7,
    );
    assert.equal(value, 7);
    const [span] = memory.getFinishedSpans();
    assert.equal(span?.op, 'task');
    assert.deepEqual(span?.attributes, { a: 1, b: 'x', c: true, d: [1, 2], 'sentry.sample_rate': 1 });
    assert.ok(span!.endTime! >= span!.startTime);
  });

  test('ends when the promise settles; the caller gets the same promise', async () => {
    const memory = setup({ tracesSampleRate: 1 });
    let resolve!: (v: string) => void;
    const promise = new Promise<string>((r) => {
      resolve = r;
    });
    const returned = startSpan({ name: 'async' }, () => promise);
    assert.equal(returned, promise);
    assert.equal(memory.getFinishedSpans().length, 0);
    resolve('done');
    assert.equal(await returned, 'done');
    await sleep(0);
    assert.equal(memory.getFinishedSpans().length, 1);
  });

  test('a throw sets error status, records the exception, ends the span and is rethrown', () => {
    const memory = setup({ tracesSampleRate: 1 });
    const error = new TypeError('bad input');
    assert.throws(
      () =>
        startSpan({ name: 'throws' }, () => {
          throw error;
        }),
      (e) => e === error,
    );
    const [span] = memory.getFinishedSpans();
    assert.equal(span?.status.code, SPAN_STATUS_ERROR);
    assert.equal(span?.events[0]?.name, 'exception');
    assert.equal(span?.events[0]?.attributes?.['exception.type'], 'TypeError');
    assert.equal(span?.events[0]?.attributes?.['exception.message'], 'bad input');
  });

  test('a rejection sets error status and the rejection reaches the caller unchanged', async () => {
    const memory = setup({ tracesSampleRate: 1 });
    const error = new Error('nope');
    await assert.rejects(
      startSpan({ name: 'rejects' }, async () => {
        await sleep(1);
        throw error;
      }),
      (e) => e === error,
    );
    await sleep(0);
    assert.equal(memory.getFinishedSpans()[0]?.status.code, SPAN_STATUS_ERROR);
  });

  test('a status set by the callback is kept', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'ok' }, (span) => span.setStatus({ code: SPAN_STATUS_OK }));
    assert.equal(memory.getFinishedSpans()[0]?.status.code, SPAN_STATUS_OK);
  });

  test('custom thenables are returned as they are', async () => {
    const memory = setup({ tracesSampleRate: 1 });
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: the point of the test is a non-native thenable
      then(onFulfilled: (v: number) => unknown) {
        setTimeout(() => onFulfilled(5), 1);
        return this;
      },
      extra: 'kept',
    };
    const returned = startSpan({ name: 'thenable' }, () => thenable);
    assert.equal(returned.extra, 'kept');
    await sleep(5);
    assert.equal(memory.getFinishedSpans().length, 1);
  });
});

describe('context propagation', () => {
  test('parent/child across await, timers, emitters and promise chains', async () => {
    const memory = setup({ tracesSampleRate: 1 });
    const emitter = new EventEmitter();
    await startSpan({ name: 'root' }, async () => {
      await sleep(1);
      startSpan({ name: 'after-await' }, () => {});
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          startSpan({ name: 'in-timer' }, () => {});
          resolve();
        }, 1),
      );
      await new Promise<void>((resolve) =>
        setImmediate(() => resolve(startSpan({ name: 'in-immediate' }, () => {}))),
      );
      await Promise.resolve()
        .then(() => sleep(1))
        .then(() => startSpan({ name: 'in-then' }, () => {}));
      queueMicrotask(() => startSpan({ name: 'in-microtask' }, () => {}));
      emitter.on('go', () => startSpan({ name: 'in-listener' }, () => {}));
      emitter.emit('go');
      await startSpan({ name: 'nested' }, async () => {
        await sleep(1);
        startSpan({ name: 'grandchild' }, () => {});
      });
    });
    const spans = memory.getFinishedSpans();
    const root = byName(spans, 'root');
    for (const name of [
      'after-await',
      'in-timer',
      'in-immediate',
      'in-then',
      'in-microtask',
      'in-listener',
      'nested',
    ]) {
      assert.equal(byName(spans, name).parentSpanId, root.spanId, name);
    }
    assert.equal(byName(spans, 'grandchild').parentSpanId, byName(spans, 'nested').spanId);
  });

  test('concurrent traces do not mix', async () => {
    const memory = setup({ tracesSampleRate: 1 });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        startSpan({ name: `root-${i}` }, async () => {
          await sleep(Math.random() * 5);
          await startSpan({ name: `child-${i}` }, () => sleep(Math.random() * 5));
        }),
      ),
    );
    const spans = memory.getFinishedSpans();
    for (let i = 0; i < 20; i++) {
      const root = byName(spans, `root-${i}`);
      const child = byName(spans, `child-${i}`);
      assert.equal(child.parentSpanId, root.spanId);
      assert.equal(child.traceId, root.traceId);
    }
  });

  test('getActiveSpan follows startSpan and is restored after it', () => {
    setup({ tracesSampleRate: 1 });
    assert.equal(getActiveSpan(), undefined);
    startSpan({ name: 'a' }, (a) => {
      assert.equal(getActiveSpan(), a);
      startSpan({ name: 'b' }, (b) => assert.equal(getActiveSpan(), b));
      assert.equal(getActiveSpan(), a);
    });
    assert.equal(getActiveSpan(), undefined);
  });

  test('startInactiveSpan does not become active; withActiveSpan makes it so', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'root' }, () => {
      const inactive = startInactiveSpan({ name: 'inactive' });
      assert.notEqual(getActiveSpan(), inactive);
      withActiveSpan(inactive, () => startSpan({ name: 'under-inactive' }, () => {}));
      withActiveSpan(null, () => startSpan({ name: 'no-parent' }, () => {}));
      inactive.end();
    });
    const spans = memory.getFinishedSpans();
    assert.equal(byName(spans, 'under-inactive').parentSpanId, byName(spans, 'inactive').spanId);
    assert.equal(byName(spans, 'inactive').parentSpanId, byName(spans, 'root').spanId);
    assert.equal(byName(spans, 'no-parent').parentSpanId, undefined);
    assert.notEqual(byName(spans, 'no-parent').traceId, byName(spans, 'root').traceId);
  });

  test('startNewTrace detaches from the active trace', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'root' }, () => startNewTrace(() => startSpan({ name: 'job' }, () => {})));
    const spans = memory.getFinishedSpans();
    assert.notEqual(byName(spans, 'job').traceId, byName(spans, 'root').traceId);
  });

  test('startSpanManual ends only on end()/finish(), and marks a throw as error without ending', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpanManual({ name: 'manual' }, (_span, finish) => {
      setTimeout(finish, 2);
    });
    assert.equal(memory.getFinishedSpans().length, 0);
    let kept: { end(): void } | undefined;
    assert.throws(() =>
      startSpanManual({ name: 'manual-throw' }, (span) => {
        kept = span;
        throw new Error('x');
      }),
    );
    assert.equal(memory.getFinishedSpans().length, 0);
    kept!.end();
    const [thrown] = memory.getFinishedSpans();
    assert.equal(thrown?.status.code, SPAN_STATUS_ERROR);
    return sleep(5).then(() => assert.equal(memory.getFinishedSpans().length, 2));
  });
});

describe('span API', () => {
  test('attributes: primitives and homogeneous arrays kept, invalid values ignored, undefined deletes', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan(
      { name: 's', attributes: { bad: { nested: 1 } as never, mixed: [1, 'a'] as never } },
      (span) => {
        span
          .setAttribute('s', 'v')
          .setAttribute('n', 1.5)
          .setAttribute('b', false)
          .setAttribute('arr', ['x', 'y']);
        span
          .setAttribute('obj', { a: 1 } as never)
          .setAttribute('nul', null as never)
          .setAttribute('fn', (() => 1) as never);
        span.setAttributes({ gone: 1 });
        span.setAttribute('gone', undefined);
        span.setAttribute('sentry.op', 'db.query');
      },
    );
    const [span] = memory.getFinishedSpans();
    assert.deepEqual(span?.attributes, {
      s: 'v',
      n: 1.5,
      b: false,
      arr: ['x', 'y'],
      'sentry.op': 'db.query',
      'sentry.sample_rate': 1,
    });
    assert.equal(span?.op, 'db.query');
  });

  test('arrays are copied: later mutation by the caller does not change the span', () => {
    const memory = setup({ tracesSampleRate: 1 });
    const models = ['a'];
    startSpan({ name: 's' }, (span) => span.setAttribute('models', models));
    models.push('b');
    assert.deepEqual(memory.getFinishedSpans()[0]?.attributes.models, ['a']);
  });

  test('events, updateName, explicit times; nothing changes after end', () => {
    const memory = setup({ tracesSampleRate: 1 });
    const span = startInactiveSpan({ name: 'first', startTime: 1_700_000_000 });
    span.addEvent('tool.called', { tool: 'search' }, 1_700_000_000_500);
    span.addEvent('bare');
    span.updateName('second');
    span.end(new Date(1_700_000_001_000));
    span.setAttribute('late', 1).updateName('third').addEvent('late');
    span.end(1);
    const [done] = memory.getFinishedSpans();
    assert.equal(done?.name, 'second');
    assert.equal(done?.startTime, 1_700_000_000_000);
    assert.equal(done?.endTime, 1_700_000_001_000);
    assert.deepEqual(
      done?.events.map((e) => [e.name, e.attributes]),
      [
        ['tool.called', { tool: 'search' }],
        ['bare', undefined],
      ],
    );
    assert.equal(done?.events[0]?.time, 1_700_000_000_500);
    assert.equal(done?.attributes.late, undefined);
    assert.equal(memory.getFinishedSpans().length, 1);
  });

  test('spanContext carries ids and the sampled and random flags', () => {
    setup({ tracesSampleRate: 1 });
    startSpan({ name: 's' }, (span) => {
      const ctx = span.spanContext();
      assert.ok(isValidTraceId(ctx.traceId));
      assert.ok(isValidSpanId(ctx.spanId));
      assert.equal(ctx.traceFlags, 3);
    });
    setup({ tracesSampleRate: 0 });
    startSpan({ name: 's' }, (span) => assert.equal(span.spanContext().traceFlags, 2));
  });
});

describe('bad input never throws into user code', () => {
  test('garbage options, names, parents and callbacks', () => {
    setup({ tracesSampleRate: 1 });
    assert.doesNotThrow(() => {
      startSpan(null as never, () => {});
      startSpan({ name: 42 as never }, () => {});
      startSpan({ name: 'x', parentSpan: { not: 'a span' } as never }, () => {});
      startSpan({ name: 'x', startTime: 'yesterday' as never }, () => {});
      startSpan({ name: 'x' }, 'not a function' as never);
      startSpan({ name: 'x', samplingContext: 5 as never, sampled: 'yes' as never }, () => {});
      const hostile = {
        get name(): string {
          throw new Error('getter');
        },
      };
      startSpan(hostile as never, () => {});
      startInactiveSpan({ name: 'x' })
        .setStatus(null as never)
        .setStatus({ code: 9 } as never)
        .end('x' as never);
    });
  });

  test('a throwing span processor does not reach user code or other processors', () => {
    const seen: string[] = [];
    const throwing: SpanProcessor = {
      onStart() {
        throw new Error('start');
      },
      onEnd() {
        throw new Error('end');
      },
    };
    const memory = setup({
      tracesSampleRate: 1,
      spanProcessors: [throwing, { onEnd: (s) => void seen.push(s.name) }],
    });
    assert.doesNotThrow(() => startSpan({ name: 'fine' }, () => {}));
    assert.deepEqual(seen, ['fine']);
    assert.equal(memory.getFinishedSpans().length, 1);
  });

  test('invalid options warn once each and fall back to safe defaults', () => {
    const warnings = captureWarnings(() => {
      setup({
        tracesSampler: 'nope' as never,
        dsn: 'not a dsn',
        tracePropagationTargets: 'all' as never,
        debug: 'yes' as never,
      });
    });
    assert.equal(warnings.length, 4, warnings.join('\n'));
    assert.ok(warnings.some((w) => /tracesSampler must be a function/.test(w)));
    assert.ok(warnings.some((w) => /invalid DSN "not a dsn"/.test(w)));
    assert.ok(warnings.some((w) => /tracePropagationTargets/.test(w)));
    assert.ok(warnings.some((w) => /debug must be a boolean/.test(w)));
  });
});
