import { parsePayload } from '../../github/payloads';
import { DEPLOYMENT_STATUSES, deploymentItem, splitRepository } from '../../push/kinds';
import { durationMs, toUtcIso } from '../../time';
import { RETRACT_TRIGGER, retracts, tombstones } from '../retraction';
import type { Metric } from '../types';
import type { PushDeploymentOutput } from './output';

/** Sender of a push event; the push handler always sets it, a hand-made event without one is refused. */
export function pushSender(event: { sender?: string }): string {
  if (!event.sender) throw new Error('push event without a sender');
  return event.sender;
}

export const pushDeployment: Metric<PushDeploymentOutput> = {
  name: 'push-deployment',
  description: 'One record per deployment status pushed by another system (X-Telemetry-Event: deployment).',
  triggers: ['push::deployment', RETRACT_TRIGGER],
  matches: (event) => event.trigger !== RETRACT_TRIGGER || retracts(event, 'deployment'),
  permissions: {},
  async collect(event) {
    if (event.trigger === RETRACT_TRIGGER)
      return tombstones(event, (id) =>
        DEPLOYMENT_STATUSES.map((status) => `${event.sender}\n${id}\n${status}`),
      );
    const sender = pushSender(event);
    const item = parsePayload(deploymentItem, event.payload, 'pushed deployment');
    const { owner, repo } = splitRepository(item.repository);
    const startedAt = item.started_at ? toUtcIso(item.started_at) : null;
    const finishedAt = toUtcIso(item.finished_at);
    const firstCommitAt = item.first_commit_at ? toUtcIso(item.first_commit_at) : null;
    return [
      {
        // The status is part of the key, like one GitHub deployment-status record per status: an
        // in_progress report and the final one of the same deployment are two records; a resend is none.
        naturalKey: `${sender}\n${item.id}\n${item.status}`,
        owner,
        repo,
        occurredAt: finishedAt,
        output: {
          sender,
          id: item.id,
          environment: item.environment,
          sha: item.sha.toLowerCase(),
          status: item.status,
          started_at: startedAt,
          finished_at: finishedAt,
          duration_ms: durationMs(startedAt, finishedAt),
          service: item.service ?? null,
          version: item.version ?? null,
          url: item.url ?? null,
          pull_requests: item.pull_requests ?? [],
          lead_time_ms: item.status === 'success' ? durationMs(firstCommitAt, finishedAt) : null,
          first_commit_at: firstCommitAt,
        },
      },
    ];
  },
};
