import { z } from 'zod';
import { githubId, isoTime, parsePayload, repositorySchema } from '../../github/payloads';
import { durationMs } from '../../time';
import type { Metric } from '../types';

const stepSchema = z.looseObject({
  name: z.string(),
  number: z.number().int(),
  conclusion: z.string().nullable(),
  started_at: isoTime.nullable().optional(),
  completed_at: isoTime.nullable().optional(),
});

export const workflowJobPayload = z.looseObject({
  action: z.literal('completed'),
  workflow_job: z.looseObject({
    id: githubId,
    run_id: githubId,
    run_attempt: z.number().int().positive(),
    name: z.string(),
    workflow_name: z.string().nullable().optional(),
    head_branch: z.string().nullable().optional(),
    head_sha: z.string(),
    conclusion: z.string().nullable(),
    created_at: isoTime.optional(),
    started_at: isoTime,
    completed_at: isoTime.nullable(),
    runner_name: z.string().nullable().optional(),
    runner_group_name: z.string().nullable().optional(),
    labels: z.array(z.string()).default([]),
    steps: z.array(stepSchema).default([]),
    html_url: z.string().optional(),
  }),
  repository: repositorySchema,
});

export interface StepSummary {
  /** Number of steps. */
  count: number;
  /** Steps by conclusion (success, failure, skipped, cancelled, ...). */
  by_conclusion: Record<string, number>;
  /** The longest step, or null when no step has both times. */
  slowest: { name: string; number: number; duration_ms: number } | null;
}

export interface WorkflowJobOutput {
  job_id: string;
  run_id: string;
  run_attempt: number;
  workflow_name: string | null;
  job_name: string;
  conclusion: string | null;
  created_at: string | null;
  started_at: string;
  completed_at: string;
  /** started_at − created_at, in ms; null for payloads without created_at. */
  queue_ms: number | null;
  /** completed_at − started_at, in ms. */
  duration_ms: number;
  runner_name: string | null;
  runner_group_name: string | null;
  labels: string[];
  head_branch: string | null;
  head_sha: string;
  html_url: string | null;
  steps: StepSummary;
}

export function summarizeSteps(steps: z.infer<typeof stepSchema>[]): StepSummary {
  // No prototype: a step conclusion named `toString` or `__proto__` is counted like any other.
  const byConclusion: Record<string, number> = Object.create(null);
  let slowest: StepSummary['slowest'] = null;
  for (const step of steps) {
    const conclusion = step.conclusion ?? 'none';
    byConclusion[conclusion] = (byConclusion[conclusion] ?? 0) + 1;
    const ms = durationMs(step.started_at, step.completed_at);
    if (ms !== null && (slowest === null || ms > slowest.duration_ms)) {
      slowest = { name: step.name, number: step.number, duration_ms: ms };
    }
  }
  return { count: steps.length, by_conclusion: byConclusion, slowest };
}

export const workflowJob: Metric<WorkflowJobOutput> = {
  name: 'workflow-job',
  description: 'One record per completed workflow job (per run attempt): timing, queue time, runner, steps.',
  triggers: ['github::workflow_job.completed'],
  async collect(event) {
    const { workflow_job: job, repository } = parsePayload(
      workflowJobPayload,
      event.payload,
      'workflow_job payload',
    );
    // A "completed" job always has completed_at; an odd payload without it falls back to started_at.
    const completedAt = job.completed_at ?? job.started_at;
    return [
      {
        naturalKey: `${job.id}:${job.run_attempt}`,
        owner: repository.owner.login,
        repo: repository.name,
        occurredAt: completedAt,
        output: {
          job_id: job.id,
          run_id: job.run_id,
          run_attempt: job.run_attempt,
          workflow_name: job.workflow_name ?? null,
          job_name: job.name,
          conclusion: job.conclusion,
          created_at: job.created_at ? new Date(job.created_at).toISOString() : null,
          started_at: new Date(job.started_at).toISOString(),
          completed_at: new Date(completedAt).toISOString(),
          queue_ms: durationMs(job.created_at, job.started_at),
          duration_ms: durationMs(job.started_at, completedAt) ?? 0,
          runner_name: job.runner_name ?? null,
          runner_group_name: job.runner_group_name ?? null,
          labels: job.labels,
          head_branch: job.head_branch ?? null,
          head_sha: job.head_sha,
          html_url: job.html_url ?? null,
          steps: summarizeSteps(job.steps),
        },
      },
    ];
  },
};
