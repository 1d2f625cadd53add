import { z } from 'zod';
import { type ColumnType, type Fields, OUTPUT_COLUMNS } from '../data/columns';
import type { DeploymentStatusOutput } from '../metrics/deployment-status/output';
import type { IncidentOutput } from '../metrics/incident/output';
import type { PipelineRunOutput } from '../metrics/pipeline-run/output';
import type { PullRequestOutput } from '../metrics/pull-request/output';
import type { PushDeploymentOutput } from '../metrics/push-deployment/output';
import type { PushIncidentOutput } from '../metrics/push-incident/output';
import type { WorkflowJobOutput } from '../metrics/workflow-job';
import type { WorkflowRunOutput } from '../metrics/workflow-run/output';
import type { MetricRecord, RecordError } from '../pipeline/types';
import { FACT_TABLES } from './fact-tables';

/**
 * What the report keeps of each record: a few small fields per figure, never the record itself, so memory
 * grows with the number of records and not with their size. Each schema below reads only the fields it
 * needs and is typed against the metric's output contract, so a renamed or retyped field fails to compile.
 */

const isoTime = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not an ISO-8601 time');
const ms = z.number().finite();

const recordErrorSchema: z.ZodType<RecordError> = z.object({
  call: z.string(),
  status: z.number().optional(),
  message: z.string(),
});

/** The envelope of docs/DATA.md, validated for every file read. */
export const envelopeSchema: z.ZodType<MetricRecord<Record<string, unknown>>> = z.object({
  id: z.string().min(1),
  schema_version: z.literal(1),
  metric: z.string().min(1),
  trigger: z.string(),
  collected_by: z.enum(['webhook', 'backfill', 'push', 'schedule']),
  delivery_id: z.string().optional(),
  owner: z.string().min(1),
  repo: z.string().min(1),
  occurred_at: isoTime,
  received_at: isoTime,
  collected_at: isoTime,
  status: z.enum(['complete', 'partial', 'retracted']),
  errors: z.array(recordErrorSchema),
  collector_version: z.string(),
  revision: z.string().optional(),
  output: z.record(z.string(), z.unknown()),
});

const pipelineRunSchema: z.ZodType<
  Pick<PipelineRunOutput, 'sender' | 'pipeline' | 'status' | 'queue_ms' | 'duration_ms'>
> = z.object({
  sender: z.string().min(1),
  pipeline: z.string().min(1),
  status: z.enum(['queued', 'in_progress', 'success', 'failure', 'cancelled', 'skipped', 'timed_out']),
  queue_ms: z.number().nullable(),
  duration_ms: z.number().nullable(),
});

type Shipped = NonNullable<DeploymentStatusOutput['shipped']>;

const deploymentStatusSchema: z.ZodType<
  Pick<DeploymentStatusOutput, 'deployment_id' | 'state' | 'environment' | 'production' | 'sha'> &
    Pick<DeploymentStatusOutput, 'status_created_at'> & {
      shipped: Pick<Shipped, 'commit_count' | 'lead_time_ms'> | null;
    }
> = z.object({
  deployment_id: z.string().min(1),
  state: z.string(),
  environment: z.string(),
  production: z.boolean().nullable(),
  sha: z.string(),
  status_created_at: isoTime,
  shipped: z.object({ commit_count: z.number().int().min(0), lead_time_ms: ms.nullable() }).nullable(),
});

const pushDeploymentSchema: z.ZodType<
  Pick<
    PushDeploymentOutput,
    'sender' | 'id' | 'environment' | 'sha' | 'status' | 'finished_at' | 'lead_time_ms' | 'service'
  >
> = z.object({
  sender: z.string().min(1),
  id: z.string().min(1),
  environment: z.string(),
  sha: z.string(),
  status: z.enum(['success', 'failure', 'error', 'in_progress', 'cancelled']),
  finished_at: isoTime,
  lead_time_ms: ms.nullable(),
  service: z.string().nullable(),
});

const incidentSchema: z.ZodType<
  Pick<
    IncidentOutput,
    'issue_id' | 'opened_at' | 'closed_at' | 'labels' | 'linked_sha' | 'linked_deployment_id'
  >
> = z.object({
  issue_id: z.string().min(1),
  opened_at: isoTime,
  closed_at: isoTime.nullable(),
  labels: z.array(z.string()),
  linked_sha: z.string().nullable(),
  linked_deployment_id: z.string().nullable(),
});

const pushIncidentSchema: z.ZodType<
  Pick<
    PushIncidentOutput,
    'sender' | 'id' | 'opened_at' | 'resolved_at' | 'service' | 'sha' | 'deployment_id'
  >
> = z.object({
  sender: z.string().min(1),
  id: z.string().min(1),
  opened_at: isoTime,
  resolved_at: isoTime.nullable(),
  service: z.string().nullable(),
  sha: z.string().nullable(),
  deployment_id: z.string().nullable(),
});

type Stages = PullRequestOutput['stages'];

const pullRequestSchema: z.ZodType<
  Pick<
    PullRequestOutput,
    | 'outcome'
    | 'title'
    | 'author_is_bot'
    | 'into_default_branch'
    | 'labels'
    | 'merged_at'
    | 'first_review_at'
    | 'additions'
    | 'deletions'
    | 'reviews'
  > & { stages: Pick<Stages, 'coding_ms' | 'pickup_ms' | 'review_ms' | 'merge_ms' | 'cycle_ms'> }
> = z.object({
  outcome: z.enum(['merged', 'closed']),
  title: z.string(),
  author_is_bot: z.boolean(),
  into_default_branch: z.boolean(),
  labels: z.array(z.string()),
  merged_at: isoTime.nullable(),
  first_review_at: isoTime.nullable(),
  additions: z.number().int().min(0),
  deletions: z.number().int().min(0),
  reviews: z.number().int().min(0).nullable(),
  stages: z.object({
    coding_ms: ms.nullable(),
    pickup_ms: ms.nullable(),
    review_ms: ms.nullable(),
    merge_ms: ms.nullable(),
    cycle_ms: ms.nullable(),
  }),
});

const workflowJobSchema: z.ZodType<
  Pick<
    WorkflowJobOutput,
    'run_id' | 'run_attempt' | 'workflow_name' | 'job_name' | 'conclusion' | 'queue_ms' | 'duration_ms'
  >
> = z.object({
  run_id: z.string().min(1),
  run_attempt: z.number().int().positive(),
  workflow_name: z.string().nullable(),
  job_name: z.string(),
  conclusion: z.string().nullable(),
  queue_ms: ms.nullable(),
  duration_ms: ms,
});

const workflowRunSchema: z.ZodType<
  Pick<
    WorkflowRunOutput,
    | 'run_id'
    | 'run_attempt'
    | 'workflow_id'
    | 'workflow_name'
    | 'workflow_path'
    | 'conclusion'
    | 'queue_ms'
    | 'duration_ms'
  >
> = z.object({
  run_id: z.string().min(1),
  run_attempt: z.number().int().positive(),
  workflow_id: z.string(),
  workflow_name: z.string().nullable(),
  workflow_path: z.string().nullable(),
  conclusion: z.string().nullable(),
  queue_ms: ms.nullable(),
  duration_ms: ms,
});

interface FactBase {
  owner: string;
  repo: string;
  /** occurred_at, epoch ms. */
  at: number;
}

/** A deployment outcome: one GitHub deployment status, or one pushed deployment. */
export interface DeploymentStatusFact extends FactBase {
  kind: 'deployment';
  /** Groups the statuses of one deployment: `github:<deployment id>` or `push:<sender>:<id>`. */
  deployment: string;
  /** The id the incidents may name: GitHub's deployment id, or the sender's id. */
  deploymentId: string;
  state: string;
  environment: string;
  production: boolean | null;
  sha: string;
  service: string | null;
  leadTimeMs: number | null;
  /** Commits shipped; null when the record does not say (pushes, non-success states). */
  commitCount: number | null;
}

export interface IncidentFact extends FactBase {
  kind: 'incident';
  /** One incident across its opened/closed (resolved) records: `issue:<id>` or `push:<sender>:<id>`. */
  incident: string;
  openedAt: number;
  resolvedAt: number | null;
  labels: string[];
  service: string | null;
  linkedSha: string | null;
  linkedDeploymentId: string | null;
}

export interface PullRequestFact extends FactBase {
  kind: 'pull-request';
  merged: boolean;
  revert: boolean;
  intoDefault: boolean;
  bot: boolean;
  labels: string[];
  /** null when unknown: a partial record whose reviews could not be read. */
  reviewed: boolean | null;
  size: number;
  coding: number | null;
  pickup: number | null;
  review: number | null;
  merge: number | null;
  cycle: number | null;
}

export interface WorkflowJobFact extends FactBase {
  kind: 'workflow-job';
  runId: string;
  workflow: string | null;
  jobName: string;
  conclusion: string | null;
  queueMs: number | null;
  durationMs: number;
}

export interface WorkflowRunFact extends FactBase {
  kind: 'workflow-run';
  runId: string;
  attempt: number;
  workflowId: string;
  workflow: string | null;
  path: string | null;
  conclusion: string | null;
  queueMs: number | null;
  durationMs: number;
}

/** A finished run of another system's pipeline (`pipeline-run`); `source` is its sender. */
export interface PipelineRunFact extends FactBase {
  kind: 'pipeline-run';
  source: string;
  pipeline: string;
  conclusion: string;
  queueMs: number | null;
  durationMs: number | null;
}

export type Fact =
  | DeploymentStatusFact
  | IncidentFact
  | PullRequestFact
  | WorkflowJobFact
  | WorkflowRunFact
  | PipelineRunFact;

/** The metrics the report reads; other metric folders are not opened. */
export const REPORTED_METRICS = [
  'deployment-status',
  'push-deployment',
  'incident',
  'push-incident',
  'pull-request',
  'workflow-job',
  'workflow-run',
  'pipeline-run',
] as const;

export type ReportedMetric = (typeof REPORTED_METRICS)[number];

export function isReportedMetric(metric: string): metric is ReportedMetric {
  return (REPORTED_METRICS as readonly string[]).includes(metric);
}

export interface FactOptions {
  revertPattern: RegExp;
}

/** Turns a validated envelope into its fact, or throws a ZodError naming the bad output field. */
export function toFact(record: MetricRecord<Record<string, unknown>>, options: FactOptions): Fact {
  const base = { owner: record.owner, repo: record.repo, at: Date.parse(record.occurred_at) };
  switch (record.metric as ReportedMetric) {
    case 'deployment-status': {
      const o = deploymentStatusSchema.parse(record.output);
      return {
        ...base,
        kind: 'deployment',
        deployment: `github:${o.deployment_id}`,
        deploymentId: o.deployment_id,
        state: o.state,
        environment: o.environment,
        production: o.production,
        sha: o.sha,
        service: null,
        at: Date.parse(o.status_created_at),
        leadTimeMs: o.shipped?.lead_time_ms ?? null,
        commitCount: o.shipped ? o.shipped.commit_count : null,
      };
    }
    case 'push-deployment': {
      const o = pushDeploymentSchema.parse(record.output);
      return {
        ...base,
        kind: 'deployment',
        deployment: `push:${o.sender}:${o.id}`,
        deploymentId: o.id,
        state: o.status,
        environment: o.environment,
        production: null,
        sha: o.sha,
        service: o.service,
        at: Date.parse(o.finished_at),
        leadTimeMs: o.lead_time_ms,
        commitCount: null,
      };
    }
    case 'incident': {
      const o = incidentSchema.parse(record.output);
      return {
        ...base,
        kind: 'incident',
        incident: `issue:${o.issue_id}`,
        openedAt: Date.parse(o.opened_at),
        resolvedAt: o.closed_at ? Date.parse(o.closed_at) : null,
        labels: o.labels,
        service: null,
        linkedSha: o.linked_sha,
        linkedDeploymentId: o.linked_deployment_id,
      };
    }
    case 'push-incident': {
      const o = pushIncidentSchema.parse(record.output);
      return {
        ...base,
        kind: 'incident',
        incident: `push:${o.sender}:${o.id}`,
        openedAt: Date.parse(o.opened_at),
        resolvedAt: o.resolved_at ? Date.parse(o.resolved_at) : null,
        labels: [],
        service: o.service,
        linkedSha: o.sha,
        linkedDeploymentId: o.deployment_id,
      };
    }
    case 'pull-request': {
      const o = pullRequestSchema.parse(record.output);
      const merged = o.outcome === 'merged';
      return {
        ...base,
        kind: 'pull-request',
        merged,
        revert: merged && options.revertPattern.test(o.title),
        intoDefault: o.into_default_branch,
        bot: o.author_is_bot,
        labels: o.labels,
        reviewed: o.first_review_at !== null || (o.reviews === null ? null : o.reviews > 0),
        size: o.additions + o.deletions,
        coding: o.stages.coding_ms,
        pickup: o.stages.pickup_ms,
        review: o.stages.review_ms,
        merge: o.stages.merge_ms,
        cycle: o.stages.cycle_ms,
        at: o.merged_at ? Date.parse(o.merged_at) : base.at,
      };
    }
    case 'workflow-job': {
      const o = workflowJobSchema.parse(record.output);
      return {
        ...base,
        kind: 'workflow-job',
        runId: o.run_id,
        workflow: o.workflow_name,
        jobName: o.job_name,
        conclusion: o.conclusion,
        queueMs: o.queue_ms,
        durationMs: o.duration_ms,
      };
    }
    case 'workflow-run': {
      const o = workflowRunSchema.parse(record.output);
      return {
        ...base,
        kind: 'workflow-run',
        runId: o.run_id,
        attempt: o.run_attempt,
        workflowId: o.workflow_id,
        workflow: o.workflow_name,
        path: o.workflow_path,
        conclusion: o.conclusion,
        queueMs: o.queue_ms,
        durationMs: o.duration_ms,
      };
    }
    case 'pipeline-run': {
      const o = pipelineRunSchema.parse(record.output);
      return {
        ...base,
        kind: 'pipeline-run',
        source: o.sender,
        pipeline: o.pipeline,
        conclusion: o.status,
        queueMs: o.queue_ms,
        durationMs: o.duration_ms,
      };
    }
    default:
      throw new Error(`metric ${record.metric} is not reported`);
  }
}

/**
 * `toFact` in SQL: what DuckDB computes for every record it reads itself (partition rows, hot and
 * first-layout files), so no valid record passes through JS. It reads a relation with the envelope columns
 * (`id`, `owner`, `repo`, `occurred_at`, `status`, `revision`) and `output` typed by the metric's column
 * declaration (src/data/columns.ts); `valid` mirrors the metric's schema above (a row it refuses is judged
 * by `toFact`, so its warning is the same whichever way it was read), `values` are the fact's columns in
 * its source table (src/report/fact-tables.ts, src/report/ci.ts). test/report/facts-sql.test.ts checks that
 * the two definitions agree on the example records.
 */
export interface FactSql {
  /** The source table the facts go to. */
  table: string;
  /** The output fields the fact reads, with their declared columns (a file is parsed into these only). */
  fields: Fields;
  /** Whether the output holds what the fact needs (the schema above), as a SQL predicate. */
  valid: string;
  /** Column of the source table → its SQL, envelope standing excluded (`at_ms` included). */
  values: Record<string, string>;
}

const o = (field: string) => `output."${field}"`;
// Compared with '' rather than measured: `length` counts characters, reading every byte of every value.
const nonEmpty = (field: string) => `${o(field)} <> ''`;
const present = (...fields: string[]) => fields.map((f) => `${o(f)} IS NOT NULL`).join(' AND ');
const oneOf = (field: string, values: readonly string[]) =>
  `${o(field)} IN (${values.map((v) => `'${v}'`).join(', ')})`;
const strings = (field: string) =>
  `${o(field)} IS NOT NULL AND len(list_filter(${o(field)}, lambda x: x IS NULL)) = 0`;
const epochMs = (sql: string) => `epoch_ms(${sql})::DOUBLE`;
const AT = epochMs('occurred_at');

const pick = (metric: ReportedMetric, names: readonly string[], nested: Fields = {}): Fields => {
  const declared = OUTPUT_COLUMNS[metric] as Fields;
  return Object.fromEntries(names.map((n) => [n, nested[n] ?? (declared[n] as ColumnType)]));
};

/**
 * Each reported metric's fact in SQL. `revert` is the SQL that says whether a merged pull request's
 * `output.title` is a revert (the settings' pattern, src/report/read.ts).
 */
export function factSql(metric: ReportedMetric, revert: string): FactSql {
  switch (metric) {
    case 'deployment-status':
      return {
        table: FACT_TABLES.deployment.src,
        fields: pick(
          metric,
          ['deployment_id', 'state', 'environment', 'production', 'sha', 'status_created_at', 'shipped'],
          { shipped: { struct: { commit_count: 'int', lead_time_ms: 'ms' } } },
        ),
        valid: `${nonEmpty('deployment_id')} AND ${present('state', 'environment', 'sha', 'status_created_at')}
          AND (${o('shipped')} IS NULL OR coalesce(${o('shipped')}.commit_count >= 0, false))`,
        values: {
          at_ms: epochMs(o('status_created_at')),
          deployment: `'github:' || ${o('deployment_id')}`,
          deployment_id: o('deployment_id'),
          state: o('state'),
          environment: o('environment'),
          production: o('production'),
          sha: o('sha'),
          service: 'NULL',
          lead_time_ms: `${o('shipped')}.lead_time_ms::DOUBLE`,
          commit_count: `${o('shipped')}.commit_count`,
        },
      };
    case 'push-deployment':
      return {
        table: FACT_TABLES.deployment.src,
        fields: pick(metric, [
          'sender',
          'id',
          'environment',
          'sha',
          'status',
          'finished_at',
          'lead_time_ms',
          'service',
        ]),
        valid: `${nonEmpty('sender')} AND ${nonEmpty('id')} AND ${present('environment', 'sha', 'finished_at')}
          AND ${oneOf('status', ['success', 'failure', 'error', 'in_progress', 'cancelled'])}`,
        values: {
          at_ms: epochMs(o('finished_at')),
          deployment: `'push:' || ${o('sender')} || ':' || ${o('id')}`,
          deployment_id: o('id'),
          state: o('status'),
          environment: o('environment'),
          production: 'NULL',
          sha: o('sha'),
          service: o('service'),
          lead_time_ms: `${o('lead_time_ms')}::DOUBLE`,
          commit_count: 'NULL',
        },
      };
    case 'incident':
      return {
        table: FACT_TABLES.incident.src,
        fields: pick(metric, [
          'issue_id',
          'opened_at',
          'closed_at',
          'labels',
          'linked_sha',
          'linked_deployment_id',
        ]),
        valid: `${nonEmpty('issue_id')} AND ${present('opened_at')} AND ${strings('labels')}`,
        values: {
          at_ms: AT,
          incident: `'issue:' || ${o('issue_id')}`,
          opened_at_ms: epochMs(o('opened_at')),
          resolved_at_ms: epochMs(o('closed_at')),
          labels: o('labels'),
          service: 'NULL',
          linked_sha: o('linked_sha'),
          linked_deployment_id: o('linked_deployment_id'),
        },
      };
    case 'push-incident':
      return {
        table: FACT_TABLES.incident.src,
        fields: pick(metric, ['sender', 'id', 'opened_at', 'resolved_at', 'service', 'sha', 'deployment_id']),
        valid: `${nonEmpty('sender')} AND ${nonEmpty('id')} AND ${present('opened_at')}`,
        values: {
          at_ms: AT,
          incident: `'push:' || ${o('sender')} || ':' || ${o('id')}`,
          opened_at_ms: epochMs(o('opened_at')),
          resolved_at_ms: epochMs(o('resolved_at')),
          labels: '[]::VARCHAR[]',
          service: o('service'),
          linked_sha: o('sha'),
          linked_deployment_id: o('deployment_id'),
        },
      };
    case 'pull-request': {
      const merged = `${o('outcome')} = 'merged'`;
      return {
        table: FACT_TABLES.pull_request.src,
        fields: pick(metric, [
          'outcome',
          'title',
          'author_is_bot',
          'into_default_branch',
          'labels',
          'merged_at',
          'first_review_at',
          'additions',
          'deletions',
          'reviews',
          'stages',
        ]),
        valid: `${oneOf('outcome', ['merged', 'closed'])} AND ${present('title', 'author_is_bot', 'into_default_branch', 'stages')}
          AND ${strings('labels')} AND coalesce(${o('additions')} >= 0 AND ${o('deletions')} >= 0, false)
          AND coalesce(${o('reviews')} >= 0, true)`,
        values: {
          at_ms: `coalesce(${epochMs(o('merged_at'))}, ${AT})`,
          merged,
          revert: `${merged} AND coalesce(${revert}, false)`,
          into_default: o('into_default_branch'),
          bot: o('author_is_bot'),
          labels: o('labels'),
          reviewed: `${o('first_review_at')} IS NOT NULL OR ${o('reviews')} > 0`,
          size: `(${o('additions')} + ${o('deletions')})::DOUBLE`,
          coding_ms: `${o('stages')}.coding_ms::DOUBLE`,
          pickup_ms: `${o('stages')}.pickup_ms::DOUBLE`,
          review_ms: `${o('stages')}.review_ms::DOUBLE`,
          merge_ms: `${o('stages')}.merge_ms::DOUBLE`,
          cycle_ms: `${o('stages')}.cycle_ms::DOUBLE`,
        },
      };
    }
    case 'workflow-job':
      return {
        table: 'ci_job_src',
        fields: pick(metric, [
          'run_id',
          'run_attempt',
          'workflow_name',
          'job_name',
          'conclusion',
          'queue_ms',
          'duration_ms',
        ]),
        valid: `${nonEmpty('run_id')} AND coalesce(${o('run_attempt')} > 0, false) AND ${present('job_name', 'duration_ms')}`,
        values: {
          at_ms: AT,
          run_id: o('run_id'),
          workflow: o('workflow_name'),
          job_name: o('job_name'),
          conclusion: o('conclusion'),
          queue_ms: `${o('queue_ms')}::DOUBLE`,
          duration_ms: `${o('duration_ms')}::DOUBLE`,
        },
      };
    case 'workflow-run':
      return {
        table: 'ci_run_src',
        fields: pick(metric, [
          'run_id',
          'run_attempt',
          'workflow_id',
          'workflow_name',
          'workflow_path',
          'conclusion',
          'queue_ms',
          'duration_ms',
        ]),
        valid: `${nonEmpty('run_id')} AND coalesce(${o('run_attempt')} > 0, false) AND ${present('workflow_id', 'duration_ms')}`,
        values: {
          at_ms: AT,
          run_id: o('run_id'),
          attempt: o('run_attempt'),
          workflow_id: o('workflow_id'),
          workflow: o('workflow_name'),
          path: o('workflow_path'),
          conclusion: o('conclusion'),
          queue_ms: `${o('queue_ms')}::DOUBLE`,
          duration_ms: `${o('duration_ms')}::DOUBLE`,
        },
      };
    case 'pipeline-run':
      return {
        table: FACT_TABLES.pipeline_run.src,
        fields: pick(metric, ['sender', 'pipeline', 'status', 'queue_ms', 'duration_ms']),
        valid: `${nonEmpty('sender')} AND ${nonEmpty('pipeline')}
          AND ${oneOf('status', ['queued', 'in_progress', 'success', 'failure', 'cancelled', 'skipped', 'timed_out'])}`,
        values: {
          at_ms: AT,
          source: o('sender'),
          pipeline: o('pipeline'),
          conclusion: o('status'),
          queue_ms: `${o('queue_ms')}::DOUBLE`,
          duration_ms: `${o('duration_ms')}::DOUBLE`,
        },
      };
  }
}
