// An agent run as a sequence of steps: the root's subtree in time order, each span classed as an LLM call,
// a tool execution, a sub-agent or handoff, or other work, with the inputs and outputs it recorded.
// Pure: unit-tested in test/run.test.ts.
import { layoutWaterfall } from './waterfall';

export interface RunSpanInput {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  startTime: number;
  endTime: number;
  status: string;
  attributes: Record<string, unknown>;
  ai?: {
    operation: string | null;
    model: string | null;
    toolName: string | null;
    agentName: string | null;
  } | null;
}

export type StepKind = 'llm' | 'tool' | 'agent' | 'handoff' | 'other';

export interface RunStep<S extends RunSpanInput> {
  span: S;
  kind: StepKind;
  /** Depth below the run's root (the root is 0). */
  depth: number;
  /** What went in and came out, as display text (JSON pretty-printed); null when not recorded. */
  input: string | null;
  output: string | null;
}

// Where each convention records content: OpenTelemetry GenAI (newest, then older event-style names),
// the Vercel AI SDK, OpenInference and Traceloop. First one present wins.
const INPUT_KEYS = [
  'gen_ai.input.messages',
  'gen_ai.tool.call.arguments',
  'gen_ai.prompt',
  'gen_ai.request.messages',
  'ai.prompt.messages',
  'ai.prompt',
  'ai.toolCall.args',
  'input.value',
  'traceloop.entity.input',
];
const OUTPUT_KEYS = [
  'gen_ai.output.messages',
  'gen_ai.tool.call.result',
  'gen_ai.completion',
  'gen_ai.response.text',
  'ai.response.text',
  'ai.response.toolCalls',
  'ai.toolCall.result',
  'output.value',
  'traceloop.entity.output',
];

export function stepKind(span: RunSpanInput): StepKind {
  const op =
    span.ai?.operation ??
    (typeof span.attributes['gen_ai.operation.name'] === 'string'
      ? (span.attributes['gen_ai.operation.name'] as string)
      : null);
  if (op === 'execute_tool') return 'tool';
  if (op === 'invoke_agent' || op === 'create_agent') return 'agent';
  if (op === 'handoff') return 'handoff';
  if (op !== null || span.ai?.model) return 'llm';
  return 'other';
}

/**
 * Chat messages (`[{ role, content | parts, … }]`, the shape of gen_ai.input.messages and most SDKs) as one
 * line per message, "role: text"; anything else a message holds follows as compact JSON. Null when the
 * value is not a list of messages.
 */
export function messagesText(value: unknown): string | null {
  if (!Array.isArray(value) || value.length === 0) return null;
  const lines: string[] = [];
  for (const m of value) {
    if (typeof m !== 'object' || m === null || typeof (m as { role?: unknown }).role !== 'string')
      return null;
    const { role, content, parts, ...rest } = m as Record<string, unknown>;
    const body = content ?? parts;
    let text = typeof body === 'string' ? body : body === undefined ? '' : partsText(body);
    if (Object.keys(rest).length > 0) text += `${text ? ' ' : ''}${JSON.stringify(rest)}`;
    lines.push(`${role as string}: ${text}`);
  }
  return lines.join('\n');
}

/** OpenTelemetry message parts (`[{ type: 'text', content }]`): their text, else compact JSON. */
function partsText(parts: unknown): string {
  if (Array.isArray(parts) && parts.every((p) => typeof p === 'object' && p !== null)) {
    const texts = parts.map((p) => {
      const part = p as Record<string, unknown>;
      return part.type === 'text' && typeof part.content === 'string' ? part.content : JSON.stringify(part);
    });
    return texts.join(' ');
  }
  return JSON.stringify(parts);
}

/** An attribute value as readable text: chat messages one per line, other JSON pretty-printed; huge values cut with a note. */
export function contentText(value: unknown, maxChars = 20_000): string | null {
  if (value === undefined || value === null || value === '') return null;
  let text: string;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    parsed = undefined;
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        parsed = JSON.parse(trimmed);
      } catch {
        // Not JSON after all: shown as it is.
      }
    }
  }
  if (parsed === undefined) text = String(value);
  else text = messagesText(parsed) ?? JSON.stringify(parsed, null, 2) ?? String(value);
  return text.length > maxChars
    ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)`
    : text;
}

function firstContent(attributes: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const k of keys) {
    const text = contentText(attributes[k]);
    if (text !== null) return text;
  }
  return null;
}

/** The run below `rootSpanId` as steps in tree order (children by start time); empty when the root is absent. */
export function runSteps<S extends RunSpanInput>(spans: readonly S[], rootSpanId: string): Array<RunStep<S>> {
  const rows = layoutWaterfall(spans).rows;
  const at = rows.findIndex((r) => r.span.spanId === rootSpanId);
  if (at < 0) return [];
  const rootDepth = rows[at]!.depth;
  const steps: Array<RunStep<S>> = [];
  // Depth-first order: the subtree is the rows after the root until depth returns to the root's.
  for (let i = at; i < rows.length; i++) {
    const row = rows[i]!;
    if (i > at && row.depth <= rootDepth) break;
    steps.push({
      span: row.span,
      kind: stepKind(row.span),
      depth: row.depth - rootDepth,
      input: firstContent(row.span.attributes, INPUT_KEYS),
      output: firstContent(row.span.attributes, OUTPUT_KEYS),
    });
  }
  return steps;
}
