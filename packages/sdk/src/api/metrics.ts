import { getClient } from '../client.js';
import { describeValue } from '../sampling/sample-rate.js';
import { nowMs } from '../trace/time.js';
import type { Attributes, MetricRecord, MetricType } from '../types.js';
import { applyBeforeSend, recordContext, sanitizeAttributes } from './record-context.js';

export interface MetricOptions {
  /** e.g. 'millisecond', 'byte', 'none'. */
  unit?: string;
  attributes?: Record<string, unknown>;
}

const NAME = /^[A-Za-z0-9_.\-/:]{1,200}$/;

function emit(type: MetricType, name: unknown, value: unknown, options: MetricOptions | undefined): void {
  try {
    const client = getClient();
    if (client === undefined || !client.options.enableMetrics || client.metricProcessors.length === 0) return;
    if (typeof name !== 'string' || !NAME.test(name)) {
      client.debugWarn(`metrics.${type}: invalid name ${describeValue(name)}; dropped`);
      client.recordDroppedEvent('invalid_data', 'trace_metric', 1);
      return;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      client.debugWarn(
        `metrics.${type}("${name}"): value must be a finite number, got ${describeValue(value)}; dropped`,
      );
      client.recordDroppedEvent('invalid_data', 'trace_metric', 1);
      return;
    }
    const attributes: Attributes = {};
    if (
      options !== null &&
      typeof options === 'object' &&
      sanitizeAttributes(options.attributes, attributes) > 0
    ) {
      client.debugWarn(
        `metrics.${type}("${name}"): some attributes were not primitives and were serialised or left out`,
      );
    }
    const unit = typeof options?.unit === 'string' ? options.unit : undefined;
    const { traceId, spanId } = recordContext();
    const record: MetricRecord = {
      timestamp: nowMs(),
      name,
      type,
      value,
      unit,
      traceId,
      spanId,
      attributes,
    };
    const final = applyBeforeSend(
      client,
      client.options.beforeSendMetric,
      record,
      'beforeSendMetric',
      'trace_metric',
    );
    if (final !== null) client.emitMetric(final);
  } catch (error) {
    getClient()?.debugWarn(`metrics.${type} failed: ${String(error)}`);
  }
}

/**
 * Counters, gauges and distributions, sent whatever the trace sampling decided, stamped with the active
 * trace and span. Each call is one measurement; the server aggregates. `enableMetrics: false` turns them off.
 */
export const metrics = {
  count: (name: string, value = 1, options?: MetricOptions) => emit('counter', name, value, options),
  gauge: (name: string, value: number, options?: MetricOptions) => emit('gauge', name, value, options),
  distribution: (name: string, value: number, options?: MetricOptions) =>
    emit('distribution', name, value, options),
};
