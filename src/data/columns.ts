import type { CheckSuiteOutput } from '../metrics/check-suite';
import type { CodeReviewInvolvementOutput } from '../metrics/code-review-involvement';
import type { CommitsPerPrOutput } from '../metrics/commits-per-pr';
import type { CustomMetricOutput } from '../metrics/custom-metric/output';
import type { DeploymentOutput } from '../metrics/deployment/output';
import type { DeploymentStatusOutput } from '../metrics/deployment-status/output';
import type { DocumentationUpdatedOutput } from '../metrics/documentation-updated';
import type { IncidentOutput } from '../metrics/incident/output';
import type { PipelineRunOutput } from '../metrics/pipeline-run/output';
import type { PullRequestOutput } from '../metrics/pull-request/output';
import type { PushDeploymentOutput } from '../metrics/push-deployment/output';
import type { PushIncidentOutput } from '../metrics/push-incident/output';
import type { ReleaseVersionOutput } from '../metrics/release-versions';
import type { TestCoverageOutput } from '../metrics/test-coverage/output';
import type { ToolingUsageOutput } from '../metrics/tooling-usage/output';
import type { WorkflowJobOutput } from '../metrics/workflow-job';
import type { WorkflowRunOutput } from '../metrics/workflow-run/output';
import type { MetricRecord } from '../pipeline/types';

/**
 * The typed columns of every metric: the one declaration the Parquet writer, the DuckDB views of `telemetry
 * query` / `telemetry report` and the lake's Glue tables all derive from (docs/DATA.md, "Partitions").
 *
 * - `string`: UTF-8 text (ids are strings, also where GitHub's are numbers: they pass 2^53);
 * - `int`: a 32-bit integer (counts, numbers, attempts);
 * - `ms`: a 64-bit integer (durations in milliseconds);
 * - `double`: a 64-bit float (pushed values);
 * - `boolean`;
 * - `timestamp`: a UTC instant, millisecond precision (ISO-8601 text in the JSON records);
 * - `json`: an open-ended value kept as JSON text (maps with data-defined keys, mixed arrays);
 * - `{ struct }`: a nested object with declared fields; `{ list }`: an array of one column type.
 *
 * Every column is nullable. Each metric's declaration is checked against its output type by `satisfies`,
 * so a field added to an output interface fails to compile until it has a column here; test/data/columns.test.ts
 * checks the same against every example record of METRICS.md.
 */
export type ColumnType =
  | 'string'
  | 'int'
  | 'ms'
  | 'double'
  | 'boolean'
  | 'timestamp'
  | 'json'
  | { struct: Fields }
  | { list: ColumnType };

export type Fields = { readonly [name: string]: ColumnType };

type Columns<O> = { readonly [K in keyof Required<O>]: ColumnType };

const struct = (fields: Fields): ColumnType => ({ struct: fields });
const list = (element: ColumnType): ColumnType => ({ list: element });

/** The record envelope (docs/DATA.md), without `output`: the first columns of every partition. */
export const ENVELOPE_COLUMNS = {
  id: 'string',
  schema_version: 'int',
  metric: 'string',
  trigger: 'string',
  collected_by: 'string',
  delivery_id: 'string',
  owner: 'string',
  repo: 'string',
  occurred_at: 'timestamp',
  received_at: 'timestamp',
  collected_at: 'timestamp',
  status: 'string',
  errors: list(struct({ call: 'string', status: 'int', message: 'string' })),
  collector_version: 'string',
  revision: 'string',
} as const satisfies Columns<Omit<MetricRecord, 'output'>>;

/**
 * Output fields a partition row does not declare (a field a newer collector added, kept until its column
 * exists) as one JSON object, null when there are none: nothing in a record is ever dropped by compaction.
 */
export const EXTRA_COLUMN = 'output_extra';

const workflowJob = {
  job_id: 'string',
  run_id: 'string',
  run_attempt: 'int',
  workflow_name: 'string',
  job_name: 'string',
  conclusion: 'string',
  created_at: 'timestamp',
  started_at: 'timestamp',
  completed_at: 'timestamp',
  queue_ms: 'ms',
  duration_ms: 'ms',
  runner_name: 'string',
  runner_group_name: 'string',
  labels: list('string'),
  head_branch: 'string',
  head_sha: 'string',
  html_url: 'string',
  steps: struct({
    count: 'int',
    by_conclusion: 'json',
    slowest: struct({ name: 'string', number: 'int', duration_ms: 'ms' }),
    list: list(
      struct({
        name: 'string',
        number: 'int',
        conclusion: 'string',
        started_at: 'timestamp',
        completed_at: 'timestamp',
        duration_ms: 'ms',
      }),
    ),
  }),
} satisfies Columns<WorkflowJobOutput>;

const checkSuite = {
  suite_id: 'string',
  conclusion: 'string',
  app: struct({ id: 'string', slug: 'string', name: 'string' }),
  head_branch: 'string',
  head_sha: 'string',
  created_at: 'timestamp',
  completed_at: 'timestamp',
  duration_ms: 'ms',
  pull_requests: list('int'),
  check_runs: 'int',
  via_app_installation: 'boolean',
  installation_id: 'string',
} satisfies Columns<CheckSuiteOutput>;

const releaseVersions = {
  tag: 'string',
  version: 'string',
  major: 'int',
  minor: 'int',
  patch: 'int',
  // Identifiers are strings or numbers (`["rc", 1]`): kept as JSON so their types survive.
  prerelease: 'json',
  build: list('string'),
  is_prerelease: 'boolean',
} satisfies Columns<ReleaseVersionOutput>;

const pullRequest = {
  pull_request_id: 'string',
  number: 'int',
  title: 'string',
  author: 'string',
  author_is_bot: 'boolean',
  outcome: 'string',
  base_branch: 'string',
  head_branch: 'string',
  head_sha: 'string',
  into_default_branch: 'boolean',
  labels: list('string'),
  draft: 'boolean',
  opened_as_draft: 'boolean',
  created_at: 'timestamp',
  closed_at: 'timestamp',
  merged_at: 'timestamp',
  merge_commit_sha: 'string',
  first_commit_at: 'timestamp',
  ready_at: 'timestamp',
  first_review_at: 'timestamp',
  first_approval_at: 'timestamp',
  time_in_draft_ms: 'ms',
  additions: 'int',
  deletions: 'int',
  changed_files: 'int',
  commits: 'int',
  reviews: 'int',
  stages: struct({ coding_ms: 'ms', pickup_ms: 'ms', review_ms: 'ms', merge_ms: 'ms', cycle_ms: 'ms' }),
} satisfies Columns<PullRequestOutput>;

const codeReviewInvolvement = {
  pull_request_id: 'string',
  number: 'int',
  author: 'string',
  outcome: 'string',
  created_at: 'timestamp',
  closed_at: 'timestamp',
  merged_at: 'timestamp',
  head_sha: 'string',
  reviewers: list(struct({ login: 'string', is_bot: 'boolean', reviews: 'int', states: 'json' })),
  reviewer_count: 'int',
  requested_reviewers: list(struct({ login: 'string', is_bot: 'boolean' })),
  requested_teams: list('string'),
  requested_not_reviewed: list('string'),
  pending_at_close: list('string'),
  first_review_requested_at: 'timestamp',
  reviews_by_state: 'json',
  reviews: 'int',
  review_comments: 'int',
  comments: 'int',
  merged_by: 'string',
  self_merged: 'boolean',
  first_review_at: 'timestamp',
  first_approval_at: 'timestamp',
  time_to_first_review_ms: 'ms',
  time_to_first_approval_ms: 'ms',
  merged_without_approval: 'boolean',
} satisfies Columns<CodeReviewInvolvementOutput>;

/** The merged pull request both merge-time metrics describe (the same fields lead both of their outputs). */
const mergedPullRequest = {
  pull_request_id: 'string',
  number: 'int',
  base_branch: 'string',
  merged_at: 'timestamp',
  head_sha: 'string',
} as const;

const commitsPerPr = {
  ...mergedPullRequest,
  commits: 'int',
  commits_listed: 'int',
  commits_truncated: 'boolean',
  first_commit_at: 'timestamp',
  last_commit_at: 'timestamp',
  commit_span_ms: 'ms',
  authors: list(struct({ name: 'string', login: 'string', is_bot: 'boolean', commits: 'int' })),
  author_count: 'int',
  bot_commits: 'int',
  force_pushes: 'int',
  commit_times: list(struct({ sha: 'string', authored_at: 'timestamp', committed_at: 'timestamp' })),
} satisfies Columns<CommitsPerPrOutput>;

const documentationUpdated = {
  ...mergedPullRequest,
  globs: list('string'),
  documentation_updated: 'boolean',
  changed_files: 'int',
  files_listed: 'int',
  documentation_files: 'int',
  documentation_additions: 'int',
  documentation_deletions: 'int',
  documentation_paths: list('string'),
} satisfies Columns<DocumentationUpdatedOutput>;

const workflowRun = {
  run_id: 'string',
  run_attempt: 'int',
  run_number: 'int',
  workflow_id: 'string',
  workflow_name: 'string',
  workflow_path: 'string',
  event: 'string',
  conclusion: 'string',
  head_branch: 'string',
  head_sha: 'string',
  actor: 'string',
  triggering_actor: 'string',
  created_at: 'timestamp',
  run_started_at: 'timestamp',
  completed_at: 'timestamp',
  queue_ms: 'ms',
  duration_ms: 'ms',
  pull_requests: list('int'),
} satisfies Columns<WorkflowRunOutput>;

const testCoverage = {
  job_id: 'string',
  run_id: 'string',
  run_attempt: 'int',
  workflow_name: 'string',
  job_name: 'string',
  conclusion: 'string',
  head_branch: 'string',
  head_sha: 'string',
  started_at: 'timestamp',
  completed_at: 'timestamp',
  duration_ms: 'ms',
  job_matched: 'boolean',
  workflow_matched: 'boolean',
  matched_patterns: list('string'),
  test_steps: list(
    struct({
      name: 'string',
      number: 'int',
      conclusion: 'string',
      started_at: 'timestamp',
      completed_at: 'timestamp',
      duration_ms: 'ms',
    }),
  ),
  passed: 'int',
  failed: 'int',
  skipped: 'int',
  cancelled: 'int',
  test_duration_ms: 'ms',
} satisfies Columns<TestCoverageOutput>;

const deployment = {
  deployment_id: 'string',
  environment: 'string',
  production: 'boolean',
  ref: 'string',
  sha: 'string',
  task: 'string',
  creator: 'string',
  creator_is_bot: 'boolean',
  created_at: 'timestamp',
  since_previous_ms: 'ms',
  previous_deployment_id: 'string',
  version: 'string',
  version_file: 'string',
} satisfies Columns<DeploymentOutput>;

const deploymentStatus = {
  deployment_id: 'string',
  status_id: 'string',
  state: 'string',
  environment: 'string',
  production: 'boolean',
  ref: 'string',
  sha: 'string',
  task: 'string',
  creator: 'string',
  creator_is_bot: 'boolean',
  status_creator: 'string',
  deployment_created_at: 'timestamp',
  status_created_at: 'timestamp',
  deploy_duration_ms: 'ms',
  shipped: struct({
    previous_deployment_id: 'string',
    previous_sha: 'string',
    baseline: 'boolean',
    compared_commit_count: 'int',
    already_shipped_count: 'int',
    commit_count: 'int',
    first_commit_at: 'timestamp',
    lead_time_ms: 'ms',
    pull_requests: list(struct({ number: 'int', merged_at: 'timestamp', merged_to_deployed_ms: 'ms' })),
  }),
} satisfies Columns<DeploymentStatusOutput>;

const incident = {
  issue_id: 'string',
  number: 'int',
  title: 'string',
  event: 'string',
  labels: list('string'),
  severity: 'string',
  opened_at: 'timestamp',
  closed_at: 'timestamp',
  time_to_restore_ms: 'ms',
  linked_sha: 'string',
  linked_deployment_id: 'string',
  url: 'string',
} satisfies Columns<IncidentOutput>;

const toolingUsage = {
  source: 'string',
  sender: 'string',
  sha: 'string',
  tools: 'json',
  files: list(struct({ path: 'string', kind: 'string' })),
  config_files: list(
    struct({ path: 'string', tool: 'string', present: 'boolean', parsable: 'boolean', version: 'string' }),
  ),
} satisfies Columns<ToolingUsageOutput>;

const pushDeployment = {
  sender: 'string',
  id: 'string',
  environment: 'string',
  sha: 'string',
  status: 'string',
  started_at: 'timestamp',
  finished_at: 'timestamp',
  duration_ms: 'ms',
  service: 'string',
  version: 'string',
  url: 'string',
  pull_requests: list('int'),
  lead_time_ms: 'ms',
  first_commit_at: 'timestamp',
} satisfies Columns<PushDeploymentOutput>;

const pushIncident = {
  sender: 'string',
  id: 'string',
  event: 'string',
  opened_at: 'timestamp',
  resolved_at: 'timestamp',
  time_to_restore_ms: 'ms',
  severity: 'string',
  title: 'string',
  service: 'string',
  sha: 'string',
  deployment_id: 'string',
  url: 'string',
} satisfies Columns<PushIncidentOutput>;

const customMetric = {
  sender: 'string',
  id: 'string',
  name: 'string',
  value: 'double',
  unit: 'string',
  observed_at: 'timestamp',
  repository: 'string',
  dimensions: 'json',
} satisfies Columns<CustomMetricOutput>;

const pipelineRun = {
  sender: 'string',
  id: 'string',
  repository: 'string',
  pipeline: 'string',
  status: 'string',
  final: 'boolean',
  branch: 'string',
  sha: 'string',
  actor: 'string',
  url: 'string',
  queued_at: 'timestamp',
  started_at: 'timestamp',
  finished_at: 'timestamp',
  duration_ms: 'ms',
  queue_ms: 'ms',
} satisfies Columns<PipelineRunOutput>;

/** Each metric's output columns, by metric name (`tooling-usage` covers the snapshot and the pushed kind). */
export const OUTPUT_COLUMNS: { readonly [metric: string]: Fields } = {
  'workflow-job': workflowJob,
  'check-suite': checkSuite,
  'release-versions': releaseVersions,
  'workflow-run': workflowRun,
  'test-coverage': testCoverage,
  deployment,
  'deployment-status': deploymentStatus,
  incident,
  'tooling-usage': toolingUsage,
  'pull-request': pullRequest,
  'code-review-involvement': codeReviewInvolvement,
  'commits-per-pr': commitsPerPr,
  'documentation-updated': documentationUpdated,
  'push-deployment': pushDeployment,
  'push-incident': pushIncident,
  'custom-metric': customMetric,
  'pipeline-run': pipelineRun,
};

/** Metrics with declared columns (the ones compaction turns into Parquet). */
export function columnMetrics(): string[] {
  return Object.keys(OUTPUT_COLUMNS).sort();
}

/**
 * The full column list of one metric's partitions: the envelope, `output` as a struct of the metric's
 * declared fields, and `output_extra`.
 */
export function metricColumns(metric: string): Fields {
  const output = OUTPUT_COLUMNS[metric];
  if (!output) throw new Error(`no column declaration for metric ${metric}`);
  return { ...ENVELOPE_COLUMNS, output: struct(output), [EXTRA_COLUMN]: 'json' };
}

/** A SQL name for a metric's view or table: `workflow-job` → `workflow_job`. */
export function tableName(metric: string): string {
  return metric.replace(/[^A-Za-z0-9]/g, '_');
}

/** The DuckDB type of a column (also the Glue/Hive shape with `<>` instead of `()` brackets). */
export function duckdbType(type: ColumnType): string {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
      case 'json':
        return 'VARCHAR';
      case 'int':
        return 'INTEGER';
      case 'ms':
        return 'BIGINT';
      case 'double':
        return 'DOUBLE';
      case 'boolean':
        return 'BOOLEAN';
      case 'timestamp':
        return 'TIMESTAMP';
    }
  }
  if ('struct' in type) {
    const fields = Object.entries(type.struct).map(([name, t]) => `"${name}" ${duckdbType(t)}`);
    return `STRUCT(${fields.join(', ')})`;
  }
  return `${duckdbType(type.list)}[]`;
}

/** The Glue / Athena (Hive DDL) type of a column, for the lake's tables over the same Parquet files. */
export function glueType(type: ColumnType): string {
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
      case 'json':
        return 'string';
      case 'int':
        return 'int';
      case 'ms':
        return 'bigint';
      case 'double':
        return 'double';
      case 'boolean':
        return 'boolean';
      case 'timestamp':
        return 'timestamp';
    }
  }
  if ('struct' in type) {
    return `struct<${Object.entries(type.struct)
      .map(([name, t]) => `${name}:${glueType(t)}`)
      .join(',')}>`;
  }
  return `array<${glueType(type.list)}>`;
}
