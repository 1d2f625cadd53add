import { errorMessage } from '../log/logger';
import type { MetricSettings } from '../metrics/settings';
import type { Metric, MetricContext } from '../metrics/types';
import { buildRecord } from './record';
import type { MetricRecord, SignedEvent } from './types';

export interface CollectResult {
  records: MetricRecord[];
  /** Metrics that threw (not enrichment failures, which make partial records): the event must be retried. */
  failures: { metric: string; error: unknown; message: string }[];
}

/** A metric's whole condition: one of its triggers (a trigger also covers its actions), then `matches`. */
export function collects(metric: Metric<unknown>, event: SignedEvent, settings: MetricSettings): boolean {
  return (
    metric.triggers.some((t) => t === event.trigger || event.trigger.startsWith(`${t}.`)) &&
    (metric.matches?.(event, settings) ?? true)
  );
}

/**
 * Runs every metric whose condition matches. Metrics run concurrently and independently: one metric's
 * failure never drops another's record. Enrichment failures inside a metric make `partial` records.
 */
export async function collectMetrics(
  event: SignedEvent,
  metrics: readonly Metric<unknown>[],
  ctx: MetricContext,
): Promise<CollectResult> {
  const matching = metrics.filter((metric) => collects(metric, event, ctx.settings));
  const eventCtx: MetricContext = { ...ctx, memo: new Map() };
  const results = await Promise.allSettled(matching.map((metric) => metric.collect(event, eventCtx)));
  const collectedAt = ctx.now().toISOString();
  const out: CollectResult = { records: [], failures: [] };
  results.forEach((result, i) => {
    const metric = matching[i] as Metric<unknown>;
    if (result.status === 'fulfilled') {
      for (const draft of result.value) {
        out.records.push(buildRecord(metric.name, event, draft, collectedAt) as MetricRecord);
      }
    } else {
      out.failures.push({ metric: metric.name, error: result.reason, message: errorMessage(result.reason) });
    }
  });
  return out;
}
