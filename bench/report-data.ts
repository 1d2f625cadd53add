import { configSchema } from '../src/config/config';
import type { DeploymentStatusOutput } from '../src/metrics/deployment-status/output';
import type { IncidentOutput } from '../src/metrics/incident/output';
import type { PullRequestOutput } from '../src/metrics/pull-request/output';
import type { PushDeploymentOutput } from '../src/metrics/push-deployment/output';
import type { PushIncidentOutput } from '../src/metrics/push-incident/output';
import type { WorkflowJobOutput } from '../src/metrics/workflow-job';
import type { WorkflowRunOutput } from '../src/metrics/workflow-run/output';
import { recordId } from '../src/pipeline/record';
import type { MetricRecord } from '../src/pipeline/types';
import { FileStore } from '../src/store/file-store';
import type { Store } from '../src/store/types';

/**
 * A realistic data directory for the report benchmark: 40 repositories, 90 days, and this mix of records
 * (per 100,000): workflow-job 45%, workflow-run 20%, pull-request 15%, deployment-status 14% (two statuses
 * per deployment), push-deployment 3%, incident 2%, push-incident 1%. Deterministic (seeded).
 */
export const MIX: [string, number][] = [
  ['workflow-job', 0.45],
  ['workflow-run', 0.2],
  ['pull-request', 0.15],
  ['deployment-status', 0.14],
  ['push-deployment', 0.03],
  ['incident', 0.02],
  ['push-incident', 0.01],
];

const H = 3_600_000;
const M = 60_000;

/**
 * A data directory of `total` hot records over `days` before `until`, nothing compacted: generated day by
 * day, each day's records written as the deployed worker hands them to the store (`writeAsWorker`).
 */
export async function generateDataDir(
  root: string,
  total: number,
  until: number,
  days = 90,
): Promise<number> {
  const clock: WorkerClock = { now: 0 };
  const store = new FileStore(root, { now: () => clock.now });
  let written = 0;
  for (let d = 0; d < days; d++) {
    const dayEnd = until - (days - 1 - d) * 86_400_000;
    const records: MetricRecord<unknown>[] = [];
    written += generateRecords(Math.round(total / days), dayEnd, 1, (r) => records.push(r), `d${d}:`);
    await writeAsWorker(store, records, clock);
  }
  return written;
}

/** SQS hands a busy queue's messages to at least this many pollers, each batching on its own (bench/soak.bench.ts). */
const POLLERS = 5;

/** The simulated time of the writes, which the store's clock reads (`FileStore` option `now`). */
export interface WorkerClock {
  now: number;
}

/**
 * Writes `records` through `store` in the batches the deployed worker would: by arrival (`received_at`),
 * spread over the pollers, each poller's batch closing at the configured batch size or batching window
 * (`configSchema` defaults, the configuration the CDK app reads), and `clock` set to when each batch is
 * written (its window's end, or the arrival that filled it), so the store sees hours close as they would.
 * So the hot tier holds the packs a deployment's store writes, not one pack per hour that no deployment
 * would write.
 */
export async function writeAsWorker(
  store: Store,
  records: MetricRecord<unknown>[],
  clock: WorkerClock,
): Promise<number> {
  const worker = configSchema.parse({ instance: 'bench' }).aws.worker;
  const windowMs = worker.maxBatchingWindowSeconds * 1000;
  records.sort((a, b) => Date.parse(a.received_at) - Date.parse(b.received_at));
  const open: { started: number; records: MetricRecord<unknown>[] }[] = Array.from(
    { length: POLLERS },
    () => ({
      started: 0,
      records: [],
    }),
  );
  let batches = 0;
  const flush = async (batch: { started: number; records: MetricRecord<unknown>[] }, at: number) => {
    if (batch.records.length === 0) return;
    clock.now = Math.max(clock.now, at);
    await store.write(batch.records as MetricRecord[]);
    batches += 1;
    batch.records = [];
  };
  let next = 0;
  for (const record of records) {
    const at = Date.parse(record.received_at);
    const batch = open[next] as (typeof open)[number];
    next = (next + 1) % POLLERS;
    if (batch.records.length > 0 && at - batch.started >= windowMs)
      await flush(batch, batch.started + windowMs);
    if (batch.records.length === 0) batch.started = at;
    batch.records.push(record);
    if (batch.records.length >= worker.batchSize) await flush(batch, at);
  }
  for (const batch of open) await flush(batch, batch.started + windowMs);
  return batches;
}

/**
 * The reference mix's records, handed to `emit` one by one (occurred_at uniform over `days` before
 * `until`); returns how many. The report and growth benchmarks both use it.
 */
export function generateRecords(
  total: number,
  until: number,
  days: number,
  emit: (record: MetricRecord<unknown>) => void,
  /** Prefixed to every natural key, so several generated slices (one per day) have distinct ids. */
  keyPrefix = '',
): number {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const int = (max: number) => Math.floor(random() * max);
  const pickOf = <T>(list: readonly T[]) => list[int(list.length)] as T;
  const iso = (ms: number) => new Date(ms).toISOString();
  const repos = Array.from({ length: 40 }, (_, i) => ({
    owner: i < 30 ? 'acme' : 'globex',
    repo: `service-${i}`,
  }));
  const start = until - days * 86_400_000;
  const when = () => start + int(days * 86_400_000);
  let written = 0;

  const write = (
    metric: string,
    key: string,
    repo: { owner: string; repo: string },
    at: number,
    output: object,
  ) => {
    const record: MetricRecord<object> = {
      id: recordId(metric, `${keyPrefix}${key}`),
      schema_version: 1,
      metric,
      trigger: `bench::${metric}`,
      collected_by: random() < 0.9 ? 'webhook' : 'backfill',
      delivery_id: `d-${written}`,
      owner: repo.owner,
      repo: repo.repo,
      occurred_at: iso(at),
      received_at: iso(at + 1000),
      collected_at: iso(at + 1200),
      status: random() < 0.97 ? 'complete' : 'partial',
      errors: [],
      collector_version: '0.1.0',
      output,
    };
    emit(record as MetricRecord<unknown>);
    written += 1;
  };

  const conclusion = () => (random() < 0.85 ? 'success' : random() < 0.7 ? 'failure' : 'cancelled');
  const counts = MIX.map(([metric, share]) => [metric, Math.round(total * share)] as const);
  for (const [metric, count] of counts) {
    for (let i = 0; i < count; i++) {
      const repo = pickOf(repos);
      const at = when();
      switch (metric) {
        case 'workflow-job': {
          const duration = 30_000 + int(20 * M);
          const output: WorkflowJobOutput = {
            job_id: String(9_000_000_000 + i),
            run_id: String(5_000_000_000 + int(20_000)),
            run_attempt: random() < 0.05 ? 2 : 1,
            workflow_name: pickOf(['CI', 'Build', 'Release', 'Lint']),
            job_name: pickOf(['test', 'build', 'lint', 'e2e', 'deploy']),
            conclusion: conclusion(),
            created_at: iso(at - duration - 20_000),
            started_at: iso(at - duration),
            completed_at: iso(at),
            queue_ms: int(60_000),
            duration_ms: duration,
            runner_name: 'GitHub Actions 2',
            runner_group_name: 'GitHub Actions',
            labels: ['ubuntu-latest'],
            head_branch: 'main',
            head_sha: 'a'.repeat(40),
            html_url: null,
            steps: { count: 5, by_conclusion: { success: 5 }, slowest: null, list: [] },
          };
          write(metric, `${output.job_id}:${output.run_attempt}`, repo, at, output);
          break;
        }
        case 'workflow-run': {
          const duration = 60_000 + int(40 * M);
          const workflow = pickOf(['CI', 'Build', 'Release', 'Lint']);
          const output: WorkflowRunOutput = {
            run_id: String(5_000_000_000 + i),
            run_attempt: random() < 0.06 ? 2 : 1,
            run_number: i,
            workflow_id: String(100 + workflow.length),
            workflow_name: workflow,
            workflow_path: `.github/workflows/${workflow.toLowerCase()}.yml`,
            event: 'push',
            conclusion: conclusion(),
            head_branch: 'main',
            head_sha: 'b'.repeat(40),
            actor: 'dev',
            triggering_actor: 'dev',
            created_at: iso(at - duration - 30_000),
            run_started_at: iso(at - duration),
            completed_at: iso(at),
            queue_ms: int(90_000),
            duration_ms: duration,
            pull_requests: [],
          };
          write(metric, `${output.run_id}:${output.run_attempt}`, repo, at, output);
          break;
        }
        case 'pull-request': {
          const coding = int(48 * H);
          const pickup = int(24 * H);
          const review = int(12 * H);
          const merge = int(6 * H);
          const merged = random() < 0.85;
          const reviewed = random() < 0.9;
          const output: PullRequestOutput = {
            pull_request_id: String(7_000_000 + i),
            number: i,
            title: random() < 0.02 ? 'Revert "feature"' : `Change ${i}`,
            author: 'dev',
            author_is_bot: random() < 0.1,
            outcome: merged ? 'merged' : 'closed',
            base_branch: 'main',
            head_branch: `feature-${i}`,
            head_sha: 'b'.repeat(40),
            into_default_branch: true,
            labels: [],
            draft: false,
            opened_as_draft: false,
            created_at: iso(at - pickup - review - merge),
            closed_at: iso(at),
            merged_at: merged ? iso(at) : null,
            merge_commit_sha: null,
            first_commit_at: iso(at - coding - pickup - review - merge),
            ready_at: null,
            first_review_at: reviewed ? iso(at - review - merge) : null,
            first_approval_at: reviewed ? iso(at - merge) : null,
            time_in_draft_ms: 0,
            additions: int(600),
            deletions: int(200),
            changed_files: 1 + int(20),
            commits: 1 + int(8),
            reviews: reviewed ? 1 + int(3) : 0,
            stages: {
              coding_ms: coding,
              pickup_ms: reviewed ? pickup : null,
              review_ms: reviewed ? review : null,
              merge_ms: merge,
              cycle_ms: coding + pickup + review + merge,
            },
          };
          write(metric, `${output.pull_request_id}:${output.closed_at}`, repo, at, output);
          break;
        }
        case 'deployment-status': {
          // Two statuses per deployment: in_progress, then success or failure.
          const deploymentId = String(3_000_000 + Math.floor(i / 2));
          const final = i % 2 === 1;
          const success = random() < 0.88;
          const state = final ? (success ? 'success' : 'failure') : 'in_progress';
          const environment = random() < 0.7 ? 'production' : 'staging';
          const commits = int(6);
          const output: DeploymentStatusOutput = {
            deployment_id: deploymentId,
            status_id: String(4_000_000 + i),
            state,
            environment,
            production: null,
            ref: 'main',
            sha: 'c'.repeat(40),
            task: 'deploy',
            creator: 'deployer',
            creator_is_bot: false,
            status_creator: 'deployer',
            deployment_created_at: iso(at - 5 * M),
            status_created_at: iso(at),
            deploy_duration_ms: 5 * M,
            shipped:
              state === 'success'
                ? {
                    previous_deployment_id: null,
                    previous_sha: null,
                    baseline: false,
                    compared_commit_count: commits,
                    already_shipped_count: 0,
                    commit_count: commits,
                    first_commit_at: commits > 0 ? iso(at - int(72 * H)) : null,
                    lead_time_ms: commits > 0 ? int(72 * H) : null,
                    pull_requests: [],
                  }
                : null,
          };
          write(metric, output.status_id, repo, at, output);
          break;
        }
        case 'push-deployment': {
          const lead = int(30 * H);
          const output: PushDeploymentOutput = {
            sender: 'jenkins',
            id: `build-${i}`,
            environment: 'prod',
            sha: 'd'.repeat(40),
            status: random() < 0.9 ? 'success' : 'failure',
            started_at: iso(at - 10 * M),
            finished_at: iso(at),
            duration_ms: 10 * M,
            service: `svc-${int(5)}`,
            version: '1.0.0',
            url: null,
            pull_requests: [],
            lead_time_ms: lead,
            first_commit_at: iso(at - lead),
          };
          write(metric, `jenkins:${output.id}`, repo, at, output);
          break;
        }
        case 'incident': {
          const issue = String(8_000_000 + Math.floor(i / 2));
          const opened = at;
          const restore = int(30 * H);
          const closed = i % 2 === 1 && random() < 0.9;
          const output: IncidentOutput = {
            issue_id: issue,
            number: i,
            title: 'Checkout is down',
            event: closed ? 'closed' : 'opened',
            labels: ['incident'],
            severity: 'sev2',
            opened_at: iso(opened),
            closed_at: closed ? iso(opened + restore) : null,
            time_to_restore_ms: closed ? restore : null,
            linked_sha: null,
            linked_deployment_id: null,
            url: null,
          };
          write(metric, `${issue}:${output.event}`, repo, closed ? opened + restore : opened, output);
          break;
        }
        case 'push-incident': {
          const restore = int(10 * H);
          const resolved = random() < 0.8;
          const output: PushIncidentOutput = {
            sender: 'pagerduty',
            id: `P${i}`,
            event: resolved ? 'resolved' : 'opened',
            opened_at: iso(at),
            resolved_at: resolved ? iso(at + restore) : null,
            time_to_restore_ms: resolved ? restore : null,
            severity: 'high',
            title: 'Latency',
            service: `svc-${int(5)}`,
            sha: null,
            deployment_id: null,
            url: null,
          };
          write(metric, `pagerduty:${output.id}:${output.event}`, repo, resolved ? at + restore : at, output);
          break;
        }
      }
    }
  }
  return written;
}
