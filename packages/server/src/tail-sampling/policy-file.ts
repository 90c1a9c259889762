import { readFile } from 'node:fs/promises';
import { Ajv, type ErrorObject } from 'ajv';
import {
  findNodeAtLocation,
  getNodeValue,
  type Node as JsonNode,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from 'jsonc-parser';
import type { EngineBounds } from './engine.js';
import type { PolicySpec } from './policy.js';
import { POLICY_FILE_SCHEMA } from './schema.js';

/** A tail-sampling configuration: the engine's bounds and the policies (docs/tail-sampling.md). */
export interface TailSamplingSettings extends EngineBounds {
  /** The policy file, as given (for messages). */
  file: string;
  policies: PolicySpec[];
}

export const TAIL_SAMPLING_DEFAULTS = {
  decisionWaitMs: 5_000,
  maxTraceWaitMs: 300_000,
  maxTraces: 50_000,
  maxSpans: 500_000,
  maxHeldMb: 256,
  maxDecisions: 200_000,
} as const;

/**
 * A bad policy file (message: `file:line:column: field "…" problem`); resolveConfig turns it into a
 * ConfigError, so `sieve serve` prints it and exits with code 2.
 */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
}

const ajv = new Ajv({
  allErrors: false,
  discriminator: true,
  strict: true,
  allowMatchingProperties: true,
  allowUnionTypes: true,
});
const validate = ajv.compile(POLICY_FILE_SCHEMA);

type Segment = string | number;

/** `/policies/1/rate` → `policies[1].rate`, the way people point at a field. */
function fieldName(path: readonly Segment[]): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out === '' ? '(top level)' : out;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function pointerPath(pointer: string, value: unknown): Segment[] {
  if (pointer === '') return [];
  const path: Segment[] = [];
  let node = value;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: Segment = Array.isArray(node) ? Number(token) : token;
    path.push(segment);
    node =
      node !== null && typeof node === 'object' ? (node as Record<Segment, unknown>)[segment] : undefined;
  }
  return path;
}

/** Where a field is written: its key for an object property, the value itself for an array item. */
function offsetOf(root: JsonNode | undefined, path: readonly Segment[]): number {
  if (root === undefined) return 0;
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n) as Segment[]);
    if (node === undefined) continue;
    const property = node.parent?.type === 'property' ? node.parent : undefined;
    return (property ?? node).offset;
  }
  return 0;
}

function ajvProblem(error: ErrorObject, value: unknown): { path: Segment[]; message: string } {
  const path = pointerPath(error.instancePath, value);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties':
      return { path: [...path, String(params.additionalProperty)], message: 'is not a known field here' };
    case 'required':
      return { path, message: `needs the field "${String(params.missingProperty)}"` };
    case 'discriminator':
      return params.error === 'mapping'
        ? {
            path: [...path, 'type'],
            message: `"${String(params.tagValue)}" is not a policy type (one of: ${POLICY_TYPES.join(', ')})`,
          }
        : { path: [...path, 'type'], message: 'must be a string naming the policy type' };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}` };
    default:
      return { path, message: error.message ?? 'is invalid' };
  }
}

const POLICY_TYPES = POLICY_FILE_SCHEMA.$defs.policy.oneOf.map((p) => p.properties.type.const);

/** The checks a schema cannot express well; returns the first problem found. */
function semanticProblem(
  policies: readonly PolicySpec[],
  base: Segment[],
): { path: Segment[]; message: string } | null {
  for (const [i, policy] of policies.entries()) {
    const at = [...base, i];
    if (policy.type === 'attribute') {
      const matchers = [
        policy.equals !== undefined,
        policy.regex !== undefined,
        policy.min !== undefined || policy.max !== undefined,
      ];
      if (matchers.filter(Boolean).length !== 1) {
        return {
          path: at,
          message: 'an attribute policy needs exactly one of "equals", "regex", or "min"/"max"',
        };
      }
      if (policy.regex !== undefined) {
        try {
          new RegExp(policy.regex);
        } catch (error) {
          return {
            path: [...at, 'regex'],
            message: `is not a valid regular expression: ${(error as Error).message}`,
          };
        }
      }
      if (policy.min !== undefined && policy.max !== undefined && policy.min > policy.max) {
        return { path: [...at, 'min'], message: `must not be above "max" (${policy.max})` };
      }
    }
    if (policy.type === 'rate_limit' && policy.burst !== undefined && policy.burst < 1) {
      return { path: [...at, 'burst'], message: 'must be at least 1' };
    }
    if (policy.type === 'and' || policy.type === 'first_match') {
      const inner = semanticProblem(policy.policies, [...at, 'policies']);
      if (inner) return inner;
    }
    if (policy.type === 'weighted') {
      const total = policy.policies.reduce((sum, branch) => sum + branch.share, 0);
      if (total > 1 + 1e-9)
        return { path: [...at, 'policies'], message: `shares add up to ${total}, more than 1` };
      for (const [j, branch] of policy.policies.entries()) {
        const inner = semanticProblem([branch.policy], [...at, 'policies', j, 'policy']);
        if (inner) return { path: inner.path.filter((_, k) => k !== at.length + 3), message: inner.message };
      }
    }
  }
  return null;
}

/** Parses and checks a policy file's text (JSON; comments allowed). Throws PolicyFileError. */
export function parsePolicyFile(text: string, file: string): TailSamplingSettings {
  const fail = (offset: number, field: string | null, message: string): never => {
    const { line, column } = lineColumn(text, offset);
    const where = field === null ? '' : `field "${field}" `;
    throw new PolicyFileError(`tail-sampling policy file ${file}:${line}:${column}: ${where}${message}`);
  };
  if (text.trim() === '') fail(0, null, 'is empty: expected a JSON object with "policies"');
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: false, allowTrailingComma: false });
  if (errors.length > 0) {
    const first = errors[0]!;
    fail(first.offset, null, `invalid JSON (${printParseErrorCode(first.error)})`);
  }
  if (root === undefined) return fail(0, null, 'is empty: expected a JSON object with "policies"');
  const value: unknown = getNodeValue(root);
  if (!validate(value)) {
    const { path, message } = ajvProblem(validate.errors![0]!, value);
    fail(offsetOf(root, path), fieldName(path), message);
  }
  const config = value as {
    decisionWaitMs?: number;
    maxTraceWaitMs?: number;
    maxTraces?: number;
    maxSpans?: number;
    maxHeldMb?: number;
    maxDecisions?: number;
    policies: PolicySpec[];
  };
  const problem = semanticProblem(config.policies, ['policies']);
  if (problem) fail(offsetOf(root, problem.path), fieldName(problem.path), problem.message);
  const d = TAIL_SAMPLING_DEFAULTS;
  return {
    file,
    decisionWaitMs: config.decisionWaitMs ?? d.decisionWaitMs,
    maxTraceWaitMs: config.maxTraceWaitMs ?? d.maxTraceWaitMs,
    maxTraces: config.maxTraces ?? d.maxTraces,
    maxSpans: config.maxSpans ?? d.maxSpans,
    maxHeldBytes: Math.round((config.maxHeldMb ?? d.maxHeldMb) * 1024 * 1024),
    maxDecisions: config.maxDecisions ?? d.maxDecisions,
    policies: config.policies,
  };
}

/** Reads and checks a policy file; an unreadable file is a PolicyFileError naming it. */
export async function loadPolicyFile(file: string): Promise<TailSamplingSettings> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PolicyFileError(
      `tail-sampling policy file ${file}: cannot be read (${(error as Error).message})`,
    );
  }
  return parsePolicyFile(text, file);
}
