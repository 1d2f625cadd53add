import { z } from 'zod';
import { githubId, isoTime, parsePayload, repositorySchema } from '../../github/payloads';
import { durationMs } from '../../time';
import type { Metric } from '../types';

export const checkSuitePayload = z.looseObject({
  action: z.literal('completed'),
  check_suite: z.looseObject({
    id: githubId,
    head_branch: z.string().nullable(),
    head_sha: z.string(),
    status: z.string().nullable().optional(),
    conclusion: z.string().nullable(),
    created_at: isoTime,
    updated_at: isoTime,
    app: z.looseObject({ id: githubId, slug: z.string().optional(), name: z.string() }).nullable().optional(),
    pull_requests: z.array(z.looseObject({ number: z.number().int() })).default([]),
    latest_check_runs_count: z.number().int().optional(),
    rerequestable: z.boolean().optional(),
    runs_rerequestable: z.boolean().optional(),
  }),
  /** Present when GitHub delivered the event to a GitHub App for one of its installations. */
  installation: z.looseObject({ id: githubId }).nullable().optional(),
  repository: repositorySchema,
});

export interface CheckSuiteOutput {
  suite_id: string;
  conclusion: string | null;
  app: { id: string; slug: string | null; name: string } | null;
  head_branch: string | null;
  head_sha: string;
  created_at: string;
  /** When the suite completed (GitHub's updated_at on the completed event). */
  completed_at: string;
  /** completed_at − created_at, in ms. */
  duration_ms: number;
  pull_requests: number[];
  check_runs: number | null;
  /**
   * The event came through a GitHub App installation (the payload's `installation`): the suite belongs to an
   * app installed on the repository or organisation, as the earlier collector's `is_app_owner` said.
   */
  via_app_installation: boolean;
  /** That installation's id; null for deliveries of an organisation or repository webhook. */
  installation_id: string | null;
}

export const checkSuite: Metric<CheckSuiteOutput> = {
  name: 'check-suite',
  description: 'One record per completed check suite: conclusion, app, head, duration, pull requests.',
  triggers: ['github::check_suite.completed'],
  permissions: { checks: 'read' },
  async collect(event) {
    const {
      check_suite: suite,
      installation,
      repository,
    } = parsePayload(checkSuitePayload, event.payload, 'check_suite payload');
    return [
      {
        naturalKey: suite.id,
        owner: repository.owner.login,
        repo: repository.name,
        occurredAt: suite.updated_at,
        output: {
          suite_id: suite.id,
          conclusion: suite.conclusion,
          app: suite.app ? { id: suite.app.id, slug: suite.app.slug ?? null, name: suite.app.name } : null,
          head_branch: suite.head_branch,
          head_sha: suite.head_sha,
          created_at: new Date(suite.created_at).toISOString(),
          completed_at: new Date(suite.updated_at).toISOString(),
          duration_ms: durationMs(suite.created_at, suite.updated_at) ?? 0,
          pull_requests: suite.pull_requests.map((pr) => pr.number),
          check_runs: suite.latest_check_runs_count ?? null,
          via_app_installation: Boolean(installation),
          installation_id: installation?.id ?? null,
        },
      },
    ];
  },
};
