import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { batchSize, emptyBatch, type IngestBatch } from '../model.js';
import { validateBatch } from '../storage/duckdb/writer.js';
import type { Store } from '../store.js';
import { type DecidedTrace, type EngineStats, TailSamplingEngine } from './engine.js';
import { PendingJournal } from './journal.js';
import { compilePolicies } from './policy.js';
import type { TailSamplingSettings } from './policy-file.js';

export interface TailSamplerOptions {
  settings: TailSamplingSettings;
  store: Store;
  /** The journal lives in <dataDir>/tail-sampling/. */
  dataDir: string;
  /** The clock (tests pass a fake one together with `tickMs: 0` and call `tick()` themselves). */
  now?: () => number;
  /** How often due decisions are made; 0 disables the timer. */
  tickMs?: number;
}

export interface TailSamplerStats extends EngineStats {
  journalSegments: number;
  /** Decision batches being committed. */
  committing: number;
  /** Decision batches whose commit failed: their spans stay in the journal for the next start. */
  failedCommits: number;
}

/**
 * Tail sampling between ingest and the store (`sieve serve --tail-sampling`). A request's spans go
 * to the engine; the ones it holds are appended to the journal (fsynced) before the request is
 * answered, everything else (logs, metrics, errors, spans of already-kept traces) is committed with
 * the request as without tail sampling. Decisions are committed in batches — kept spans with their
 * multiplied weights and drop counts as client reports — and only then release their journal
 * segments.
 */
export class TailSampler {
  private readonly engine: TailSamplingEngine;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private failedCommits = 0;

  private constructor(
    private readonly options: TailSamplerOptions,
    private readonly journal: PendingJournal,
  ) {
    this.now = options.now ?? Date.now;
    const { settings } = options;
    this.engine = new TailSamplingEngine(compilePolicies(settings.policies), settings, (tag) =>
      journal.ref(tag),
    );
  }

  /** Opens the journal, holds again what a previous run left undecided, and starts the decision timer. */
  static async start(options: TailSamplerOptions): Promise<TailSampler> {
    const now = (options.now ?? Date.now)();
    const { journal, recovered } = await PendingJournal.open(journalDir(options.dataDir), now);
    const sampler = new TailSampler(options, journal);
    const forward = [];
    for (const entry of recovered) {
      const result = sampler.engine.offer(entry.spans, entry.errors, now, entry.segment);
      forward.push(...result.forward);
      if (result.decided.length > 0) sampler.commit(result.decided);
    }
    if (forward.length > 0) await options.store.write({ ...emptyBatch(), spans: forward });
    journal.recovered(recovered);
    if (recovered.length > 0 || journal.unreadableRecords > 0) {
      console.error(
        `[sieve] tail sampling: ${recovered.length} pending entries recovered from the journal` +
          (journal.unreadableRecords > 0
            ? ` (${journal.unreadableRecords} torn records skipped: never acknowledged)`
            : ''),
      );
    }
    const tickMs =
      options.tickMs ?? Math.min(250, Math.max(10, Math.floor(options.settings.decisionWaitMs / 10)));
    if (tickMs > 0) {
      sampler.timer = setInterval(() => sampler.tick(), tickMs);
      sampler.timer.unref();
    }
    return sampler;
  }

  get stats(): TailSamplerStats {
    return {
      ...this.engine.stats,
      journalSegments: this.journal.stats.segments,
      committing: this.inflight.size,
      failedCommits: this.failedCommits,
    };
  }

  /**
   * Takes one request's batch; resolves when its held spans are in the journal and the rest is
   * committed (through `writeRest`, the ingest queue).
   */
  async write(batch: IngestBatch, writeRest: (batch: IngestBatch) => Promise<void>): Promise<void> {
    const errors: Array<{ projectId: number; traceId: string }> = [];
    for (const error of batch.errors) {
      if (error.traceId !== null) errors.push({ projectId: error.projectId, traceId: error.traceId });
    }
    if (batch.spans.length === 0 && errors.length === 0) return writeRest(batch);
    // Held spans reach the store only at the decision: refuse a bad one now, with the request.
    validateBatch({ ...emptyBatch(), spans: batch.spans });
    const now = this.now();
    const segment = this.journal.segmentFor(now);
    const result = this.engine.offer(batch.spans, errors, now, segment);
    const durable =
      result.held.length > 0 || errors.length > 0
        ? this.journal.append(segment, now, result.held, errors)
        : undefined;
    if (result.decided.length > 0) this.commit(result.decided);
    const rest: IngestBatch = { ...batch, spans: result.forward };
    await Promise.all([durable, batchSize(rest) > 0 ? writeRest(rest) : undefined]);
  }

  /** Makes the decisions that are due (the timer calls it; tests with a fake clock call it directly). */
  tick(): Promise<void> {
    return this.commit(this.engine.due(this.now()));
  }

  /** Waits for the decision commits under way. */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Stops deciding; undecided traces stay in the journal and are held again on the next start. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.settled();
    await this.journal.close();
  }

  private commit(decided: readonly DecidedTrace[]): Promise<void> {
    const now = this.now();
    const spans = decided.flatMap((trace) => trace.kept);
    const clientReports = this.engine.takeDropReports(now);
    if (spans.length === 0 && clientReports.length === 0) {
      for (const trace of decided) this.journal.release(trace.tags);
      return Promise.resolve();
    }
    const commit = this.options.store.write({ ...emptyBatch(), spans, clientReports }).then(
      () => {
        for (const trace of decided) this.journal.release(trace.tags);
      },
      (error: unknown) => {
        // The spans stay in the journal (its segments keep their references) and are decided
        // again on the next start; nothing acknowledged is lost.
        this.failedCommits++;
        console.error(
          `[sieve] tail sampling: committing ${decided.length} decided traces failed: ${String(error)}`,
        );
      },
    );
    const tracked = commit.finally(() => this.inflight.delete(tracked));
    this.inflight.add(tracked);
    return tracked;
  }
}

function journalDir(dataDir: string): string {
  return join(dataDir, 'tail-sampling');
}

/**
 * A start without `--tail-sampling` after a run with it: the spans that run acknowledged but had not
 * decided yet are stored whole, with their weights unchanged (no stage dropped them), and the journal
 * is removed. Returns the number of spans stored; costs one `access` when there is no journal.
 */
export async function storeLeftoverJournal(dataDir: string, store: Store): Promise<number> {
  const dir = journalDir(dataDir);
  try {
    await access(dir);
  } catch {
    return 0;
  }
  const { journal, recovered } = await PendingJournal.open(dir, Date.now());
  await journal.close();
  let stored = 0;
  let batch = emptyBatch();
  for (const entry of recovered) {
    batch.spans.push(...entry.spans);
    if (batch.spans.length >= 10_000) {
      await store.write(batch);
      stored += batch.spans.length;
      batch = emptyBatch();
    }
  }
  if (batch.spans.length > 0) await store.write(batch);
  stored += batch.spans.length;
  await rm(dir, { recursive: true, force: true });
  if (stored > 0)
    console.error(`[sieve] tail sampling is off: stored the ${stored} spans a previous run held undecided`);
  return stored;
}
