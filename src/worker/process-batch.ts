import { forEachLimited } from '../concurrency';
import { InvalidPayloadError } from '../github/payloads';
import { errorMessage, type Logger } from '../log/logger';
import type { Metric, MetricContext } from '../metrics/types';
import { collectMetrics, collects } from '../pipeline/collect-metrics';
import type { MetricRecord, SignedEvent } from '../pipeline/types';
import { isSenderActivity, recordSenderActivity, type SenderLogSettings } from '../senders/log';
import type { Store } from '../store/types';

export interface WorkerDeps {
  metrics: readonly Metric<unknown>[];
  context: MetricContext;
  store: Store;
  logger: Logger;
  /** How many events are collected at once (their GitHub calls run concurrently). */
  concurrency?: number;
  /** Bounds of the refused-request log, which `sender::` events go to (src/senders/log.ts). */
  senderLog?: SenderLogSettings;
}

export interface FailedEvent {
  index: number;
  deliveryId: string;
  reason: string;
  /** True when retrying cannot help (the payload has the wrong shape): park it in the dead-letter path. */
  permanent: boolean;
}

export interface BatchOutcome {
  records: number;
  written: number;
  unchanged: number;
  failed: FailedEvent[];
}

/**
 * The worker's whole job for one batch: collect every event's records, then store them all in one write
 * (one commit for the GitHub data repository). Events whose metrics failed are reported by index so the
 * queue retries just those (SQS partial batch failure). When the store write fails every event is failed:
 * the retry is safe because storing is idempotent.
 */
export async function processBatch(events: readonly SignedEvent[], deps: WorkerDeps): Promise<BatchOutcome> {
  const records: MetricRecord[] = [];
  const failed: FailedEvent[] = [];
  // Events about senders (a refused push, a count of unauthenticated ones) go to the sender log, not metrics.
  const activity = events.flatMap((event, index) => (isSenderActivity(event) ? [{ event, index }] : []));
  if (activity.length > 0) {
    try {
      await recordSenderActivity(
        deps.store,
        activity.map((a) => a.event),
        deps.senderLog,
        deps.context.now(),
      );
    } catch (error) {
      const reason = `sender log write failed: ${errorMessage(error)}`;
      deps.logger.error('sender log write failed', { events: activity.length, error: errorMessage(error) });
      for (const { event, index } of activity)
        failed.push({ index, deliveryId: event.deliveryId, reason, permanent: false });
    }
  }
  await forEachLimited(events, deps.concurrency ?? 8, async (event, index) => {
    if (isSenderActivity(event)) return;
    const result = await collectMetrics(event, deps.metrics, deps.context);
    records.push(...result.records);
    if (result.skipped) {
      deps.logger.info('event skipped', {
        delivery_id: event.deliveryId,
        trigger: event.trigger,
        reason: result.skipped,
      });
    } else if (result.records.length === 0 && result.failures.length === 0) {
      deps.logger.info('no record', {
        delivery_id: event.deliveryId,
        trigger: event.trigger,
        reason: whyNoRecord(event, deps),
      });
    }
    if (result.failures.length > 0) {
      const permanent = result.failures.every((f) => f.error instanceof InvalidPayloadError);
      const reason = result.failures.map((f) => `${f.metric}: ${f.message}`).join('; ');
      failed.push({ index, deliveryId: event.deliveryId, reason, permanent });
      deps.logger.warn('collect failed', {
        delivery_id: event.deliveryId,
        trigger: event.trigger,
        reason,
        permanent,
      });
    }
  });

  if (records.length === 0) return { records: 0, written: 0, unchanged: 0, failed };
  try {
    const written = await deps.store.write(records);
    return {
      records: records.length,
      written: written.written.length,
      unchanged: written.unchanged.length,
      failed,
    };
  } catch (error) {
    const reason = `store write failed: ${errorMessage(error)}`;
    deps.logger.error('store write failed', { records: records.length, error: errorMessage(error) });
    const collectFailures = new Map(failed.map((f) => [f.index, f]));
    return {
      records: records.length,
      written: 0,
      unchanged: 0,
      failed: events.map(
        (event, index) =>
          collectFailures.get(index) ?? { index, deliveryId: event.deliveryId, reason, permanent: false },
      ),
    };
  }
}

/** Why an accepted event made no record, for the log: it was queued, so some metric listens to its trigger. */
function whyNoRecord(event: SignedEvent, deps: WorkerDeps): string {
  const matched = deps.metrics.filter((m) => collects(m, event, deps.context.settings)).map((m) => m.name);
  if (matched.length > 0) return `${matched.join(', ')} found nothing to record in this event`;
  const listening = deps.metrics
    .filter((m) => m.triggers.some((t) => t === event.trigger || event.trigger.startsWith(`${t}.`)))
    .map((m) => m.name);
  const hint = listening.includes('incident')
    ? `; incident needs one of the labels ${deps.context.settings.incidentLabels.join(', ')} (metrics.incidentLabels)`
    : '';
  return `${listening.join(', ') || 'no metric'}: its conditions beyond the trigger are not met (METRICS.md)${hint}`;
}
