// Main-thread CPU a span of `sieve serve`'s ingest conversion, without HTTP or storage: Sentry span v2
// envelopes (parseEnvelope → sentryEnvelopeToBatch → addAiCosts), OTLP/JSON exports (JSON.parse →
// otlpTracesToBatch → addAiCosts) and OTLP protobuf exports (decodeOtlpProtobuf → otlpTracesToBatch →
// addAiCosts), the same calls and the same generated traces as server-ingest.mjs (lib/traces.mjs),
// run in a loop over prepared (already decompressed) bodies.
//
//   cd bench && node --import tsx ingest-parse.mjs [--spans 100000] [--samples 7] [--format sentry|otlp|otlp-proto|all]
//   cd bench && node --import tsx --cpu-prof ingest-parse.mjs --format sentry     # profile it
//
// Prints µs a span (median and range of the samples) per format, beside the decoding floor of the
// same bodies (parseEnvelope + JSON.parse of each item payload; JSON.parse of the OTLP/JSON body;
// decodeOtlpProtobuf of the protobuf body), timed in alternation with the full path so both see the
// same machine: full − floor is what the conversion code costs. The two OTLP encodings of a chunk
// hold the same traces, so they print the same digest. It also prints a SHA-256 of the rows it produced
// (every field and attribute, in order): two commits that print the same digest produced the same rows,
// so a speed-up can be compared across commits without changing any output.
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { addAiCosts } from '../packages/server/src/ingest/ai-cost.ts';
import { parseEnvelope } from '../packages/server/src/ingest/envelope.ts';
import { otlpTracesToBatch } from '../packages/server/src/ingest/otlp.ts';
import { decodeOtlpProtobuf } from '../packages/server/src/ingest/otlp-protobuf.ts';
import { sentryEnvelopeToBatch } from '../packages/server/src/ingest/sentry.ts';
import { makeChunk } from './lib/traces.mjs';

const { values: args } = parseArgs({
  options: {
    spans: { type: 'string', default: '100000' },
    samples: { type: 'string', default: '7' },
    format: { type: 'string', default: 'all' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    'node --import tsx ingest-parse.mjs [--spans 100000] [--samples 7] [--format sentry|otlp|otlp-proto|all]\n' +
      'µs of CPU a span for parsing and converting Sentry span v2 envelopes and OTLP/JSON exports to rows.',
  );
  process.exit(0);
}
const spans = Number(args.spans);
const samples = Number(args.samples);
const formats = args.format === 'all' ? ['sentry', 'otlp', 'otlp-proto'] : [args.format];
const T0 = Date.UTC(2026, 10, 1);

/** The bodies of one chunk as the server sees them after decodeBody (OTLP gunzipped). */
function bodiesOf(format) {
  const chunk = makeChunk({ seed: 7, format, firstSpan: 0, spans, t0: T0, publicKey: 'bench' });
  // Only span envelopes: the trace_metric envelopes are metrics, not the span path measured here.
  const requests = chunk.requests.filter((q) => q.spans > 0);
  return {
    bodies: requests.map((q) => (format === 'sentry' ? q.body : gunzipSync(q.body))),
    spans: requests.reduce((n, q) => n + q.spans, 0),
  };
}

/** One pass over every body, as the server's pipeline runs it; returns the span rows. */
function convert(format, bodies, keep) {
  const out = [];
  for (const body of bodies) {
    let rows;
    if (format === 'sentry') {
      rows = sentryEnvelopeToBatch(parseEnvelope(body), 1, { now: T0 }).batch.spans;
    } else if (format === 'otlp') {
      rows = otlpTracesToBatch(JSON.parse(body.toString('utf8')), 1).batch.spans;
    } else {
      rows = otlpTracesToBatch(decodeOtlpProtobuf('traces', body), 1).batch.spans;
    }
    addAiCosts(rows);
    if (keep) for (const row of rows) out.push(row);
  }
  return out;
}

/** Only the JSON parsing of one pass: what any conversion must pay. */
function parseOnly(format, bodies) {
  for (const body of bodies) {
    if (format === 'sentry') {
      for (const item of parseEnvelope(body).items) JSON.parse(item.payload.toString('utf8'));
    } else if (format === 'otlp') JSON.parse(body.toString('utf8'));
    else decodeOtlpProtobuf('traces', body);
  }
}

function digest(rows) {
  const hash = createHash('sha256');
  for (const row of rows) hash.update(JSON.stringify(row));
  return hash.digest('hex').slice(0, 16);
}

const cpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

for (const format of formats) {
  const { bodies, spans: count } = bodiesOf(format);
  const rows = convert(format, bodies, true);
  if (rows.length !== count) throw new Error(`${format}: ${rows.length} rows for ${count} spans`);
  const hash = digest(rows);
  convert(format, bodies, false); // warm-up
  const full = [];
  const floor = [];
  for (let i = 0; i < samples; i++) {
    globalThis.gc?.(); // with --expose-gc each sample starts on an empty young generation
    let start = cpuUs();
    convert(format, bodies, false);
    full.push((cpuUs() - start) / count);
    globalThis.gc?.();
    start = cpuUs();
    parseOnly(format, bodies);
    floor.push((cpuUs() - start) / count);
  }
  const stats = (list) => {
    list.sort((a, b) => a - b);
    return `${list[Math.floor(list.length / 2)].toFixed(2)} (${list[0].toFixed(2)}–${list.at(-1).toFixed(2)})`;
  };
  console.log(
    `${format.padEnd(6)} ${count} spans in ${bodies.length} bodies, µs a span, median (range) of ${samples}: ` +
      `parse + convert ${stats(full)}, ${format === 'otlp-proto' ? 'decoding' : 'JSON parsing'} alone ${stats(floor)}; rows ${hash}`,
  );
}
