export {
  type AgentRunOptions,
  recordHandoff,
  startAgentRun,
  startToolCall,
  type ToolCallOptions,
} from './agents.js';
export { type CallMeasurement, logAttributes, type MetricPoint, measurementPoints } from './call.js';
export { MAX_CONTENT_CHARS, MAX_PART_CHARS } from './content.js';
export { aiInstrumentationErrors } from './errors.js';
export { aiInstrumentationReady, instrumentAnthropic, instrumentOpenAI } from './instrument.js';
export {
  type CostEstimate,
  DEFAULT_PRICES,
  estimateCost,
  findPrice,
  type ModelPrice,
  PRICES_AS_OF,
  type PriceTable,
  type TokenUsage,
  validatePriceTable,
} from './prices.js';
