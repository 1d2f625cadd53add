/**
 * What the worker does with a message whose event failed for a reason that passes (GitHub down, rate
 * limits, the write budget spent, the deadline): never the dead-letter queue while the event is younger than
 * the queue's retention. SQS counts every receive and dead-letters a message at `maxReceiveCount`, whatever
 * the reason, so the worker
 *
 * - retries it through its visibility (`retry`): it comes back after `delayMs` (GitHub's wait or the write
 *   budget's, as they are, else a backoff of 1, 2, 4 … minutes over all its receives and copies, at most `maxDelayMs` so
 *   that it is tried again within that time once GitHub is back);
 * - before the receive that SQS would dead-letter, sends it again as a new message (`requeue`): its receive
 *   count starts over and it waits `delayMs` (SQS delays at most 15 minutes) before it is visible;
 * - parks it (`park`) only when it has kept failing for longer than the queue keeps messages.
 *
 * docs/ARCHITECTURE.md ("Outages and the dead-letter queue") has the arithmetic.
 */
export interface RetryPolicySettings {
  /** The queue's redrive `maxReceiveCount`. */
  maxReceiveCount: number;
  /** The queue's message retention: an event failing longer than this is parked. */
  retentionMs: number;
  /** Longest time a failed message waits before it is tried again (default 15 minutes). */
  maxDelayMs?: number;
}

export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'requeue'; delayMs: number }
  | { action: 'park'; reason: string };

/** The shortest wait before a retry when nobody said how long to wait. */
export const MIN_RETRY_DELAY_MS = 30_000;
/** The shortest wait when GitHub or the write budget said how long (SQS counts visibility in seconds). */
export const MIN_KNOWN_DELAY_MS = 1_000;
export const DEFAULT_MAX_RETRY_DELAY_MS = 15 * 60_000;
/** SQS `DelaySeconds` allows at most 15 minutes. */
export const MAX_SQS_DELAY_MS = 15 * 60_000;

export function decideRetry(
  failure: {
    /** SQS `ApproximateReceiveCount` of this receive (1 on the first). */
    receiveCount: number;
    /** How often the message was sent again already (its earlier copies' receives count for the backoff). */
    requeues?: number;
    /** How long ago the event was first received by the collector. */
    ageMs: number;
    retryAfterMs?: number;
  },
  settings: RetryPolicySettings,
): RetryDecision {
  if (failure.ageMs > settings.retentionMs)
    return {
      action: 'park',
      reason: `kept failing for ${Math.round(failure.ageMs / 3_600_000)} h, longer than the queue keeps messages`,
    };
  const maxDelay = settings.maxDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const attempt = (failure.requeues ?? 0) * settings.maxReceiveCount + failure.receiveCount;
  const backoff = 60_000 * 2 ** Math.min(10, Math.max(0, attempt - 1));
  // A known wait (GitHub's, the write budget's) is taken as it is: the batch comes back when it can be written.
  const delayMs =
    failure.retryAfterMs !== undefined
      ? Math.min(maxDelay, Math.max(MIN_KNOWN_DELAY_MS, failure.retryAfterMs))
      : Math.min(maxDelay, Math.max(MIN_RETRY_DELAY_MS, backoff));
  // The next receive would be number receiveCount + 1: SQS dead-letters it if that exceeds maxReceiveCount.
  if (failure.receiveCount + 1 > settings.maxReceiveCount)
    return { action: 'requeue', delayMs: Math.min(MAX_SQS_DELAY_MS, delayMs) };
  return { action: 'retry', delayMs };
}
