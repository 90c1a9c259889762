/** Small readers for provider payloads of unknown shape. Pure. */
import type { AttributeValue } from '../types.js';

export type Obj = Record<string, unknown>;

export function obj(value: unknown): Obj | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function sum(...values: Array<number | undefined>): number | undefined {
  let total: number | undefined;
  for (const v of values) if (v !== undefined) total = (total ?? 0) + v;
  return total;
}

const serverByBase = new Map<string, Readonly<Record<string, AttributeValue>>>();

/**
 * `server.address` / `server.port` of a client's base URL (`resource._client.baseURL`). Parsed once per
 * base URL (an app has a handful), not once per call.
 */
export function serverAttributes(resource: unknown): Record<string, AttributeValue | undefined> {
  const client = obj(obj(resource)?._client);
  const base = str(client?.baseURL);
  if (base === undefined) return {};
  let attributes = serverByBase.get(base);
  if (attributes === undefined) {
    attributes = {};
    try {
      const url = new URL(base);
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      attributes = { 'server.address': url.hostname, 'server.port': port };
    } catch {
      // Not a URL: no server attributes.
    }
    if (serverByBase.size >= 64) serverByBase.clear();
    serverByBase.set(base, attributes);
  }
  return { ...attributes };
}

export function stopSequences(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  return undefined;
}

/** GenAI provider names of the clients that reuse the `openai` / `@anthropic-ai/sdk` resources. */
const PROVIDER_BY_CLIENT: Readonly<Record<string, string>> = {
  AzureOpenAI: 'azure.ai.openai',
  BedrockOpenAI: 'aws.bedrock',
  AnthropicBedrock: 'aws.bedrock',
  AnthropicVertex: 'gcp.vertex_ai',
};

/** `gen_ai.provider.name` for a resource: from its client's class (Azure, Bedrock, Vertex), else `fallback`. */
export function providerOf(resource: unknown, fallback: string): string {
  const name = (obj(obj(resource)?._client)?.constructor as { name?: unknown } | undefined)?.name;
  return (
    (typeof name === 'string' && Object.hasOwn(PROVIDER_BY_CLIENT, name)
      ? PROVIDER_BY_CLIENT[name]
      : undefined) ?? fallback
  );
}
