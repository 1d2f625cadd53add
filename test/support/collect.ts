import { metrics } from '../../src/metrics/registry';
import { defaultMetricSettings } from '../../src/metrics/settings';
import type { MetricContext } from '../../src/metrics/types';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import type { MetricRecord, SignedEvent } from '../../src/pipeline/types';

/** The fixed clock of metric tests, so example records in METRICS.md are stable. */
export const COLLECTED_AT = '2026-11-01T12:00:00.250Z';

export function testContext(overrides: Partial<MetricContext> = {}): MetricContext {
  return { settings: defaultMetricSettings, now: () => new Date(COLLECTED_AT), ...overrides };
}

/** Runs the real registry over one event; fails the test if any metric threw. */
export async function collectAll(
  event: SignedEvent,
  ctx: MetricContext = testContext(),
): Promise<MetricRecord[]> {
  const result = await collectMetrics(event, metrics, ctx);
  if (result.failures.length > 0)
    throw new Error(result.failures.map((f) => `${f.metric}: ${f.message}`).join('; '));
  return result.records;
}
