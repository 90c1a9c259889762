/**
 * Model prices and the cost of one call. Pure: the SDK's cost metric and the server's ingest use the same
 * table and the same arithmetic.
 */

/** One row of a price table: USD per million tokens for the models `pattern` matches. */
export interface ModelPrice {
  /**
   * A model name, optionally with `*` wildcards (`claude-sonnet-4*`), or a RegExp. A plain name also
   * matches its dated and `-latest` variants (`gpt-4o` matches `gpt-4o-2024-08-06`, not `gpt-4o-mini`),
   * and a `provider/` prefix on the model is ignored.
   */
  pattern: string | RegExp;
  /** USD per million input tokens that were not read from a cache. */
  input: number;
  /** USD per million output tokens (reasoning tokens included). */
  output: number;
  /** USD per million input tokens read from a prompt cache. Default: `input`. */
  cachedInput?: number;
  /** USD per million input tokens written to a prompt cache (Anthropic). Default: `input`. */
  cacheWrite?: number;
}

export type PriceTable = readonly ModelPrice[];

/** Token counts of one call. `inputTokens` includes the cached and cache-write tokens (OpenTelemetry's reading). */
export interface TokenUsage {
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface CostEstimate {
  inputUsd: number;
  outputUsd: number;
  totalUsd: number;
  /** The pattern that priced the model, as written in the table. */
  pattern: string;
}

/** The day the built-in prices were read from the providers' public price pages. */
export const PRICES_AS_OF = '2025-11-01';

/**
 * Built-in prices (USD per million tokens, standard tier, as of PRICES_AS_OF). More specific patterns
 * come first: the first match wins. Prices change: override or extend with `init({ ai: { prices } })`.
 */
export const DEFAULT_PRICES: PriceTable = Object.freeze([
  // OpenAI
  { pattern: 'gpt-5-nano', input: 0.05, output: 0.4, cachedInput: 0.005 },
  { pattern: 'gpt-5-mini', input: 0.25, output: 2, cachedInput: 0.025 },
  { pattern: 'gpt-5*', input: 1.25, output: 10, cachedInput: 0.125 },
  { pattern: 'gpt-4.1-nano', input: 0.1, output: 0.4, cachedInput: 0.025 },
  { pattern: 'gpt-4.1-mini', input: 0.4, output: 1.6, cachedInput: 0.1 },
  { pattern: 'gpt-4.1', input: 2, output: 8, cachedInput: 0.5 },
  { pattern: 'gpt-4o-mini*', input: 0.15, output: 0.6, cachedInput: 0.075 },
  { pattern: 'gpt-4o*', input: 2.5, output: 10, cachedInput: 1.25 },
  { pattern: 'gpt-4-turbo*', input: 10, output: 30 },
  { pattern: 'gpt-3.5-turbo*', input: 0.5, output: 1.5 },
  { pattern: 'o4-mini', input: 1.1, output: 4.4, cachedInput: 0.275 },
  { pattern: 'o3-mini', input: 1.1, output: 4.4, cachedInput: 0.55 },
  { pattern: 'o3', input: 2, output: 8, cachedInput: 0.5 },
  { pattern: 'o1-mini', input: 1.1, output: 4.4, cachedInput: 0.55 },
  { pattern: 'o1', input: 15, output: 60, cachedInput: 7.5 },
  { pattern: 'text-embedding-3-small', input: 0.02, output: 0 },
  { pattern: 'text-embedding-3-large', input: 0.13, output: 0 },
  { pattern: 'text-embedding-ada-002', input: 0.1, output: 0 },
  // Anthropic
  { pattern: 'claude-opus-4-5*', input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25 },
  { pattern: 'claude-opus-4*', input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
  { pattern: 'claude-sonnet-4*', input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
  { pattern: 'claude-haiku-4*', input: 1, output: 5, cachedInput: 0.1, cacheWrite: 1.25 },
  { pattern: 'claude-3-7-sonnet*', input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
  { pattern: 'claude-3-5-sonnet*', input: 3, output: 15, cachedInput: 0.3, cacheWrite: 3.75 },
  { pattern: 'claude-3-5-haiku*', input: 0.8, output: 4, cachedInput: 0.08, cacheWrite: 1 },
  { pattern: 'claude-3-opus*', input: 15, output: 75, cachedInput: 1.5, cacheWrite: 18.75 },
  { pattern: 'claude-3-haiku*', input: 0.25, output: 1.25, cachedInput: 0.03, cacheWrite: 0.3 },
] satisfies ModelPrice[]);

const KNOWN_FIELDS = new Set(['pattern', 'input', 'output', 'cachedInput', 'cacheWrite']);
const PRICE_FIELDS = ['input', 'output', 'cachedInput', 'cacheWrite'] as const;
/** What a string pattern may hold: model-name characters and `*`. */
const PATTERN_TEXT = /^[A-Za-z0-9._:@/*-]+$/;
/** Suffixes a plain name also matches: dates (`-2024-08-06`, `-20250929`), `-latest`, `:version` tags. */
const VARIANT_SUFFIX = '(?:-\\d{4}-\\d{2}-\\d{2}|-\\d{8}|-latest)?(?::[A-Za-z0-9._-]+)?';

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\/]/g, '\\$&');
}

const compiled = new WeakMap<ModelPrice, RegExp>();

function regexpOf(entry: ModelPrice): RegExp {
  let re = compiled.get(entry);
  if (re === undefined) {
    const p = entry.pattern;
    re =
      p instanceof RegExp
        ? p
        : new RegExp(
            `^${p.split('*').map(escapeRegExp).join('.*')}${p.includes('*') ? '' : VARIANT_SUFFIX}$`,
            'i',
          );
    compiled.set(entry, re);
  }
  return re;
}

/** The first entry whose pattern matches `model` (a `provider/` prefix is tried without it too). */
export function findPrice(model: string, table: PriceTable = DEFAULT_PRICES): ModelPrice | undefined {
  const slash = model.lastIndexOf('/');
  const bare = slash >= 0 ? model.slice(slash + 1) : model;
  for (const entry of table) {
    const re = regexpOf(entry);
    re.lastIndex = 0;
    if (re.test(model)) return entry;
    if (bare !== model) {
      re.lastIndex = 0;
      if (re.test(bare)) return entry;
    }
  }
  return undefined;
}

function count(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/**
 * The estimated cost of one call, or undefined when no entry prices the model or no token count is known.
 * Cached and cache-write tokens are part of `inputTokens` and are charged at their own prices.
 */
export function estimateCost(
  usage: TokenUsage,
  model: string | undefined,
  table: PriceTable = DEFAULT_PRICES,
): CostEstimate | undefined {
  if (typeof model !== 'string' || model === '') return undefined;
  if (usage.inputTokens === undefined && usage.outputTokens === undefined) return undefined;
  const price = findPrice(model, table);
  if (price === undefined) return undefined;
  const input = count(usage.inputTokens);
  const cached = Math.min(count(usage.cachedInputTokens), input);
  const written = Math.min(count(usage.cacheWriteInputTokens), input - cached);
  const fresh = input - cached - written;
  const inputUsd =
    (fresh * price.input +
      cached * (price.cachedInput ?? price.input) +
      written * (price.cacheWrite ?? price.input)) /
    1e6;
  const outputUsd = (count(usage.outputTokens) * price.output) / 1e6;
  return {
    inputUsd,
    outputUsd,
    totalUsd: inputUsd + outputUsd,
    pattern: typeof price.pattern === 'string' ? price.pattern : String(price.pattern),
  };
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof RegExp) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Checks a user price table. Returns the problems, each naming its entry by index and pattern; an empty
 * list means the table is valid.
 */
export function validatePriceTable(table: unknown): string[] {
  if (!Array.isArray(table))
    return [`prices must be an array of { pattern, input, output } entries, got ${describe(table)}`];
  const problems: string[] = [];
  table.forEach((entry: unknown, i) => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`entry ${i} must be an object, got ${describe(entry)}`);
      return;
    }
    const e = entry as Record<string, unknown>;
    const name = `entry ${i} (${describe(e.pattern)})`;
    const p = e.pattern;
    if (typeof p === 'string') {
      if (!PATTERN_TEXT.test(p) || p.replaceAll('*', '') === '')
        problems.push(`${name}: pattern must be a model name with optional * wildcards`);
    } else if (!(p instanceof RegExp)) {
      problems.push(`${name}: pattern must be a string or a RegExp`);
    }
    for (const key of Object.keys(e)) {
      if (!KNOWN_FIELDS.has(key)) problems.push(`${name}: unknown field "${key}"`);
    }
    for (const field of PRICE_FIELDS) {
      const v = e[field];
      const required = field === 'input' || field === 'output';
      if (v === undefined && !required) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
        problems.push(
          `${name}: ${field} must be a non-negative number of USD per million tokens, got ${describe(v)}`,
        );
    }
  });
  return problems;
}
