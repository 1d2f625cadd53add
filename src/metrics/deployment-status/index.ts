import { z } from 'zod';
import { githubId, isoTime, parsePayload, repositorySchema } from '../../github/payloads';
import type { RecordError } from '../../pipeline/types';
import { durationMs, toUtcIso } from '../../time';
import { deploymentSchema, isBot } from '../deployment';
import { enrich } from '../enrich';
import { type Metric, type MetricContext, shared } from '../types';
import type { DeploymentStatusOutput } from './output';
import {
  COMPARE_CALL,
  type ComparedCommit,
  commitsBetween,
  firstShipped,
  PREVIOUS_SUCCESS_CALL,
  PULL_REQUESTS_CALL,
  previousSuccessfulDeployment,
  pullRequestsOf,
  readEarlierSuccesses,
} from './shipped';

export type { DeploymentStatusOutput } from './output';

export const deploymentStatusPayload = z.looseObject({
  action: z.literal('created'),
  deployment_status: z.looseObject({
    id: githubId,
    state: z.string(),
    creator: z.looseObject({ login: z.string(), type: z.string().optional() }).nullable().optional(),
    created_at: isoTime,
  }),
  deployment: deploymentSchema,
  repository: repositorySchema,
});
type Payload = z.infer<typeof deploymentStatusPayload>;
type Shipped = NonNullable<DeploymentStatusOutput['shipped']>;

/**
 * What a successful deployment shipped for the first time: the commits since the sha of the deployment that
 * last reached production before it (same environment), less those an earlier successful deployment had
 * already shipped (a release after a rollback, overlapping deployments); their earliest author time (lead
 * time for changes) and their pull requests. The first successful deployment to an environment is a
 * baseline: with nothing to compare against, it reports no commits and no lead time rather than the
 * repository's whole history.
 */
async function shipped(
  ctx: MetricContext,
  payload: Payload,
): Promise<{ shipped: Shipped; errors: RecordError[] }> {
  const { deployment: d, deployment_status: status, repository } = payload;
  const owner = repository.owner.login;
  const repo = repository.name;
  const deployedAt = status.created_at;
  const self = { id: d.id, createdAt: d.created_at, succeededAt: deployedAt };
  const errors: RecordError[] = [];
  const result: Shipped = {
    previous_deployment_id: null,
    previous_sha: null,
    baseline: false,
    compared_commit_count: 0,
    already_shipped_count: 0,
    commit_count: 0,
    first_commit_at: null,
    lead_time_ms: null,
    pull_requests: [],
  };

  const lookup = await enrich(ctx, PREVIOUS_SUCCESS_CALL, (github) =>
    shared(ctx, `previous-success:${owner}/${repo}:${d.environment}:${d.id}`, () =>
      previousSuccessfulDeployment(github, owner, repo, d.environment, self),
    ),
  );
  if (!lookup.ok) return { shipped: result, errors: [lookup.error] };
  const { previous, history } = lookup.value;
  if (!previous) return { shipped: { ...result, baseline: true }, errors };
  result.previous_deployment_id = previous.deploymentId;
  result.previous_sha = previous.sha;

  let commits: ComparedCommit[] = [];
  if (previous.sha !== d.sha) {
    const base = previous.sha;
    const compared = await enrich(ctx, COMPARE_CALL, (github) =>
      shared(ctx, `compare:${owner}/${repo}:${base}...${d.sha}`, () =>
        commitsBetween(github, owner, repo, base, d.sha),
      ),
    );
    if (!compared.ok) return { shipped: result, errors: [compared.error] };
    commits = compared.value;
  }
  result.compared_commit_count = commits.length;
  if (commits.length > 0) {
    const committed = commits
      .map((c) => Date.parse(c.committed_at ?? c.authored_at ?? ''))
      .filter((t) => !Number.isNaN(t));
    const since = committed.length > 0 ? new Date(Math.min(...committed)).toISOString() : null;
    if (since) {
      const earlier = await enrich(ctx, PREVIOUS_SUCCESS_CALL, (github) =>
        readEarlierSuccesses(github, owner, repo, d.environment, self, history, since),
      );
      if (!earlier.ok) return { shipped: result, errors: [earlier.error] };
    }
    const split = firstShipped(commits, history.successes);
    commits = split.first;
    result.already_shipped_count = split.already.length;
  }
  result.commit_count = commits.length;
  const authored = commits
    .map((c) => (c.authored_at ? Date.parse(c.authored_at) : Number.NaN))
    .filter((t) => !Number.isNaN(t));
  if (authored.length > 0) {
    result.first_commit_at = new Date(Math.min(...authored)).toISOString();
    result.lead_time_ms = durationMs(result.first_commit_at, deployedAt);
  }
  if (commits.length === 0) return { shipped: result, errors };

  const pulls = await enrich(ctx, PULL_REQUESTS_CALL, (github) => pullRequestsOf(github, commits));
  if (!pulls.ok) return { shipped: result, errors: [pulls.error] };
  result.pull_requests = pulls.value.map((pr) => ({
    number: pr.number,
    merged_at: pr.merged_at ? toUtcIso(pr.merged_at) : null,
    merged_to_deployed_ms: durationMs(pr.merged_at, deployedAt),
  }));
  return { shipped: result, errors };
}

export const deploymentStatus: Metric<DeploymentStatusOutput> = {
  name: 'deployment-status',
  description:
    'One record per deployment status; for successes, what was shipped and the lead time for changes.',
  triggers: ['github::deployment_status.created'],
  permissions: { deployments: 'read', contents: 'read', pull_requests: 'read' },
  async collect(event, ctx) {
    const payload = parsePayload(deploymentStatusPayload, event.payload, 'deployment_status payload');
    const { deployment: d, deployment_status: status, repository } = payload;
    const success = status.state === 'success' ? await shipped(ctx, payload) : null;
    const output: DeploymentStatusOutput = {
      deployment_id: d.id,
      status_id: status.id,
      state: status.state,
      environment: d.environment,
      production: d.production_environment ?? null,
      ref: d.ref,
      sha: d.sha,
      task: d.task,
      creator: d.creator?.login ?? null,
      creator_is_bot: isBot(d.creator),
      status_creator: status.creator?.login ?? null,
      deployment_created_at: toUtcIso(d.created_at),
      status_created_at: toUtcIso(status.created_at),
      deploy_duration_ms: durationMs(d.created_at, status.created_at),
      shipped: success?.shipped ?? null,
    };
    return [
      {
        naturalKey: status.id,
        owner: repository.owner.login,
        repo: repository.name,
        occurredAt: status.created_at,
        output,
        ...(success && success.errors.length > 0 ? { errors: success.errors } : {}),
      },
    ];
  },
};
