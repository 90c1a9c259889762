/** `sieve serve --tail-sampling`: bad policy files stop the start; kill -9 loses no acknowledged span. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, resolveConfig } from '../src/config.js';
import { incompleteTraces, runCli, sendThenKill9, startCli, stopCli } from './cli-helpers.js';
import { PUBLIC_KEY, tempDir } from './helpers.js';

async function policyFile(text: string, name = 'policy.json'): Promise<string> {
  const file = join(await tempDir(), name);
  await writeFile(file, text);
  return file;
}

describe('a bad policy file stops the start with its file, line and field', () => {
  const cases: Array<{ name: string; text: string; want: RegExp }> = [
    {
      name: 'not JSON',
      text: '{\n  "policies": [\n    {"type": "error"}\n  ]\n',
      want: /:5:1: invalid JSON/,
    },
    {
      name: 'trailing comma',
      text: '{\n  "policies": [\n    {"type": "error"},\n  ]\n}',
      want: /:4:3: invalid JSON/,
    },
    { name: 'empty file', text: '', want: /:1:1: .*empty/ },
    {
      name: 'no policies',
      text: '{\n  "decisionWaitMs": 100\n}',
      want: /:1:1: field "\(top level\)" needs the field "policies"/,
    },
    {
      name: 'empty policy list',
      text: '{\n  "policies": []\n}',
      want: /:2:3: field "policies" must NOT have fewer than 1 items/,
    },
    {
      name: 'unknown policy type',
      text: '{\n  "policies": [\n    {"type": "error"},\n    {"type": "errors"}\n  ]\n}',
      want: /:4:6: field "policies\[1\]\.type" "errors" is not a policy type/,
    },
    {
      name: 'rate out of range',
      text: '{\n  "policies": [\n    {\n      "type": "probabilistic",\n      "rate": 10\n    }\n  ]\n}',
      want: /:5:7: field "policies\[0\]\.rate" must be <= 1/,
    },
    {
      name: 'unknown field',
      text: '{\n  "policies": [\n    {"type": "duration", "minMs": 5, "maxMs": 9}\n  ]\n}',
      want: /:3:38: field "policies\[0\]\.maxMs" is not a known field here/,
    },
    {
      name: 'missing field in a nested policy',
      text: '{\n  "policies": [\n    {"type": "and", "policies": [\n      {"type": "rate_limit"}\n    ]}\n  ]\n}',
      want: /:4:7: field "policies\[0\]\.policies\[0\]" needs the field "tracesPerSecond"/,
    },
    {
      name: 'bad regex',
      text: '{\n  "policies": [\n    {"type": "attribute", "key": "http.route",\n     "regex": "(["}\n  ]\n}',
      want: /:4:6: field "policies\[0\]\.regex" is not a valid regular expression/,
    },
    {
      name: 'two matchers',
      text: '{\n  "policies": [\n    {"type": "attribute", "key": "a", "equals": 1, "min": 0}\n  ]\n}',
      want: /:3:5: field "policies\[0\]" an attribute policy needs exactly one of/,
    },
    {
      name: 'weighted shares above 1',
      text: '{"policies": [{"type": "weighted", "tracesPerSecond": 5, "policies": [\n {"share": 0.7, "policy": {"type": "error"}},\n {"share": 0.7, "policy": {"type": "always"}}]}]}',
      want: /:1:58: field "policies\[0\]\.policies" shares add up to 1\.4/,
    },
    {
      name: 'bad bound',
      text: '{"maxTraces": 0, "policies": [{"type": "error"}]}',
      want: /:1:2: field "maxTraces" must be >= 1/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const file = await policyFile(c.text);
      await assert.rejects(resolveConfig(['--tail-sampling', file], {}), (error: Error) => {
        assert.ok(error instanceof ConfigError, String(error));
        assert.ok(error.message.startsWith(`tail-sampling policy file ${file}:`), error.message);
        assert.match(error.message, c.want);
        return true;
      });
    });
  }

  test('a missing file is named', async () => {
    await assert.rejects(
      resolveConfig([], { SIEVE_TAIL_SAMPLING: '/nonexistent/policy.json' }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /\/nonexistent\/policy\.json: cannot be read/);
        return true;
      },
    );
  });

  test('sieve serve exits 2 with the message; --help documents the flag', async () => {
    const file = await policyFile('{\n  "policies": [\n    {"type": "sometimes"}\n  ]\n}', 'bad.json');
    const bad = await runCli(['serve', '--port', '0', '--data-dir', await tempDir()], {
      SIEVE_TAIL_SAMPLING: file,
    });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.json:3:6: field "policies\[0\]\.type" "sometimes" is not a policy type/);
    const help = await runCli(['--help']);
    assert.match(help.stdout, /--tail-sampling <file>/);
    assert.match(help.stdout, /SIEVE_TAIL_SAMPLING/);
  });
});

test('kill -9 with undecided traces held: every acknowledged span is stored after the restart', async () => {
  const dataDir = await tempDir();
  // First run: nothing is decided (a long wait), so every acknowledged span is only held.
  const holding = await policyFile(
    '{"decisionWaitMs": 3600000, "maxTraceWaitMs": 3600000, "policies": [{"type": "always"}]}',
  );
  const deciding = await policyFile('{"decisionWaitMs": 50, "policies": [{"type": "always"}]}');
  const server = await startCli([
    '--data-dir',
    dataDir,
    '--public-key',
    PUBLIC_KEY,
    '--tail-sampling',
    holding,
  ]);
  const acknowledged = await sendThenKill9(server, PUBLIC_KEY, {
    minAcknowledged: 100,
    idSuffix: 'b',
    beforeKill: async () => {
      assert.match(
        server.output(),
        /Tail sampling: \S+policy\.json \(1 policy, decided 3600000 ms after the root\)/,
      );
      const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
        tailSampling: { heldTraces: number };
      };
      assert.ok(health.tailSampling.heldTraces >= 100, 'the spans are held, not stored');
    },
  });

  const restarted = await startCli([
    '--data-dir',
    dataDir,
    '--public-key',
    PUBLIC_KEY,
    '--tail-sampling',
    deciding,
  ]);
  try {
    // Held again on start, decided 50 ms later.
    let missing = acknowledged;
    const deadline = Date.now() + 20_000;
    while (missing.length > 0 && Date.now() < deadline) {
      missing = await incompleteTraces(restarted.url, missing);
      if (missing.length > 0) await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${acknowledged.length} acknowledged traces incomplete after kill -9`,
    );
  } finally {
    await stopCli(restarted);
  }
});
