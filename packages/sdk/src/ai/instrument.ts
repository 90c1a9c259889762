/**
 * Where the wrappers go. `init()` patches the `create` methods on the resource classes' prototypes of
 * the `openai` and `@anthropic-ai/sdk` packages the app resolves, in both their CommonJS and ES module
 * builds (two module instances with two sets of classes), so every client, made before or after init,
 * is instrumented. `instrumentOpenAI(client)` / `instrumentAnthropic(client)` wrap one client's
 * resources instead, for what patching cannot reach (a bundled copy, a client made by another loader).
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as anthropic from './anthropic.js';
import { countInstrumentationError } from './errors.js';
import * as openai from './openai.js';
import { isWrapped, type Operation, wrapMethod } from './wrap.js';

type Method = (this: unknown, ...args: unknown[]) => unknown;
type Path = readonly string[];

/** Static class paths on each package's client class, and the operation their `create` performs. */
const OPENAI_TARGETS: ReadonlyArray<readonly [Path, Operation]> = [
  [['Chat', 'Completions'], openai.chatCompletions],
  [['Responses'], openai.responses],
  [['Embeddings'], openai.embeddings],
  [['Completions'], openai.completions],
];
const ANTHROPIC_TARGETS: ReadonlyArray<readonly [Path, Operation]> = [
  [['Messages'], anthropic.messages],
  [['Beta', 'Messages'], anthropic.messages],
];
/** The same resources on a client instance. */
const OPENAI_INSTANCE: ReadonlyArray<readonly [Path, Operation]> = [
  [['chat', 'completions'], openai.chatCompletions],
  [['responses'], openai.responses],
  [['embeddings'], openai.embeddings],
  [['completions'], openai.completions],
];
const ANTHROPIC_INSTANCE: ReadonlyArray<readonly [Path, Operation]> = [
  [['messages'], anthropic.messages],
  [['beta', 'messages'], anthropic.messages],
];

function dig(root: unknown, keys: Path): unknown {
  let value = root;
  for (const key of keys) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Replaces `holder.create` (a prototype's, or one resource object's) by its wrapper unless it already is
 * one. True when something was patched.
 */
function wrapCreate(holder: unknown, op: Operation): boolean {
  if (holder === null || typeof holder !== 'object') return false;
  const h = holder as { create?: unknown };
  if (typeof h.create !== 'function' || isWrapped(h.create)) return false;
  // Defined like the class method it replaces: writable, configurable, not enumerable.
  Object.defineProperty(h, 'create', {
    value: wrapMethod(h.create as Method, op),
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return true;
}

function patchModule(
  mod: unknown,
  exportName: string,
  targets: ReadonlyArray<readonly [Path, Operation]>,
): number {
  const m = mod as Record<string, unknown> | undefined;
  const clientClass = m?.[exportName] ?? m?.default;
  let patched = 0;
  for (const [keys, op] of targets) {
    const cls = dig(clientClass, keys);
    if (typeof cls === 'function' && wrapCreate(cls.prototype, op)) patched++;
  }
  return patched;
}

const PACKAGES = [
  { name: 'openai', exportName: 'OpenAI', targets: OPENAI_TARGETS },
  { name: '@anthropic-ai/sdk', exportName: 'Anthropic', targets: ANTHROPIC_TARGETS },
] as const;

/** Where the app resolves packages from: its entry script's directory, then the working directory. */
function appRequires(): NodeJS.Require[] {
  const bases = new Set<string>();
  const entry = process.argv[1];
  if (typeof entry === 'string' && entry !== '') bases.add(path.dirname(path.resolve(entry)));
  bases.add(process.cwd());
  return [...bases].map((dir) => createRequire(path.join(dir, 'noop.js')));
}

let pending: Promise<void> = Promise.resolve();

/**
 * Patches every resolvable copy of the two packages. CommonJS builds are patched at once; ES module
 * builds are loaded with import(), so they are patched a few ticks later (`aiInstrumentationReady()`
 * resolves then). Never throws.
 */
export function instrumentInstalledClients(): Promise<void> {
  const loads: Array<Promise<void>> = [];
  const seen = new Set<string>();
  for (const pkg of PACKAGES) {
    for (const req of appRequires()) {
      let cjsPath: string;
      try {
        cjsPath = req.resolve(pkg.name);
      } catch {
        continue; // Not installed for this app.
      }
      if (seen.has(cjsPath)) continue;
      seen.add(cjsPath);
      try {
        patchModule(req(pkg.name), pkg.exportName, pkg.targets);
      } catch (error) {
        countInstrumentationError(`patching ${pkg.name} (CommonJS)`, error);
      }
      // The ES module build sits next to the CommonJS one (index.mjs beside index.js).
      const esmPath = cjsPath.replace(/\.js$/, '.mjs');
      if (esmPath !== cjsPath) {
        loads.push(
          import(pathToFileURL(esmPath).href).then(
            (mod: unknown) => void patchModule(mod, pkg.exportName, pkg.targets),
            (error: unknown) => countInstrumentationError(`patching ${pkg.name} (ES module)`, error),
          ),
        );
      }
    }
  }
  pending = Promise.all(loads).then(() => undefined);
  return pending;
}

/** Resolves once the ES module builds found at init are patched. Calls made before may not be traced. */
export function aiInstrumentationReady(): Promise<void> {
  return pending;
}

function instrumentInstance<T>(
  client: T,
  targets: ReadonlyArray<readonly [Path, Operation]>,
  name: string,
): T {
  try {
    // An own property on the resource object: only this client changes.
    for (const [keys, op] of targets) wrapCreate(dig(client, keys), op);
  } catch (error) {
    countInstrumentationError(`instrumenting a ${name} client`, error);
  }
  return client;
}

/** Instruments one `openai` client (chat completions, responses, embeddings, completions); returns it. */
export function instrumentOpenAI<T>(client: T): T {
  return instrumentInstance(client, OPENAI_INSTANCE, 'openai');
}

/** Instruments one `@anthropic-ai/sdk` client (messages, beta messages); returns it. */
export function instrumentAnthropic<T>(client: T): T {
  return instrumentInstance(client, ANTHROPIC_INSTANCE, 'anthropic');
}
