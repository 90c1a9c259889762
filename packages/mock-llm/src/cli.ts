// `mock-llm --port 4010`: runs the mock server by hand until Ctrl-C.
import { parseArgs } from 'node:util';
import { startMockLlm } from './server.js';

const USAGE = `usage: mock-llm [--port 4010] [--host 127.0.0.1] [--latency-ms 0] [--chunk-delay-ms 0] [--error-rate 0] [--seed 1] [--exit-with-stdin]`;

function numberOption(
  values: Record<string, string | boolean | undefined>,
  name: string,
): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw === '' || !Number.isFinite(value) || value < 0) {
    throw new Error(`--${name} needs a non-negative number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export async function main(argv: string[]): Promise<number> {
  let options: Parameters<typeof startMockLlm>[0];
  let exitWithStdin = false;
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        'latency-ms': { type: 'string' },
        'chunk-delay-ms': { type: 'string' },
        'error-rate': { type: 'string' },
        seed: { type: 'string' },
        'exit-with-stdin': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    exitWithStdin = values['exit-with-stdin'] === true;
    if (values.help === true) {
      console.log(USAGE);
      return 0;
    }
    options = {
      port: numberOption(values, 'port') ?? 4010,
      host: values.host,
      latencyMs: numberOption(values, 'latency-ms'),
      chunkDelayMs: numberOption(values, 'chunk-delay-ms'),
      errorRate: numberOption(values, 'error-rate'),
      seed: numberOption(values, 'seed'),
    };
  } catch (error) {
    console.error(`mock-llm: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  let mock: Awaited<ReturnType<typeof startMockLlm>>;
  try {
    mock = await startMockLlm(options);
  } catch (error) {
    console.error(`mock-llm: cannot start: ${(error as Error).message}`);
    return 1;
  }
  console.log(`mock LLM listening on ${mock.url}`);
  console.log(`  OpenAI:    baseURL ${mock.openaiBaseURL}`);
  console.log(`  Anthropic: baseURL ${mock.anthropicBaseURL}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // A parent that dies without stopping us closes our stdin: no orphaned mock.
    if (exitWithStdin) process.stdin.on('end', stop).on('close', stop).resume();
  });
  // A stdin still read would keep this process alive after the server closed.
  if (exitWithStdin) process.stdin.destroy();
  const billed = mock.billed();
  await mock.close();
  console.log(
    `billed ${billed.calls} calls: ${billed.inputTokens} input, ${billed.outputTokens} output, ${billed.cachedTokens} cached tokens`,
  );
  return 0;
}
