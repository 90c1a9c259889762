// What the mock server billed: the usage it actually reported to a client (for a cut stream, the last
// usage that went out). A call that failed, had its usage omitted ([[mock:no-usage]]) or its stream cut
// before any usage went out bills nothing, because a client (and so an SDK measuring it) never learns of
// any tokens; such calls are counted apart.
import type { Usage } from './reply.js';

export type Provider = 'openai' | 'anthropic';
export type Operation = 'chat' | 'responses' | 'embeddings' | 'messages';

export interface Totals {
  calls: number;
  /** All input tokens, cached ones included (for Anthropic: input + cache read). */
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
}

export interface Billed extends Totals {
  byModel: Record<string, Totals>;
  byProvider: Record<Provider, Totals>;
  byOperation: Record<Operation, Totals>;
  /** Calls answered with an HTTP error (injected or bad request). */
  errors: number;
  /** Calls whose usage never reached the client (no-usage marker, stream without usage, broken stream). */
  unreported: number;
}

function zero(): Totals {
  return { calls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, reasoningTokens: 0 };
}

function add(totals: Totals, usage: Usage): void {
  totals.calls++;
  totals.inputTokens += usage.input;
  totals.outputTokens += usage.output;
  totals.cachedTokens += usage.cached;
  totals.reasoningTokens += usage.reasoning;
}

export class Ledger {
  #billed: Billed = Ledger.#empty();

  static #empty(): Billed {
    return {
      ...zero(),
      byModel: {},
      byProvider: { openai: zero(), anthropic: zero() },
      byOperation: { chat: zero(), responses: zero(), embeddings: zero(), messages: zero() },
      errors: 0,
      unreported: 0,
    };
  }

  bill(provider: Provider, operation: Operation, model: string, usage: Usage): void {
    const b = this.#billed;
    add(b, usage);
    const perModel = b.byModel[model] ?? zero();
    b.byModel[model] = perModel;
    add(perModel, usage);
    add(b.byProvider[provider], usage);
    add(b.byOperation[operation], usage);
  }

  error(): void {
    this.#billed.errors++;
  }

  unreported(): void {
    this.#billed.unreported++;
  }

  /** A deep copy, so a caller can keep it while the server goes on billing. */
  snapshot(): Billed {
    return structuredClone(this.#billed);
  }

  reset(): void {
    this.#billed = Ledger.#empty();
  }
}
