import { parsePayload } from '../../github/payloads';
import type { MetricDraft } from '../../pipeline/record';
import { incidentItem, splitRepository } from '../../push/kinds';
import { durationMs, toUtcIso } from '../../time';
import { pushSender } from '../push-deployment';
import { RETRACT_TRIGGER, retracts, tombstones } from '../retraction';
import type { Metric } from '../types';
import type { PushIncidentOutput } from './output';

export const pushIncident: Metric<PushIncidentOutput> = {
  name: 'push-incident',
  description:
    'Incidents pushed by another system (X-Telemetry-Event: incident): an `opened` record, and a `resolved` one once resolved_at is known.',
  triggers: ['push::incident', RETRACT_TRIGGER],
  matches: (event) => event.trigger !== RETRACT_TRIGGER || retracts(event, 'incident'),
  permissions: {},
  async collect(event) {
    if (event.trigger === RETRACT_TRIGGER)
      return tombstones(event, (id) => [
        `${event.sender}\n${id}\nopened`,
        `${event.sender}\n${id}\nresolved`,
      ]);
    const sender = pushSender(event);
    const item = parsePayload(incidentItem, event.payload, 'pushed incident');
    const { owner, repo } = splitRepository(item.repository);
    const openedAt = toUtcIso(item.opened_at);
    const resolvedAt = item.resolved_at ? toUtcIso(item.resolved_at) : null;
    const output = (event: 'opened' | 'resolved'): PushIncidentOutput => ({
      sender,
      id: item.id,
      event,
      opened_at: openedAt,
      resolved_at: event === 'resolved' ? resolvedAt : null,
      time_to_restore_ms: event === 'resolved' ? durationMs(openedAt, resolvedAt) : null,
      severity: item.severity ?? null,
      title: item.title ?? null,
      service: item.service ?? null,
      sha: item.sha?.toLowerCase() ?? null,
      deployment_id: item.deployment_id ?? null,
      url: item.url ?? null,
    });
    // The opened record never carries the resolution, so it is the same whether the sender pushed the
    // incident first open and later resolved, or only once already resolved (like GitHub's incident metric).
    const drafts: MetricDraft<PushIncidentOutput>[] = [
      {
        naturalKey: `${sender}\n${item.id}\nopened`,
        owner,
        repo,
        occurredAt: openedAt,
        output: output('opened'),
      },
    ];
    if (resolvedAt) {
      drafts.push({
        naturalKey: `${sender}\n${item.id}\nresolved`,
        owner,
        repo,
        occurredAt: resolvedAt,
        output: output('resolved'),
      });
    }
    return drafts;
  },
};
