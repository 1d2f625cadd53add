import { errorMessage } from '../log/logger';
import { isIgnoredRepository, type MetricSettings } from '../metrics/settings';
import type { Metric, MetricContext } from '../metrics/types';
import { buildRecord } from './record';
import type { MetricRecord, SignedEvent } from './types';

export interface CollectResult {
  records: MetricRecord[];
  /** Metrics that threw (not enrichment failures, which make partial records): the event must be retried. */
  failures: { metric: string; error: unknown; message: string }[];
  /** Why no metric ran, when the event was skipped as a whole (its repository is ignored). */
  skipped?: string;
}

/**
 * The repository a GitHub delivery or a scheduled job's event is about: `repository` as GitHub sends it, or
 * as a job writes it (`"owner/name"`, `{owner, name}`). Pushes are left out: another system chose to report
 * them.
 */
export function eventRepository(event: SignedEvent): { owner: string; name: string } | null {
  if (event.source === 'push') return null;
  const repository = event.payload.repository as unknown;
  if (typeof repository === 'string') {
    const [owner, name] = repository.split('/');
    return owner && name ? { owner, name } : null;
  }
  if (!repository || typeof repository !== 'object') return null;
  const { owner, name } = repository as { owner?: unknown; name?: unknown };
  const login = typeof owner === 'string' ? owner : (owner as { login?: unknown } | null)?.login;
  return typeof login === 'string' && typeof name === 'string' ? { owner: login, name } : null;
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
  const repository = eventRepository(event);
  if (repository && isIgnoredRepository(ctx.settings, repository.owner, repository.name)) {
    return {
      records: [],
      failures: [],
      skipped: `${repository.owner}/${repository.name} is an ignored repository (metrics.ignoredRepositories, or the data repository)`,
    };
  }
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
