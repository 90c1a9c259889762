/**
 * The sampling contract (shared/reference/sampling.md) through the public API: what is recorded
 * (spans reaching a processor) and what propagates (getTraceData inside the trace).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import {
  continueTrace,
  getClient,
  getTraceData,
  type SamplingContext,
  samplers,
  startInactiveSpan,
  startSpan,
} from '../src/index.js';
import { captureWarnings, seededRandom, sentryBaggage, setup, teardown } from './helpers.js';

const T = '771a43a4192642f0b136d5159a501700';
const S = 'a0a3cfa3c9c7b1f5';

afterEach(teardown);

/** Starts `n` independent roots (each a new trace) and returns how many were recorded. */
function sampledRoots(
  n: number,
  name: (i: number) => string = () => 'root',
  attrs?: (i: number) => Record<string, string>,
) {
  let sampled = 0;
  for (let i = 0; i < n; i++) {
    startSpan({ name: name(i), attributes: attrs?.(i) }, (span) => {
      if (span.isRecording()) sampled++;
    });
  }
  return sampled;
}

describe('uniform rate', () => {
  test('rate 1 records every root with sentry.sample_rate 1', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'a' }, () => {});
    const [span] = memory.getFinishedSpans();
    assert.equal(span?.name, 'a');
    assert.equal(span?.attributes['sentry.sample_rate'], 1);
  });

  test('rate 0 records nothing and propagates -0 and sampled=false', () => {
    const memory = setup({ tracesSampleRate: 0 });
    const data = startSpan({ name: 'a' }, () => getTraceData());
    assert.equal(memory.getFinishedSpans().length, 0);
    assert.match(data['sentry-trace']!, /^[0-9a-f]{32}-[0-9a-f]{16}-0$/);
    assert.match(data.traceparent!, /-02$/);
    assert.equal(sentryBaggage(data.baggage).sampled, 'false');
    assert.equal(sentryBaggage(data.baggage).sample_rate, '0');
  });

  test('rate 0.2 over 20 000 roots keeps 20 % ± 1.5 % (fixed seed)', () => {
    setup({ tracesSampleRate: 0.2, random: seededRandom(42) });
    const kept = sampledRoots(20_000) / 20_000;
    assert.ok(Math.abs(kept - 0.2) <= 0.015, `kept ${kept}`);
  });

  test('rate 0.2 over 20 000 roots with Math.random stays within 5 σ', () => {
    setup({ tracesSampleRate: 0.2 });
    const kept = sampledRoots(20_000) / 20_000;
    // σ = sqrt(0.2 · 0.8 / 20000) ≈ 0.0028; 1.5 % is > 5 σ: fails about once in 2 million runs.
    assert.ok(Math.abs(kept - 0.2) <= 0.015, `kept ${kept}`);
  });

  test('numeric string rate is accepted', () => {
    const memory = setup({ tracesSampleRate: '1' as unknown as number });
    startSpan({ name: 'a' }, () => {});
    assert.equal(memory.getFinishedSpans().length, 1);
  });

  test('invalid rate drops everything, with one warning and no throw', () => {
    const warnings = captureWarnings(() => {
      const memory = setup({ tracesSampleRate: 2 });
      startSpan({ name: 'a' }, () => {});
      assert.equal(memory.getFinishedSpans().length, 0);
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /tracesSampleRate must be a number between 0 and 1, got 2/);
  });
});

describe('seed 1: keep gen_ai roots, inheritOrSampleWith(0.2) otherwise', () => {
  const seedSampler = ({ attributes, inheritOrSampleWith }: SamplingContext) =>
    attributes?.['gen_ai.operation.name'] ? 1.0 : inheritOrSampleWith(0.2);

  test('every gen_ai root kept, others about 20 %', () => {
    setup({ tracesSampler: seedSampler, random: seededRandom(5) });
    const ai = sampledRoots(
      2000,
      () => 'invoke_agent weather',
      () => ({ 'gen_ai.operation.name': 'invoke_agent' }),
    );
    assert.equal(ai, 2000);
    const plain = sampledRoots(20_000) / 20_000;
    assert.ok(Math.abs(plain - 0.2) <= 0.015, `plain ${plain}`);
  });

  test('incoming -1 with sentry-sample_rate=0.1337: the sampler returns 0.1337', () => {
    const returned: unknown[] = [];
    const memory = setup({
      tracesSampler: (c) => {
        const r = seedSampler(c);
        returned.push(r);
        return r;
      },
    });
    continueTrace(
      {
        'sentry-trace': `${T}-${S}-1`,
        baggage: `sentry-trace_id=${T},sentry-sample_rate=0.1337,sentry-sample_rand=0.1`,
      },
      () => startSpan({ name: 'GET /x' }, () => {}),
    );
    assert.deepEqual(returned, [0.1337]);
    const [root] = memory.getFinishedSpans();
    assert.equal(root?.attributes['sentry.sample_rate'], 0.1337);
    assert.equal(root?.parentSpanId, S);
    assert.equal(root?.traceId, T);
  });

  test('samplers.aiFirst keeps gen_ai roots, AI routes and ops; inherits otherwise', () => {
    setup({
      tracesSampler: samplers.aiFirst({ routes: ['/api/chat', '/api/agent', '/api/generate'], fallback: 0 }),
    });
    assert.equal(
      sampledRoots(
        50,
        () => 'x',
        () => ({ 'gen_ai.operation.name': 'chat' }),
      ),
      50,
    );
    assert.equal(
      sampledRoots(
        50,
        () => 'ai.generateText',
        () => ({ 'ai.operationId': 'ai.generateText' }),
      ),
      50,
    );
    assert.equal(
      sampledRoots(50, () => 'POST /api/chat'),
      50,
    );
    assert.equal(
      sampledRoots(50, () => 'POST /api/agent/run'),
      50,
    );
    assert.equal(
      sampledRoots(50, () => 'GET /search'),
      0,
    );
    let kept = false;
    startSpan({ name: 'cli', op: 'gen_ai.invoke_agent' }, (s) => {
      kept = s.isRecording();
    });
    assert.equal(kept, true);
    let inherited = false;
    continueTrace({ 'sentry-trace': `${T}-${S}-1` }, () =>
      startSpan({ name: 'GET /search' }, (s) => {
        inherited = s.isRecording();
      }),
    );
    assert.equal(inherited, true);
  });
});

describe('seed 2: a rate per route', () => {
  test('/payment 0.5, /search 0.01, /health 0, default 0.1 (fixed seed, 3 σ bounds)', () => {
    const memory = setup({
      tracesSampler: samplers.routeRates({
        rates: [
          ['/payment', 0.5],
          ['/search', 0.01],
          ['/health', 0],
        ],
        fallback: 0.1,
      }),
      random: seededRandom(11),
    });
    const n = 20_000;
    const within = (kept: number, p: number) =>
      Math.abs(kept / n - p) <= 3 * Math.sqrt((p * (1 - p)) / n) + 1e-9;
    const payment = sampledRoots(n, () => 'POST /payment');
    const search = sampledRoots(n, () => 'GET /search');
    const other = sampledRoots(n, () => 'GET /home');
    memory.reset();
    const health = sampledRoots(n, () => 'GET /health');
    assert.ok(within(payment, 0.5), `payment ${payment}`);
    assert.ok(within(search, 0.01), `search ${search}`);
    assert.ok(within(other, 0.1), `other ${other}`);
    assert.equal(health, 0);
    assert.equal(memory.getFinishedSpans().length, 0, '/health is never sent');
  });
});

describe('sampler return values', () => {
  const rows: Array<[string, () => unknown, boolean]> = [
    ['true', () => true, true],
    ['false', () => false, false],
    ['1', () => 1, true],
    ["'1'", () => '1', true],
    ['2', () => 2, false],
    ['-1', () => -1, false],
    ['NaN', () => Number.NaN, false],
    ["'x'", () => 'x', false],
    ['undefined', () => undefined, false],
    [
      'a throw',
      () => {
        throw new Error('boom');
      },
      false,
    ],
  ];
  for (const [label, sampler, expected] of rows) {
    test(`sampler returning ${label} → ${expected ? 'sampled' : 'dropped'}, no throw`, () => {
      const memory = setup({ tracesSampler: sampler as never, tracesSampleRate: 1 });
      const data = startSpan({ name: 'r' }, () => getTraceData());
      assert.equal(memory.getFinishedSpans().length, expected ? 1 : 0);
      assert.ok(data['sentry-trace']!.endsWith(expected ? '-1' : '-0'));
    });
  }

  test('invalid sampler results warn with debug on, naming the value', () => {
    const warnings = captureWarnings(() => {
      setup({ tracesSampler: () => 2, debug: true });
      startSpan({ name: 'r' }, () => {});
      setup({
        tracesSampler: () => {
          throw new Error('boom');
        },
        debug: true,
      });
      startSpan({ name: 'r' }, () => {});
    });
    assert.ok(
      warnings.some((w) => /returned 2, not a rate/.test(w)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((w) => /threw "boom"/.test(w)),
      warnings.join('\n'),
    );
  });
});

describe('forced decisions', () => {
  test('sampled: true with tracesSampleRate 0 → sampled, sampler not called', () => {
    let calls = 0;
    const memory = setup({
      tracesSampleRate: 0,
      tracesSampler: () => {
        calls++;
        return 0;
      },
    });
    startSpan({ name: 'forced', sampled: true }, () => {});
    assert.equal(calls, 0);
    assert.equal(memory.getFinishedSpans().length, 1);
  });

  test('sampled: false with rate 1 → dropped', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'forced', sampled: false }, () => {});
    assert.equal(memory.getFinishedSpans().length, 0);
  });

  test('a forced decision on a child is ignored: children inherit', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'root' }, () => startSpan({ name: 'child', sampled: false }, () => {}));
    assert.equal(memory.getFinishedSpans().length, 2);
  });
});

describe('parent decision vs rate and sampler', () => {
  test('no sampler, parent -1 and rate 0 → sampled', () => {
    const memory = setup({ tracesSampleRate: 0 });
    continueTrace({ 'sentry-trace': `${T}-${S}-1` }, () => startSpan({ name: 'r' }, () => {}));
    assert.equal(memory.getFinishedSpans().length, 1);
  });

  test('no sampler, parent -0 and rate 1 → dropped', () => {
    const memory = setup({ tracesSampleRate: 1 });
    continueTrace({ 'sentry-trace': `${T}-${S}-0` }, () => startSpan({ name: 'r' }, () => {}));
    assert.equal(memory.getFinishedSpans().length, 0);
  });

  test('no flag (deferred) falls through to the rate', () => {
    const memory = setup({ tracesSampleRate: 1 });
    continueTrace({ 'sentry-trace': `${T}-${S}` }, () => startSpan({ name: 'r' }, () => {}));
    assert.equal(memory.getFinishedSpans().length, 1);
  });

  test('sampler present and parent -1: the sampler wins', () => {
    let seen: SamplingContext | undefined;
    const memory = setup({
      tracesSampler: (c) => {
        seen = c;
        return 0;
      },
    });
    continueTrace({ 'sentry-trace': `${T}-${S}-1` }, () => startSpan({ name: 'r' }, () => {}));
    assert.equal(memory.getFinishedSpans().length, 0);
    assert.equal(seen?.parentSampled, true);
  });

  test('traceparent sampled flag is a parent decision too', () => {
    const memory = setup({ tracesSampleRate: 0 });
    continueTrace({ traceparent: `00-${T}-${S}-01` }, () => startSpan({ name: 'r' }, () => {}));
    assert.equal(memory.getFinishedSpans()[0]?.traceId, T);
  });
});

describe('children', () => {
  test('children of a sampled root are all recorded, never calling the sampler', () => {
    let calls = 0;
    const memory = setup({
      tracesSampler: () => {
        calls++;
        return 1;
      },
    });
    startSpan({ name: 'root' }, () => {
      for (let i = 0; i < 10; i++) startSpan({ name: `c${i}` }, () => startSpan({ name: `g${i}` }, () => {}));
    });
    assert.equal(calls, 1);
    const spans = memory.getFinishedSpans();
    assert.equal(spans.length, 21);
    const root = spans.find((s) => s.name === 'root')!;
    assert.ok(spans.every((s) => s.traceId === root.traceId && s.segment === root));
    assert.ok(spans.filter((s) => s.name.startsWith('c')).every((s) => s.parentSpanId === root.spanId));
  });

  test('children of a dropped root are never recorded and never call the sampler', () => {
    let calls = 0;
    const memory = setup({
      tracesSampler: () => {
        calls++;
        return 0;
      },
    });
    startSpan({ name: 'root' }, () => {
      for (let i = 0; i < 10; i++) {
        startSpan({ name: 'child', attributes: { 'gen_ai.operation.name': 'chat' } }, (s) => {
          assert.equal(s.isRecording(), false);
        });
        startInactiveSpan({ name: 'inactive' }).end();
      }
    });
    assert.equal(calls, 1);
    assert.equal(memory.getFinishedSpans().length, 0);
    assert.deepEqual(getClient()?.takeDiscardedEvents(), [
      { reason: 'sample_rate', category: 'transaction', quantity: 1 },
      { reason: 'sample_rate', category: 'span', quantity: 21 },
    ]);
  });
});

describe('custom sampling context', () => {
  test('reaches the sampler and appears nowhere in the output', () => {
    let seen: SamplingContext | undefined;
    const memory = setup({
      tracesSampler: (c) => {
        seen = c;
        return 1;
      },
    });
    const searchResults = ['result-for-sensitive-query'];
    const data = startSpan(
      { name: 'GET /search', samplingContext: { user_id: 12312012, search_results: searchResults } },
      (span) => {
        span.setAttribute('ok', true);
        return getTraceData();
      },
    );
    assert.equal(seen?.user_id, 12312012);
    assert.equal(seen?.search_results, searchResults);
    const spans = memory.getFinishedSpans().map((s) => ({
      name: s.name,
      attributes: s.attributes,
      events: s.events,
      status: s.status,
      dsc: s.dynamicSamplingContext(),
    }));
    const serialised = JSON.stringify({ spans, data });
    assert.match(serialised, /"ok":true/);
    assert.doesNotMatch(serialised, /12312012|user_id|search_results|sensitive/);
  });

  test('the whole context: name, op, attributes, parent fields, transactionContext', () => {
    let seen: SamplingContext | undefined;
    setup({
      tracesSampler: (c) => {
        seen = c;
        return 1;
      },
    });
    continueTrace({ 'sentry-trace': `${T}-${S}-0`, baggage: `sentry-sample_rate=0.5` }, () =>
      startSpan(
        { name: 'invoke_agent x', op: 'gen_ai.invoke_agent', attributes: { 'gen_ai.agent.name': 'x' } },
        () => {},
      ),
    );
    assert.equal(seen?.name, 'invoke_agent x');
    assert.equal(seen?.op, 'gen_ai.invoke_agent');
    assert.deepEqual(seen?.attributes, { 'gen_ai.agent.name': 'x' });
    assert.equal(seen?.parentSampled, false);
    assert.equal(seen?.parentSampleRate, 0.5);
    assert.equal(seen?.inheritOrSampleWith(0.9), 0.5);
    assert.deepEqual(seen?.transactionContext, {
      name: 'invoke_agent x',
      op: 'gen_ai.invoke_agent',
      data: { 'gen_ai.agent.name': 'x' },
    });
  });

  test('inheritOrSampleWith: parent rate, else parent decision, else fallback', () => {
    const got: number[] = [];
    setup({
      tracesSampler: (c) => {
        got.push(c.inheritOrSampleWith(0.3));
        return 0;
      },
    });
    continueTrace({ 'sentry-trace': `${T}-${S}-1` }, () => startSpan({ name: 'a' }, () => {}));
    continueTrace({ 'sentry-trace': `${T}-${S}-0` }, () => startSpan({ name: 'a' }, () => {}));
    startSpan({ name: 'a' }, () => {});
    assert.deepEqual(got, [1, 0, 0.3]);
  });
});

describe('sample_rand and the DSC', () => {
  test('incoming -1 with sample_rand=0.424242 is forwarded unchanged', () => {
    setup({ tracesSampleRate: 0.5 });
    const data = continueTrace(
      {
        'sentry-trace': `${T}-${S}-1`,
        baggage: `sentry-trace_id=${T},sentry-sample_rand=0.424242,sentry-sample_rate=0.5`,
      },
      () => startSpan({ name: 'r' }, () => getTraceData()),
    );
    assert.equal(sentryBaggage(data.baggage).sample_rand, '0.424242');
    assert.ok(data['sentry-trace']!.startsWith(T));
  });

  test('incoming -0 with sample_rate=0.75 and no rand → rand in [0.75, 1)', () => {
    for (let seed = 0; seed < 200; seed++) {
      setup({ tracesSampleRate: 1, random: seededRandom(seed) });
      const data = continueTrace({ 'sentry-trace': `${T}-${S}-0`, baggage: 'sentry-sample_rate=0.75' }, () =>
        startSpan({ name: 'r' }, () => getTraceData()),
      );
      const rand = Number(sentryBaggage(data.baggage).sample_rand);
      assert.ok(rand >= 0.75 && rand < 1, `rand ${rand}`);
    }
  });

  test('incoming -1 with sample_rate=0.3 and no rand → rand in [0, 0.3)', () => {
    for (let seed = 0; seed < 200; seed++) {
      setup({ tracesSampleRate: 1, random: seededRandom(seed) });
      const data = continueTrace({ 'sentry-trace': `${T}-${S}-1`, baggage: 'sentry-sample_rate=0.3' }, () =>
        getTraceData(),
      );
      const rand = Number(sentryBaggage(data.baggage).sample_rand);
      assert.ok(rand >= 0 && rand < 0.3, `rand ${rand}`);
    }
  });

  test('two services with the same rate make the same decision for the same trace', () => {
    let agree = 0;
    for (let i = 0; i < 500; i++) {
      setup({ tracesSampleRate: 0.3 });
      const [upstream, data] = startSpan({ name: 'a' }, (s) => [s.isRecording(), getTraceData()] as const);
      // Downstream with a sampler that ignores the parent decision and applies its own 0.3.
      setup({ tracesSampler: () => 0.3 });
      const downstream = continueTrace({ 'sentry-trace': data['sentry-trace'], baggage: data.baggage }, () =>
        startSpan({ name: 'b' }, (s) => s.isRecording()),
      );
      if (upstream === downstream) agree++;
    }
    assert.equal(agree, 500);
  });

  test('a new trace: DSC from options, transaction from the root, own rate', () => {
    setup({ tracesSampleRate: 1, environment: 'staging', release: 'app@1.2.3' });
    const data = startSpan({ name: 'checkout' }, () => getTraceData());
    const dsc = sentryBaggage(data.baggage);
    assert.equal(dsc.trace_id, data['sentry-trace']!.slice(0, 32));
    assert.equal(dsc.public_key, 'pubkey');
    assert.equal(dsc.environment, 'staging');
    assert.equal(dsc.release, 'app@1.2.3');
    assert.equal(dsc.transaction, 'checkout');
    assert.equal(dsc.sample_rate, '1');
    assert.equal(dsc.sampled, 'true');
    assert.match(dsc.sample_rand!, /^0(\.\d{1,6})?$/);
  });

  test('an incoming DSC is frozen: upstream values kept, own rate and decision written', () => {
    setup({ tracesSampler: () => 1 });
    const data = continueTrace(
      {
        'sentry-trace': `${T}-${S}-0`,
        baggage: `sentry-trace_id=${T},sentry-environment=prod,sentry-transaction=upstream,sentry-sample_rate=0.01,sentry-sample_rand=0.5,other=kept`,
      },
      () => startSpan({ name: 'mine' }, () => getTraceData()),
    );
    const dsc = sentryBaggage(data.baggage);
    assert.equal(dsc.transaction, 'upstream');
    assert.equal(dsc.environment, 'prod');
    assert.equal(dsc.sample_rate, '1');
    assert.equal(dsc.sampled, 'true');
    assert.equal(dsc.sample_rand, '0.5');
    assert.match(data.baggage!, /^other=kept,/);
  });

  test('inheriting the parent decision leaves the upstream sample_rate alone', () => {
    setup({ tracesSampleRate: 1 });
    const data = continueTrace(
      { 'sentry-trace': `${T}-${S}-1`, baggage: `sentry-trace_id=${T},sentry-sample_rate=0.01` },
      () => startSpan({ name: 'mine' }, () => getTraceData()),
    );
    assert.equal(sentryBaggage(data.baggage).sample_rate, '0.01');
  });

  test('the DSC is frozen once propagated: a later rename does not change it', () => {
    setup({ tracesSampleRate: 1 });
    startSpan({ name: 'first' }, (span) => {
      const before = getTraceData().baggage;
      span.updateName('second');
      assert.equal(getTraceData().baggage, before);
    });
  });

  test('tracestate carries ot th and rv that agree with the decision', () => {
    setup({ tracesSampleRate: 0.25 });
    for (let i = 0; i < 200; i++) {
      const [sampled, data] = startSpan({ name: 'r' }, (s) => [s.isRecording(), getTraceData()] as const);
      const ot = /ot=th:([0-9a-f]+);rv:([0-9a-f]{14})/.exec(data.tracestate ?? '');
      assert.ok(ot, data.tracestate);
      const th = BigInt(`0x${ot[1]!.padEnd(14, '0')}`);
      assert.equal(BigInt(`0x${ot[2]}`) >= th, sampled);
    }
  });
});

describe('traces and roots', () => {
  test('a root outside any span and outside continueTrace begins a new trace', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'a' }, () => {});
    startSpan({ name: 'b' }, () => {});
    const [a, b] = memory.getFinishedSpans();
    assert.notEqual(a?.traceId, b?.traceId);
    assert.equal(a?.parentSpanId, undefined);
  });

  test('roots inside one continueTrace share the continued trace', () => {
    const memory = setup({ tracesSampleRate: 1 });
    continueTrace({ 'sentry-trace': `${T}-${S}-1` }, () => {
      startSpan({ name: 'a' }, () => {});
      startSpan({ name: 'b' }, () => {});
    });
    const spans = memory.getFinishedSpans();
    assert.deepEqual(
      spans.map((s) => [s.traceId, s.parentSpanId, s.isSegment]),
      [
        [T, S, true],
        [T, S, true],
      ],
    );
  });

  test('malformed headers start a new trace, shared by roots in the callback', () => {
    const memory = setup({ tracesSampleRate: 1 });
    continueTrace(
      { 'sentry-trace': 'garbage', traceparent: '00-zz', baggage: 'sentry-sample_rand=0.1' },
      () => {
        startSpan({ name: 'a' }, () => {});
        startSpan({ name: 'b' }, () => {});
      },
    );
    const [a, b] = memory.getFinishedSpans();
    assert.equal(a?.traceId, b?.traceId);
    assert.notEqual(a?.traceId, T);
    assert.equal(a?.parentSpanId, undefined);
  });

  test('parentSpan: null starts a new trace even under an active span', () => {
    const memory = setup({ tracesSampleRate: 1 });
    startSpan({ name: 'outer' }, () => startSpan({ name: 'detached', parentSpan: null }, () => {}));
    const [detached, outer] = memory.getFinishedSpans();
    assert.notEqual(detached?.traceId, outer?.traceId);
  });

  test('onlyIfParent without an active span records nothing and decides nothing', () => {
    let calls = 0;
    const memory = setup({
      tracesSampler: () => {
        calls++;
        return 1;
      },
    });
    startSpan({ name: 'orphan', onlyIfParent: true }, () => {});
    assert.equal(calls, 0);
    assert.equal(memory.getFinishedSpans().length, 0);
  });
});

describe('tracing disabled (no rate, no sampler)', () => {
  test('nothing is recorded; an incoming decision is forwarded unchanged', () => {
    const memory = setup({});
    for (const flag of ['1', '0']) {
      const data = continueTrace(
        {
          'sentry-trace': `${T}-${S}-${flag}`,
          baggage: `sentry-trace_id=${T},sentry-sample_rate=0.3,vendor=v`,
        },
        () => startSpan({ name: 'r' }, () => startSpan({ name: 'child' }, () => getTraceData())),
      );
      assert.equal(data['sentry-trace']!.slice(0, 32), T);
      assert.ok(data['sentry-trace']!.endsWith(`-${flag}`));
      assert.equal(sentryBaggage(data.baggage).sample_rate, '0.3');
      assert.match(data.baggage!, /vendor=v/);
    }
    const deferred = continueTrace({ 'sentry-trace': `${T}-${S}` }, () =>
      startSpan({ name: 'r' }, () => getTraceData()),
    );
    assert.match(deferred['sentry-trace']!, new RegExp(`^${T}-[0-9a-f]{16}$`));
    assert.equal(memory.getFinishedSpans().length, 0);
    assert.deepEqual(getClient()?.takeDiscardedEvents(), []);
  });

  test('before init, the API works and records nothing', async () => {
    await teardown();
    const value = startSpan({ name: 'x' }, (span) => {
      span.setAttribute('a', 1).end();
      return 42;
    });
    assert.equal(value, 42);
  });
});
