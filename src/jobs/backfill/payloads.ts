import type { Rest } from '../listing';
import type { Repository } from '../repositories';

/**
 * Listed API objects → the payload the live webhook delivers for the same event. Webhook payloads embed the
 * same REST representations (a `pull_request`, `workflow_job`, `deployment`, `issue` object is what the REST
 * API returns for it), so the metrics see what they would have seen live, and derive the same natural keys.
 * Not reconstructed: `sender`, `organization`, `installation` (who triggered it is not in the listings) and
 * `workflow` of workflow_run (one more request per run for a field no metric reads).
 */
export const payloads = {
  pullRequestClosed: (pull: Rest, repository: Repository) => ({
    action: 'closed',
    number: pull.number,
    pull_request: pull,
    repository,
  }),
  workflowRunCompleted: (run: Rest, repository: Repository) => ({
    action: 'completed',
    workflow_run: run,
    repository,
  }),
  workflowJobCompleted: (job: Rest, repository: Repository) => ({
    action: 'completed',
    workflow_job: job,
    repository,
  }),
  deploymentCreated: (deployment: Rest, repository: Repository) => ({
    action: 'created',
    deployment,
    repository,
  }),
  deploymentStatusCreated: (status: Rest, deployment: Rest, repository: Repository) => ({
    action: 'created',
    deployment_status: status,
    deployment,
    repository,
  }),
  /** The issue as it was when opened: open, not closed yet (the live `opened` delivery saw it so). */
  issueOpened: (issue: Rest, repository: Repository) => ({
    action: 'opened',
    issue: { ...issue, state: 'open', state_reason: null, closed_at: null, closed_by: null },
    repository,
  }),
  issueClosed: (issue: Rest, repository: Repository) => ({ action: 'closed', issue, repository }),
  tagCreated: (tag: string, repository: Repository) => ({
    ref: tag,
    ref_type: 'tag',
    master_branch: repository.default_branch ?? 'main',
    description: repository.description ?? null,
    pusher_type: 'user',
    repository,
  }),
};

/** A delivery id for a reconstructed delivery: `backfill-<kind>-<id>`, within the X-GitHub-Delivery alphabet. */
export function backfillDeliveryId(kind: string, ...parts: (string | number)[]): string {
  return ['backfill', kind, ...parts.map((p) => String(p).replace(/[^A-Za-z0-9]+/g, '-'))]
    .join('-')
    .slice(0, 100);
}
