import type { Attributes, AttributeValue } from '../types.js';

export type TypedAttribute =
  | { value: string; type: 'string' }
  | { value: number; type: 'integer' | 'double' }
  | { value: boolean; type: 'boolean' }
  | { value: ReadonlyArray<string | number | boolean>; type: 'array' };

export type TypedAttributes = Record<string, TypedAttribute>;

/** The longest string attribute value sent; longer ones are cut (and marked) rather than dropped. */
export const MAX_STRING_LENGTH = 8192;

function typed(value: AttributeValue): TypedAttribute | undefined {
  switch (typeof value) {
    case 'string':
      return {
        value: value.length > MAX_STRING_LENGTH ? `${value.slice(0, MAX_STRING_LENGTH)}…` : value,
        type: 'string',
      };
    case 'number':
      if (!Number.isFinite(value)) return { value: String(value), type: 'string' };
      return { value, type: Number.isInteger(value) ? 'integer' : 'double' };
    case 'boolean':
      return { value, type: 'boolean' };
    default:
      return Array.isArray(value) ? { value, type: 'array' } : undefined;
  }
}

/** Attributes in the `{ value, type }` form of Sentry's span v2, log and trace_metric items. */
export function toTypedAttributes(
  attributes: Readonly<Attributes>,
  into: TypedAttributes = {},
): TypedAttributes {
  for (const key in attributes) {
    const t = typed(attributes[key]!);
    if (t !== undefined) into[key] = t;
  }
  return into;
}

/** A single attribute in typed form (for SDK-added keys). */
export function typedValue(value: string | number | boolean): TypedAttribute {
  return typed(value)!;
}
