import type { GitHubClient } from '../../src/github/client';
import { metrics } from '../../src/metrics/registry';
import { defaultMetricSettings, type MetricSettings } from '../../src/metrics/settings';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import type { MetricRecord, SignedEvent } from '../../src/pipeline/types';

/** The time every metric test collects at, so example records in METRICS.md are stable. */
export const COLLECTED_AT = '2026-11-01T12:00:00.250Z';

/**
 * Runs `event` through collectMetrics with the real registry (as the worker does) and returns the records of
 * `metric`. Failures of any metric fail the test: a metric must never throw on a real payload.
 */
export async function collectRecords<O = Record<string, unknown>>(
  event: SignedEvent,
  metric: string,
  options: { github?: GitHubClient; settings?: Partial<MetricSettings> } = {},
): Promise<MetricRecord<O>[]> {
  const result = await collectMetrics(event, metrics, {
    ...(options.github ? { github: options.github } : {}),
    settings: { ...defaultMetricSettings, ...options.settings },
    now: () => new Date(COLLECTED_AT),
  });
  if (result.failures.length > 0) {
    throw new Error(`metrics failed: ${result.failures.map((f) => `${f.metric}: ${f.message}`).join('; ')}`);
  }
  return result.records.filter((r) => r.metric === metric) as MetricRecord<O>[];
}
