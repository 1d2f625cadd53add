import { parsePayload } from '../../github/payloads';
import { pipelineRunItem, splitRepository } from '../../push/kinds';
import { durationMs, toUtcIso } from '../../time';
import { pushSender } from '../push-deployment';
import { RETRACT_TRIGGER, retracts, tombstones } from '../retraction';
import type { Metric } from '../types';
import type { PipelineRunOutput } from './output';

const FINAL = new Set<string>(['success', 'failure', 'cancelled', 'skipped', 'timed_out']);

/**
 * The record's revision: the latest time the report knows, then the status's place in the run's life
 * (queued < in_progress < a final one). Compared as strings by "better record wins": the end of a run beats
 * its start whichever arrives first, and a resend of the same report changes nothing.
 */
export function pipelineRunRevision(item: {
  status: string;
  queued_at: string | null;
  started_at: string | null;
  finished_at: string | null;
}): string {
  const latest = item.finished_at ?? item.started_at ?? item.queued_at ?? '';
  const rank = FINAL.has(item.status) ? 2 : item.status === 'in_progress' ? 1 : 0;
  return `${latest}#${rank}`;
}

export const pipelineRun: Metric<PipelineRunOutput> = {
  name: 'pipeline-run',
  description:
    "One record per run of another system's pipeline (X-Telemetry-Event: pipeline-run); its start and end converge on it.",
  permissions: {},
  triggers: ['push::pipeline-run', RETRACT_TRIGGER],
  matches: (event) => event.trigger !== RETRACT_TRIGGER || retracts(event, 'pipeline-run'),
  async collect(event) {
    if (event.trigger === RETRACT_TRIGGER) return tombstones(event, (id) => [`${event.sender}\n${id}`]);
    const sender = pushSender(event);
    const item = parsePayload(pipelineRunItem, event.payload, 'pushed pipeline run');
    const { owner, repo } = splitRepository(item.repository);
    const queuedAt = item.queued_at ? toUtcIso(item.queued_at) : null;
    const startedAt = item.started_at ? toUtcIso(item.started_at) : null;
    const finishedAt = item.finished_at ? toUtcIso(item.finished_at) : null;
    const output: PipelineRunOutput = {
      sender,
      id: item.id,
      repository: `${owner}/${repo}`,
      pipeline: item.pipeline,
      status: item.status,
      final: FINAL.has(item.status),
      branch: item.branch ?? null,
      sha: item.sha ? item.sha.toLowerCase() : null,
      actor: item.actor ?? null,
      url: item.url ?? null,
      queued_at: queuedAt,
      started_at: startedAt,
      finished_at: finishedAt,
      duration_ms: durationMs(startedAt, finishedAt),
      queue_ms: durationMs(queuedAt, startedAt),
    };
    return [
      {
        naturalKey: `${sender}\n${item.id}`,
        owner,
        repo,
        // Schema: started_at or finished_at is present.
        occurredAt: (startedAt ?? finishedAt) as string,
        revision: pipelineRunRevision(output),
        output,
      },
    ];
  },
};
