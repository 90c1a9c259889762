export type { Billed, Operation, Provider, Totals } from './ledger.js';
export { parseMarkers, stripMarkers } from './markers.js';
export { type MockLlmProcess, spawnMockLlm } from './process.js';
export type { MockLlm, MockLlmOptions } from './server.js';
export { startMockLlm } from './server.js';
export { countTokens, seededRandom } from './tokens.js';
