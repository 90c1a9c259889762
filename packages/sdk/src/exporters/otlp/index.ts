export type { ResourceOptions as OtlpResourceOptions } from './common.js';
export { otlpResource } from './common.js';
export { OtlpExporter, type OtlpExporterOptions, type OtlpSignal, otlpExporter } from './exporter.js';
export { logsToOtlp } from './logs.js';
export {
  type MetricsConversionOptions as OtlpMetricsConversionOptions,
  metricsToOtlp,
  OTLP_HISTOGRAM_BOUNDS,
  type OtlpHistogramBounds,
} from './metrics.js';
export { spansToOtlp } from './spans.js';
export type {
  ExportLogsServiceRequest,
  ExportMetricsServiceRequest,
  ExportTraceServiceRequest,
  OtlpAnyValue,
  OtlpKeyValue,
  OtlpResource,
} from './types.js';
