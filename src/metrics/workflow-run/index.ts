import { z } from 'zod';
import { githubId, isoTime, parsePayload, repositorySchema } from '../../github/payloads';
import { durationMs, toUtcIso } from '../../time';
import type { Metric } from '../types';
import type { WorkflowRunOutput } from './output';

export type { WorkflowRunOutput } from './output';

const login = z.looseObject({ login: z.string() }).nullable().optional();

export const workflowRunPayload = z.looseObject({
  action: z.literal('completed'),
  workflow_run: z.looseObject({
    id: githubId,
    run_attempt: z.number().int().positive().default(1),
    run_number: z.number().int(),
    workflow_id: githubId,
    name: z.string().nullable().optional(),
    path: z.string().nullable().optional(),
    event: z.string(),
    conclusion: z.string().nullable(),
    head_branch: z.string().nullable().optional(),
    head_sha: z.string(),
    actor: login,
    triggering_actor: login,
    created_at: isoTime,
    run_started_at: isoTime.nullable().optional(),
    updated_at: isoTime,
    pull_requests: z.array(z.looseObject({ number: z.number().int() })).default([]),
  }),
  repository: repositorySchema,
});

export const workflowRun: Metric<WorkflowRunOutput> = {
  name: 'workflow-run',
  description: 'One record per completed workflow run attempt: duration, queue time, conclusion, trigger.',
  triggers: ['github::workflow_run.completed'],
  permissions: { actions: 'read' },
  async collect(event) {
    const { workflow_run: run, repository } = parsePayload(
      workflowRunPayload,
      event.payload,
      'workflow_run payload',
    );
    const startedAt = run.run_started_at ?? null;
    return [
      {
        naturalKey: `${run.id}:${run.run_attempt}`,
        owner: repository.owner.login,
        repo: repository.name,
        occurredAt: run.updated_at,
        output: {
          run_id: run.id,
          run_attempt: run.run_attempt,
          run_number: run.run_number,
          workflow_id: run.workflow_id,
          // GitHub sends "" for runs whose workflow has no name: that is "no name", not a name.
          workflow_name: run.name ? run.name : null,
          workflow_path: run.path ? run.path : null,
          event: run.event,
          conclusion: run.conclusion,
          head_branch: run.head_branch ?? null,
          head_sha: run.head_sha,
          actor: run.actor?.login ?? null,
          triggering_actor: run.triggering_actor?.login ?? null,
          created_at: toUtcIso(run.created_at),
          run_started_at: startedAt ? toUtcIso(startedAt) : null,
          completed_at: toUtcIso(run.updated_at),
          // A re-run keeps the first attempt's created_at, so created → started is queue time only for
          // attempt 1; for later attempts it would count the whole first attempt.
          queue_ms: run.run_attempt === 1 ? durationMs(run.created_at, startedAt) : null,
          duration_ms: Math.max(0, durationMs(startedAt ?? run.created_at, run.updated_at) ?? 0),
          pull_requests: run.pull_requests.map((pr) => pr.number),
        },
      },
    ];
  },
};
