import { forEachLimited } from '../concurrency';
import { InvalidPayloadError } from '../github/payloads';
import { errorMessage, type Logger } from '../log/logger';
import type { Metric, MetricContext } from '../metrics/types';
import { collectMetrics, collects, listensTo } from '../pipeline/collect-metrics';
import type { MetricRecord, SignedEvent } from '../pipeline/types';
import { isSenderActivity, recordSenderActivity, type SenderLogSettings } from '../senders/log';
import { type Store, StoreRefusedError, StoreUnavailableError, type WriteResult } from '../store/types';

export interface WorkerDeps {
  metrics: readonly Metric<unknown>[];
  context: MetricContext;
  store: Store;
  logger: Logger;
  /** How many events are collected at once (their GitHub calls run concurrently). */
  concurrency?: number;
  /** Bounds of the refused-request log, which `sender::` events go to (src/senders/log.ts). */
  senderLog?: SenderLogSettings;
  /** Epoch ms (the store's clock) by which the store write must have returned (the invocation's deadline). */
  deadline?: number;
  /** Longest wait for the write budget (`WriteOptions.maxBudgetWaitMs`). */
  maxBudgetWaitMs?: number;
}

export interface FailedEvent {
  index: number;
  deliveryId: string;
  reason: string;
  /** True when retrying cannot help (the payload has the wrong shape, its records cannot be stored): park it. */
  permanent: boolean;
  /** For a transient failure: when trying again makes sense, when known (GitHub's wait, the write budget). */
  retryAfterMs?: number;
}

export interface BatchOutcome {
  records: number;
  written: number;
  unchanged: number;
  failed: FailedEvent[];
}

/** The records of one event of the batch. */
interface Group {
  index: number;
  event: SignedEvent;
  records: MetricRecord[];
}

/**
 * The worker's whole job for one batch: collect every event's records, then store them all in one write
 * (one commit for the GitHub data repository). Events whose metrics failed are reported by index so the
 * queue retries just those (SQS partial batch failure). Store failures are told apart:
 *
 * - records the store rejects up front (`WriteResult.rejected`) fail only their own events, for good;
 * - GitHub refusing the commit (`StoreRefusedError`) bisects the batch by event until the events it refuses
 *   alone are found: they are parked, every other event is stored in this invocation (when GitHub refuses
 *   every event alone, the fault is not in the events and all of them are retried);
 * - anything else (GitHub down, rate limits, the write budget, the deadline) fails every event as transient,
 *   with GitHub's or the budget's wait when known. Retrying is safe: storing is idempotent.
 */
export async function processBatch(events: readonly SignedEvent[], deps: WorkerDeps): Promise<BatchOutcome> {
  const groups: Group[] = [];
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
    // Records of an event that also failed are stored anyway: the retry finds them unchanged.
    if (result.records.length > 0) groups.push({ index, event, records: result.records });
  });
  groups.sort((a, b) => a.index - b.index);
  const records = groups.reduce((n, g) => n + g.records.length, 0);
  const outcome: BatchOutcome = { records, written: 0, unchanged: 0, failed };
  if (records === 0) return outcome;

  const failedAt = new Set(failed.map((f) => f.index));
  const fail = (group: Group, reason: string, permanent: boolean, retryAfterMs?: number) => {
    if (failedAt.has(group.index)) {
      // A collect failure is already reported; a permanent store failure makes it permanent.
      const known = failed.find((f) => f.index === group.index);
      if (known && permanent && !known.permanent) Object.assign(known, { permanent, reason });
      return;
    }
    failedAt.add(group.index);
    failed.push({
      index: group.index,
      deliveryId: group.event.deliveryId,
      reason,
      permanent,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    });
  };
  const tally = (result: WriteResult, part: readonly Group[]) => {
    outcome.written += result.written.length;
    outcome.unchanged += result.unchanged.length;
    const rejected = new Map((result.rejected ?? []).map((r) => [r.id, r.reason]));
    if (rejected.size === 0) return;
    for (const group of part) {
      const reasons = group.records.map((r) => rejected.get(r.id)).filter((r) => r !== undefined);
      if (reasons.length === 0) continue;
      const reason = `record cannot be stored: ${reasons.join('; ')}`;
      deps.logger.warn('record rejected by the store', { delivery_id: group.event.deliveryId, reason });
      fail(group, reason, true);
    }
  };

  /** Writes `part`; on a refusal, each half on its own. Returns how many groups were stored. */
  const store = async (part: readonly Group[]): Promise<number> => {
    try {
      tally(
        await deps.store.write(
          part.flatMap((g) => g.records),
          {
            ...(deps.deadline !== undefined ? { deadline: deps.deadline } : {}),
            ...(deps.maxBudgetWaitMs !== undefined ? { maxBudgetWaitMs: deps.maxBudgetWaitMs } : {}),
          },
        ),
        part,
      );
      return part.length;
    } catch (error) {
      if (error instanceof StoreRefusedError && part.length > 1) {
        const half = Math.ceil(part.length / 2);
        deps.logger.warn('store refused the batch: bisecting', { events: part.length, error: error.message });
        return (await store(part.slice(0, half))) + (await storeRest(part.slice(half)));
      }
      if (error instanceof StoreRefusedError) {
        refused.push({ group: part[0] as Group, reason: `store refused the record: ${error.message}` });
        return 0;
      }
      throw error;
    }
  };
  /** The second half of a bisection: a transient failure there fails only what was not stored yet. */
  const storeRest = async (part: readonly Group[]): Promise<number> => {
    try {
      return await store(part);
    } catch (error) {
      transient(part, error);
      return 0;
    }
  };
  const transient = (part: readonly Group[], error: unknown) => {
    const reason = `store write failed: ${errorMessage(error)}`;
    const retryAfterMs = error instanceof StoreUnavailableError ? error.retryAfterMs : undefined;
    // Events whose records were all stored before the write stopped (an earlier commit of the batch, or
    // found stored already) are done: only the others are retried.
    const settled = new Set(error instanceof StoreUnavailableError ? (error.settled ?? []) : []);
    const done = part.filter((g) => g.records.every((r) => settled.has(r.id)));
    if (done.length > 0) {
      outcome.written += done.reduce((n, g) => n + g.records.length, 0);
      part = part.filter((g) => !done.includes(g));
      if (part.length === 0) return;
    }
    deps.logger.error('store write failed', {
      events: part.length,
      error: errorMessage(error),
      ...(retryAfterMs !== undefined ? { retry_after_ms: retryAfterMs } : {}),
    });
    for (const group of part) fail(group, reason, false, retryAfterMs);
  };

  const refused: { group: Group; reason: string }[] = [];
  let stored = 0;
  try {
    stored = await store(groups);
  } catch (error) {
    transient(groups, error);
  }
  // An event GitHub refuses alone while others were stored is poison; when nothing could be stored, the
  // refusal says nothing about the events (the repository, the token): retry them all.
  for (const { group, reason } of refused) {
    if (stored > 0)
      deps.logger.warn('event isolated: its records are refused', {
        delivery_id: group.event.deliveryId,
        reason,
      });
    fail(group, reason, stored > 0);
  }
  failed.sort((a, b) => a.index - b.index);
  return outcome;
}

/** Why an accepted event made no record, for the log: it was queued, so some metric listens to its trigger. */
function whyNoRecord(event: SignedEvent, deps: WorkerDeps): string {
  const matched = deps.metrics.filter((m) => collects(m, event, deps.context.settings)).map((m) => m.name);
  if (matched.length > 0) return `${matched.join(', ')} found nothing to record in this event`;
  const listening = deps.metrics.filter((m) => listensTo(m, event.trigger)).map((m) => m.name);
  const hint = listening.includes('incident')
    ? `; incident needs one of the labels ${deps.context.settings.incidentLabels.join(', ')} (metrics.incidentLabels)`
    : '';
  return `${listening.join(', ') || 'no metric'}: its conditions beyond the trigger are not met (METRICS.md)${hint}`;
}
