import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SignedEvent } from '../../src/pipeline/types';
import { REFUSED_TRIGGER, type RefusedRequest } from '../../src/push/activity';
import { SENDER_METRICS } from './environment';

/** Publishes `RefusedItems` for one sender now, as one EMF line in the function's log (no API call). */
export type RefusedItemsMetric = (sender: string, items: number) => void;

export function refusedItemsMetric(
  metrics: Metrics = new Metrics({
    namespace: SENDER_METRICS.namespace,
    serviceName: SENDER_METRICS.service,
  }),
): RefusedItemsMetric {
  return (sender, items) => {
    const single = metrics.singleMetric();
    single.addDimension(SENDER_METRICS.senderDimension, sender);
    single.addMetric(SENDER_METRICS.refusedItems, MetricUnit.Count, items);
  };
}

/**
 * Wraps the queue's `send` so every refusal the push handler sends to the sender log (`sender::refused`)
 * is also counted in CloudWatch, before it is queued: the metric does not depend on the queue. A request
 * refused as a whole counts one item when it listed none. Only authenticated senders reach this (an
 * unauthenticated request is never logged), so the dimension cannot be flooded with made-up names.
 */
export function countingRefusals(
  send: (events: SignedEvent[]) => Promise<void>,
  metric: RefusedItemsMetric,
): (events: SignedEvent[]) => Promise<void> {
  return (events) => {
    for (const event of events) {
      if (event.trigger !== REFUSED_TRIGGER || !event.sender) continue;
      const entry = event.payload as unknown as RefusedRequest;
      metric(event.sender, Math.max(entry.items?.refused ?? 0, 1));
    }
    return send(events);
  };
}
