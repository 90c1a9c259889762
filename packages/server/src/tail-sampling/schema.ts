/**
 * The JSON Schema of a tail-sampling policy file (docs/tail-sampling.md is its reference). Checked
 * by ajv with `discriminator`, so an error inside one policy names that policy type's field rather
 * than every branch of the union. What a schema cannot say well (exactly one attribute matcher, a
 * valid regex, shares summing to at most 1) is checked in policy-file.ts.
 */

const name = { type: 'string', minLength: 1, description: 'Label used in stats and errors.' } as const;
const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const count = { type: 'integer', minimum: 1 } as const;
const policyList = { type: 'array', minItems: 1, items: { $ref: '#/$defs/policy' } } as const;

function policy(type: string, properties: Record<string, unknown> = {}, required: string[] = []) {
  return {
    type: 'object',
    properties: { type: { const: type }, name, ...properties },
    required: ['type', ...required],
    additionalProperties: false,
  };
}

export const POLICY_FILE_SCHEMA = {
  $id: 'https://sieve.dev/schemas/tail-sampling.json',
  type: 'object',
  properties: {
    $schema: { type: 'string' },
    decisionWaitMs: { type: 'integer', minimum: 0, maximum: 3_600_000 },
    maxTraceWaitMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
    maxTraces: count,
    maxSpans: count,
    maxHeldMb: { type: 'number', minimum: 1, maximum: 65_536 },
    maxDecisions: count,
    policies: policyList,
  },
  required: ['policies'],
  additionalProperties: false,
  $defs: {
    policy: {
      type: 'object',
      properties: { type: { type: 'string' } },
      required: ['type'],
      discriminator: { propertyName: 'type' },
      oneOf: [
        policy('always'),
        policy('drop'),
        policy('error'),
        policy('gen_ai'),
        policy('duration', { minMs: { type: 'number', minimum: 0 } }, ['minMs']),
        policy(
          'attribute',
          {
            key: { type: 'string', minLength: 1 },
            equals: { type: ['string', 'number', 'boolean'] },
            regex: { type: 'string' },
            min: { type: 'number' },
            max: { type: 'number' },
          },
          ['key'],
        ),
        policy('probabilistic', { rate: { type: 'number', exclusiveMinimum: 0, maximum: 1 } }, ['rate']),
        policy(
          'rate_limit',
          {
            tracesPerSecond: positive,
            burst: { type: 'number', minimum: 1 },
            by: { type: 'string', minLength: 1 },
          },
          ['tracesPerSecond'],
        ),
        policy('and', { policies: policyList }, ['policies']),
        policy('first_match', { policies: policyList }, ['policies']),
        policy(
          'weighted',
          {
            tracesPerSecond: positive,
            policies: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                properties: {
                  share: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
                  policy: { $ref: '#/$defs/policy' },
                },
                required: ['share', 'policy'],
                additionalProperties: false,
              },
            },
          },
          ['tracesPerSecond', 'policies'],
        ),
      ],
    },
  },
} as const;
