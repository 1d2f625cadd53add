import { parsePayload } from '../../github/payloads';
import { customMetricItem, splitRepository } from '../../push/kinds';
import { toUtcIso } from '../../time';
import { pushSender } from '../push-deployment';
import { RETRACT_TRIGGER, retracts, tombstones } from '../retraction';
import type { Metric } from '../types';
import type { CustomMetricOutput } from './output';

/** owner and repo of a value that belongs to no repository. */
export const NO_REPOSITORY = '_';

export const customMetric: Metric<CustomMetricOutput> = {
  name: 'custom-metric',
  description: 'One record per value pushed by another system (X-Telemetry-Event: custom-metric).',
  triggers: ['push::custom-metric', RETRACT_TRIGGER],
  matches: (event) => event.trigger !== RETRACT_TRIGGER || retracts(event, 'custom-metric'),
  permissions: {},
  async collect(event) {
    if (event.trigger === RETRACT_TRIGGER) return tombstones(event, (id) => [`${event.sender}\n${id}`]);
    const sender = pushSender(event);
    const item = parsePayload(customMetricItem, event.payload, 'pushed custom metric');
    const { owner, repo } = item.repository
      ? splitRepository(item.repository)
      : { owner: NO_REPOSITORY, repo: NO_REPOSITORY };
    const observedAt = toUtcIso(item.observed_at);
    // Sorted keys make the file independent of the order the sender wrote them in.
    const dimensions: Record<string, string> = {};
    for (const key of Object.keys(item.dimensions ?? {}).sort()) {
      dimensions[key] = item.dimensions?.[key] as string;
    }
    return [
      {
        naturalKey: `${sender}\n${item.id}`,
        owner,
        repo,
        occurredAt: observedAt,
        output: {
          sender,
          id: item.id,
          name: item.name,
          value: item.value,
          unit: item.unit,
          observed_at: observedAt,
          repository: item.repository ?? null,
          dimensions,
        },
      },
    ];
  },
};
