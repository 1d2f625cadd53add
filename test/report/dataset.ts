import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { indexEntryContent, packRecords } from '../../src/data/packs';
import type { DeploymentStatusOutput } from '../../src/metrics/deployment-status/output';
import type { IncidentOutput } from '../../src/metrics/incident/output';
import type { PullRequestOutput } from '../../src/metrics/pull-request/output';
import type { PushDeploymentOutput } from '../../src/metrics/push-deployment/output';
import type { PushIncidentOutput } from '../../src/metrics/push-incident/output';
import type { WorkflowJobOutput } from '../../src/metrics/workflow-job';
import type { WorkflowRunOutput } from '../../src/metrics/workflow-run/output';
import { recordId, recordPath } from '../../src/pipeline/record';
import type { CollectedBy, MetricRecord, RecordStatus } from '../../src/pipeline/types';

/**
 * Hand-built records that follow the metric output contracts exactly (every field, typed by the contract),
 * written in the data repository's layout as the stores write it: each record in a pack of its own (one
 * write), beside its index entry. The dataset itself and its expected figures are in
 * report.test.ts.
 */

export const H = 3_600_000;
export const MIN = 60_000;

export interface Written {
  id: string;
  path: string;
}

export class DataDir {
  readonly files: string[] = [];

  constructor(readonly root: string) {}

  /** A record as a collector would build it (not written). */
  build<O extends object>(
    metric: string,
    naturalKey: string,
    repository: string,
    occurredAt: string,
    output: O,
    options: { status?: RecordStatus; collectedBy?: CollectedBy } = {},
  ): MetricRecord {
    const [owner, repo] = repository.split('/') as [string, string];
    const status = options.status ?? 'complete';
    const record: MetricRecord<O> = {
      id: recordId(metric, naturalKey),
      schema_version: 1,
      metric,
      trigger: `test::${metric}`,
      collected_by: options.collectedBy ?? 'webhook',
      delivery_id: `delivery-${this.files.length}`,
      owner,
      repo,
      occurred_at: new Date(occurredAt).toISOString(),
      received_at: new Date(occurredAt).toISOString(),
      collected_at: new Date(occurredAt).toISOString(),
      status,
      errors:
        status === 'partial'
          ? [{ call: 'GET /repos/{owner}/{repo}/pulls/{pull_number}', message: 'no token' }]
          : [],
      collector_version: '0.1.0',
      output,
    };
    return record as unknown as MetricRecord;
  }

  /** A record written as one write of a store: a pack of its own beside its index entry. */
  record(...args: Parameters<DataDir['build']>): Written {
    const record = this.build(...args);
    const [pack] = this.pack([record]);
    return { id: record.id, path: pack as string };
  }

  /** Records written as one write of a store: their packs (paths returned) and index entries. */
  pack(records: readonly MetricRecord[]): string[] {
    const packs = packRecords(records);
    for (const pack of packs) this.raw(pack.path, pack.content);
    for (const record of records) {
      const index = join(this.root, recordPath(record));
      mkdirSync(dirname(index), { recursive: true });
      writeFileSync(index, indexEntryContent(record));
    }
    return packs.map((pack) => pack.path);
  }

  /** Any file, for invalid records and folders the report must skip. */
  raw(path: string, content: string): void {
    const full = join(this.root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    this.files.push(path);
  }
}

/**
 * Two versions of one id that `isBetter` orders neither way, `{partial, revision 'b'}` and `{complete,
 * revision 'a'}` (`version(status, salt)` builds the record), to be written each in a pack of its own, as a
 * crash or two concurrent writes leave them. Readers meet packs in path order (hash names), so salts are
 * tried until the partial one's pack sorts first (`partialFirst`) or last: a test covers both orders.
 */
export function unorderedVersions(
  version: (status: 'partial' | 'complete', salt: number) => MetricRecord,
  partialFirst: boolean,
): { partial: MetricRecord; complete: MetricRecord } {
  for (let salt = 0; ; salt += 1) {
    const partial = { ...version('partial', salt), revision: 'b' };
    const complete = { ...version('complete', salt), revision: 'a' };
    const [p] = packRecords([partial]);
    const [c] = packRecords([complete]);
    if ((p as { path: string }).path < (c as { path: string }).path === partialFirst)
      return { partial, complete };
  }
}

const iso = (time: string) => new Date(time).toISOString();

export function deploymentStatus(
  fields: Pick<
    DeploymentStatusOutput,
    'deployment_id' | 'status_id' | 'state' | 'environment' | 'status_created_at'
  > &
    Partial<DeploymentStatusOutput> & { lead?: number | null; commits?: number },
): DeploymentStatusOutput {
  const { lead, commits, ...rest } = fields;
  const at = Date.parse(fields.status_created_at);
  return {
    production: null,
    ref: 'main',
    sha: `${fields.deployment_id.padStart(7, '0')}${'0'.repeat(33)}`,
    task: 'deploy',
    creator: 'octocat',
    creator_is_bot: false,
    status_creator: 'octocat',
    deployment_created_at: iso(new Date(at - 5 * MIN).toISOString()),
    deploy_duration_ms: 5 * MIN,
    shipped:
      fields.state === 'success'
        ? {
            previous_deployment_id: null,
            previous_sha: null,
            baseline: false,
            compared_commit_count: commits ?? 1,
            already_shipped_count: 0,
            commit_count: commits ?? 1,
            first_commit_at: lead === null || lead === undefined ? null : new Date(at - lead).toISOString(),
            lead_time_ms: lead ?? null,
            pull_requests: [],
          }
        : null,
    ...rest,
    status_created_at: iso(fields.status_created_at),
  };
}

export function pushDeployment(
  fields: Pick<
    PushDeploymentOutput,
    'id' | 'environment' | 'status' | 'finished_at' | 'service' | 'lead_time_ms'
  >,
): PushDeploymentOutput {
  const finished = Date.parse(fields.finished_at);
  return {
    sender: 'argo',
    sha: 'abcdef0123456789abcdef0123456789abcdef01',
    started_at: new Date(finished - 10 * MIN).toISOString(),
    duration_ms: 10 * MIN,
    version: '1.2.3',
    url: null,
    pull_requests: [],
    first_commit_at:
      fields.lead_time_ms === null ? null : new Date(finished - fields.lead_time_ms).toISOString(),
    ...fields,
    finished_at: iso(fields.finished_at),
  };
}

export function incident(
  fields: Pick<IncidentOutput, 'issue_id' | 'event' | 'opened_at' | 'closed_at'> & Partial<IncidentOutput>,
): IncidentOutput {
  const closed = fields.closed_at ? iso(fields.closed_at) : null;
  return {
    number: Number(fields.issue_id) % 1000,
    title: 'Checkout is down',
    labels: ['incident'],
    severity: null,
    time_to_restore_ms: closed ? Date.parse(closed) - Date.parse(fields.opened_at) : null,
    linked_sha: null,
    linked_deployment_id: null,
    url: null,
    ...fields,
    opened_at: iso(fields.opened_at),
    closed_at: closed,
  };
}

export function pushIncident(
  fields: Pick<PushIncidentOutput, 'id' | 'event' | 'opened_at' | 'resolved_at'> &
    Partial<PushIncidentOutput>,
): PushIncidentOutput {
  return {
    sender: 'pagerduty',
    time_to_restore_ms: fields.resolved_at
      ? Date.parse(fields.resolved_at) - Date.parse(fields.opened_at)
      : null,
    severity: 'high',
    title: 'Billing errors',
    service: 'billing',
    sha: null,
    deployment_id: null,
    url: null,
    ...fields,
  };
}

export interface PrStages {
  coding: number | null;
  pickup: number | null;
  review: number | null;
  merge: number | null;
  cycle: number | null;
}

export function pullRequest(
  fields: Pick<PullRequestOutput, 'pull_request_id' | 'closed_at' | 'additions' | 'deletions' | 'reviews'> &
    Partial<PullRequestOutput> & { s: PrStages },
): PullRequestOutput {
  const { s, ...rest } = fields;
  const merged = (fields.outcome ?? 'merged') === 'merged';
  const closedAt = iso(fields.closed_at);
  return {
    number: Number(fields.pull_request_id) % 1000,
    title: `Change ${fields.pull_request_id}`,
    author: 'octocat',
    author_is_bot: false,
    outcome: 'merged',
    base_branch: 'main',
    head_branch: `feature-${fields.pull_request_id}`,
    head_sha: 'f'.repeat(40),
    into_default_branch: true,
    labels: [],
    draft: false,
    opened_as_draft: false,
    created_at: new Date(Date.parse(closedAt) - 10 * H).toISOString(),
    merged_at: merged ? closedAt : null,
    merge_commit_sha: merged ? 'f'.repeat(40) : null,
    first_commit_at: null,
    ready_at: null,
    first_review_at: (fields.reviews ?? 0) > 0 ? new Date(Date.parse(closedAt) - H).toISOString() : null,
    first_approval_at: null,
    time_in_draft_ms: 0,
    changed_files: 3,
    commits: 2,
    stages: {
      coding_ms: s.coding,
      pickup_ms: s.pickup,
      review_ms: s.review,
      merge_ms: s.merge,
      cycle_ms: s.cycle,
    },
    ...rest,
    closed_at: closedAt,
  };
}

export function workflowRun(
  fields: Pick<
    WorkflowRunOutput,
    | 'run_id'
    | 'run_attempt'
    | 'workflow_name'
    | 'workflow_path'
    | 'conclusion'
    | 'completed_at'
    | 'duration_ms'
    | 'queue_ms'
  >,
): WorkflowRunOutput {
  const completed = Date.parse(fields.completed_at);
  const started = completed - fields.duration_ms;
  return {
    run_number: Number(fields.run_id) % 1000,
    workflow_id: String((fields.workflow_name ?? '').length + 100),
    event: 'push',
    head_branch: 'main',
    head_sha: 'e'.repeat(40),
    actor: 'octocat',
    triggering_actor: 'octocat',
    created_at: new Date(started - (fields.queue_ms ?? 0)).toISOString(),
    run_started_at: fields.queue_ms === null ? null : new Date(started).toISOString(),
    pull_requests: [],
    ...fields,
    completed_at: iso(fields.completed_at),
  };
}

export function workflowJob(
  fields: Pick<
    WorkflowJobOutput,
    | 'job_id'
    | 'run_id'
    | 'run_attempt'
    | 'workflow_name'
    | 'job_name'
    | 'conclusion'
    | 'completed_at'
    | 'duration_ms'
    | 'queue_ms'
  >,
): WorkflowJobOutput {
  const completed = Date.parse(fields.completed_at);
  const started = completed - fields.duration_ms;
  return {
    created_at: fields.queue_ms === null ? null : new Date(started - fields.queue_ms).toISOString(),
    started_at: new Date(started).toISOString(),
    runner_name: 'GitHub Actions 3',
    runner_group_name: 'GitHub Actions',
    labels: ['ubuntu-latest'],
    head_branch: 'main',
    head_sha: 'e'.repeat(40),
    html_url: null,
    steps: { count: 3, by_conclusion: { success: 3 }, slowest: null, list: [] },
    ...fields,
    completed_at: iso(fields.completed_at),
  };
}
