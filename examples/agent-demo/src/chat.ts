// /api/chat: one LLM call, in one of four shapes so every instrumented path sees traffic.
import type Anthropic from '@anthropic-ai/sdk';
import type OpenAI from 'openai';

export const CHAT_VARIANTS = [
  'openai-chat',
  'openai-chat-stream',
  'openai-responses',
  'anthropic-stream',
] as const;
export type ChatVariant = (typeof CHAT_VARIANTS)[number];

export const CHAT_MODELS: Record<ChatVariant, string> = {
  'openai-chat': 'gpt-4.1',
  'openai-chat-stream': 'gpt-4.1-mini',
  'openai-responses': 'o4-mini',
  'anthropic-stream': 'claude-sonnet-4-6',
};

const SYSTEM = 'You are a friendly shopping assistant. Keep answers short and suggest one next step.';

/** Answers `message`; `write` receives text as it streams (for streamed variants) or once. */
export async function chatOnce(
  clients: { openai: OpenAI; anthropic: Anthropic },
  variant: ChatVariant,
  message: string,
  write: (text: string) => void,
): Promise<void> {
  const model = CHAT_MODELS[variant];
  switch (variant) {
    case 'openai-chat': {
      const completion = await clients.openai.chat.completions.create({
        model,
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: message },
        ],
      });
      write(completion.choices[0]?.message.content ?? '');
      return;
    }
    case 'openai-chat-stream': {
      const stream = await clients.openai.chat.completions.create({
        model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [
          { role: 'system', content: SYSTEM },
          { role: 'user', content: message },
        ],
      });
      for await (const chunk of stream) {
        const delta = chunk.choices[0]?.delta.content;
        if (delta) write(delta);
      }
      return;
    }
    case 'openai-responses': {
      const response = await clients.openai.responses.create({ model, instructions: SYSTEM, input: message });
      write(response.output_text);
      return;
    }
    case 'anthropic-stream': {
      const stream = clients.anthropic.messages.stream({
        model,
        max_tokens: 400,
        system: SYSTEM,
        messages: [{ role: 'user', content: message }],
      });
      stream.on('text', write);
      await stream.finalMessage();
      return;
    }
  }
}
