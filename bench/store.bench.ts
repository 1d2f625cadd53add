import { randomUUID } from 'node:crypto';
import { createStoreClient, type GitHubClient } from '../src/github/client';
import { jsonLogger, silentLogger } from '../src/log/logger';
import { collectedTriggers, metrics } from '../src/metrics/registry';
import { defaultMetricSettings } from '../src/metrics/settings';
import { collectMetrics } from '../src/pipeline/collect-metrics';
import { recordPath, serializeRecord } from '../src/pipeline/record';
import type { MetricRecord, SignedEvent } from '../src/pipeline/types';
import { GitHubRepoStore } from '../src/store/github-repo-store';
import { handleTelemetryRequest } from '../src/webhook/handle-request';
import { processBatch } from '../src/worker/process-batch';
import { type FakeDataRepo, type FakeGitData, gitRoutes } from '../test/fake-github/routes/git';
import { FakeGitHub } from '../test/fake-github/server';
import { seeded, virtualClock } from '../test/store/support';
import { examplesOf, signedDelivery } from '../test/support/webhooks';
import { percentile, round } from './stats';

/**
 * `npm run bench -- store [--events=N] [--batch=N]` (or STORE_BENCH_EVENTS, STORE_BENCH_BATCH).
 *
 * Replays N signed deliveries in the reference mix through the real pipeline (handleTelemetryRequest →
 * queue → processBatch → GitHubRepoStore) against the fake GitHub enforcing GitHub's limits (80 content-
 * creating requests a minute, 500 an hour, 5,000 requests an hour per token) on a virtual clock: deliveries
 * arrive at 100,000 an hour, time moves only when someone waits, so an hour of traffic runs in seconds.
 * The queue is modelled on SQS + the worker Lambda: one worker takes what has arrived (at most --batch
 * events), failed events come back after a visibility timeout and are dead-lettered (lost) after 5 receives.
 * Then the same events once more with 10 % of requests faulted (5xx, timeouts, lost answers) and 10 % of
 * ref updates racing another writer; and the earlier collector's design (one commit per event inside the
 * webhook, no retry: GitHub never redelivers) in the same process for comparison, on the first
 * --baseline-events deliveries (default 2,000). STORE_BENCH_TRACE=1 prints every worker batch.
 */
const EVENTS_PER_HOUR = 100_000;
const START = Date.parse('2026-11-02T09:00:00Z');
const SECRET = 'bench-secret';
const REPOS = 25;
const VISIBILITY_TIMEOUT_MS = 60_000;
const MAX_RECEIVES = 5;

interface Delivery {
  at: number;
  event: string;
  headers: Record<string, string>;
  body: string;
}

interface Figures {
  events: number;
  accepted: number;
  expected_records: number;
  stored: number;
  lost: number;
  duplicates: number;
  commits: number;
  records_per_commit: number;
  content_writes: number;
  content_writes_per_hour_peak: number;
  /** Content-creating requests per hour from minute 5 (after the start-up burst) to the end of the run. */
  content_writes_per_hour_steady: number;
  refused_by_github: number;
  requests: number;
  requests_per_event: number;
  simulated_minutes: number;
  /** Time from the last delivery's arrival until everything was stored (the backlog's drain). */
  drain_s_after_last_arrival: number;
  /** Events an hour the store absorbs at this run's writes per commit with full batches, within 450 writes/h. */
  capacity_events_per_hour: number;
  latency_p50_s: number;
  latency_max_s: number;
  backlog_max_events: number;
  largest_batch_events: number;
  largest_batch_mb: number;
  dead_lettered: number;
}

export async function run(): Promise<Record<string, unknown>> {
  const events = option('events', 'STORE_BENCH_EVENTS', 20_000);
  const batch = option('batch', 'STORE_BENCH_BATCH', 1_000);
  // The baseline fails fast and keeps failing; its first deliveries show its behaviour (runtime stays short).
  const baselineEvents = Math.min(events, option('baseline-events', 'STORE_BENCH_BASELINE_EVENTS', 2_000));
  process.stdout.write(
    `store: ${events} deliveries at ${EVENTS_PER_HOUR}/h, worker batches of at most ${batch}\n`,
  );
  let started = Date.now();
  const lap = (what: string) => {
    process.stdout.write(`  ${what}: ${round((Date.now() - started) / 1000, 1)} s\n`);
    started = Date.now();
  };
  const deliveries = await makeDeliveries(events, seeded(42));
  lap('deliveries signed');
  const expected = await expectedRecords(deliveries);
  lap('expected records');

  const clean = await pipelineRun(deliveries, expected, { batch, faults: false, seed: 1 });
  lap('pipeline');
  report('clean', clean);
  const sample = deliveries.slice(0, baselineEvents);
  const sampleExpected = await expectedRecords(sample);
  const baseline = await baselineRun(sample, sampleExpected, { faults: false, seed: 3 });
  lap('baseline');
  report('baseline (one commit per event)', baseline);
  const faulty = await pipelineRun(deliveries, expected, { batch, faults: true, seed: 2 });
  lap('pipeline with faults');
  report('10% faults', faulty);
  const faultyBaseline = await baselineRun(sample, sampleExpected, { faults: true, seed: 4 });
  lap('baseline with faults');
  report('baseline with 10% faults', faultyBaseline);

  return {
    events_per_hour: EVENTS_PER_HOUR,
    max_batch_events: batch,
    mix: mixCounts(deliveries),
    baseline_events: baselineEvents,
    ...clean,
    baseline_records_per_commit: baseline.records_per_commit,
    baseline_lost: baseline.lost,
    baseline_lost_percent: percent(baseline.lost, baseline.expected_records),
    baseline: baseline,
    faults: {
      ...faulty,
      baseline_records_per_commit: faultyBaseline.records_per_commit,
      baseline_lost: faultyBaseline.lost,
      baseline_lost_percent: percent(faultyBaseline.lost, faultyBaseline.expected_records),
      baseline: faultyBaseline,
    },
  };
}

// ---------------------------------------------------------------------------------------------------------

async function pipelineRun(
  deliveries: readonly Delivery[],
  expected: ReadonlySet<string>,
  options: { batch: number; faults: boolean; seed: number },
): Promise<Figures> {
  const random = seeded(options.seed);
  const world = await fakeWorld(random);
  if (options.faults) injectFaults(world.fake, world.git, random);
  const github = client(world.fake, 'ghp_store');
  const store = new GitHubRepoStore({
    github,
    owner: 'acme',
    repo: 'telemetry-data',
    branch: 'main',
    path: 'data',
    logger: process.env.STORE_BENCH_DEBUG ? jsonLogger({ level: 'debug' }) : silentLogger,
    clock: world.clock,
    random,
    requestTimeoutMs: 2000,
  });
  await store.verify();

  interface Message {
    event: SignedEvent;
    arrivedAt: number;
    visibleAt: number;
    receives: number;
  }
  const queue: Message[] = [];
  const latencies: number[] = [];
  let next = 0;
  let accepted = 0;
  let deadLettered = 0;
  let backlogMax = 0;
  let largestBatch = 0;
  let largestBatchBytes = 0;
  const collected = collectedTriggers(metrics);
  const deps = {
    metrics,
    store,
    logger: silentLogger,
    context: { settings: defaultMetricSettings, now: () => new Date(world.clock.now()) },
  };

  while (next < deliveries.length || queue.length > 0) {
    // The webhook Lambda: everything that arrived by now is verified and queued.
    while (next < deliveries.length && (deliveries[next] as Delivery).at <= world.clock.now()) {
      const delivery = deliveries[next] as Delivery;
      next += 1;
      const response = await handleTelemetryRequest(
        { headers: delivery.headers, body: Buffer.from(delivery.body) },
        {
          webhookSecrets: async () => [SECRET],
          enqueue: async (events) => {
            for (const event of events)
              queue.push({ event, arrivedAt: delivery.at, visibleAt: delivery.at, receives: 0 });
          },
          collected,
          maxBodyBytes: 25 * 1024 * 1024,
          logger: silentLogger,
          now: () => new Date(world.clock.now()),
        },
      );
      if (response.status < 300) accepted += 1;
    }
    backlogMax = Math.max(backlogMax, queue.length);
    // The worker Lambda: one batch of what is visible.
    const now = world.clock.now();
    const batch: Message[] = [];
    for (let i = 0; i < queue.length && batch.length < options.batch; i += 1) {
      const message = queue[i] as Message;
      if (message.visibleAt <= now) batch.push(message);
    }
    if (batch.length === 0) {
      const nextArrival = deliveries[next]?.at ?? Number.POSITIVE_INFINITY;
      const nextVisible = Math.min(...queue.map((m) => m.visibleAt));
      world.clock.advance(Math.max(1, Math.min(nextArrival, nextVisible) - now));
      continue;
    }
    const taken = new Set(batch);
    queue.splice(0, queue.length, ...queue.filter((m) => !taken.has(m)));
    largestBatch = Math.max(largestBatch, batch.length);
    largestBatchBytes = Math.max(
      largestBatchBytes,
      batch.reduce((n, m) => n + JSON.stringify(m.event).length, 0),
    );
    for (const message of batch) message.receives += 1;
    const before = world.clock.now();
    const outcome = await processBatch(
      batch.map((m) => m.event),
      deps,
    );
    if (process.env.STORE_BENCH_TRACE)
      process.stdout.write(
        `t=${round((before - START) / 1000, 1)}s batch=${batch.length} took=${round((world.clock.now() - before) / 1000, 1)}s queued=${queue.length} failed=${outcome.failed.length} used=${store.pacer.usedLastHour}\n`,
      );
    const failed = new Set(outcome.failed.map((f) => f.index));
    batch.forEach((message, index) => {
      if (!failed.has(index)) {
        latencies.push(world.clock.now() - message.arrivedAt);
      } else if (message.receives >= MAX_RECEIVES) {
        deadLettered += 1;
      } else {
        message.visibleAt = world.clock.now() + VISIBILITY_TIMEOUT_MS;
        queue.push(message);
      }
    });
  }

  const figures = await measure(world, 'ghp_store', deliveries.length, accepted, expected);
  const duration = Math.max(1, world.clock.now() - START);
  await world.close();
  return {
    ...figures,
    simulated_minutes: round(duration / 60_000, 1),
    drain_s_after_last_arrival: round((world.clock.now() - lastArrival(deliveries)) / 1000, 1),
    capacity_events_per_hour: Math.round(
      (options.batch * 450) / Math.max(1, figures.content_writes / Math.max(1, figures.commits)),
    ),
    latency_p50_s: round(percentile(latencies, 50) / 1000, 1),
    latency_max_s: round(Math.max(...latencies) / 1000, 1),
    backlog_max_events: backlogMax,
    largest_batch_events: largestBatch,
    largest_batch_mb: round(largestBatchBytes / 2 ** 20, 1),
    dead_lettered: deadLettered,
  };
}

/**
 * The earlier collector: inside the webhook call, one commit per event (GET ref, GET commit, POST tree,
 * POST commit, PATCH ref), no pacing, no retry (GitHub does not redeliver): whatever fails is lost.
 * Deliveries arrive concurrently as GitHub sends them (8 in flight).
 */
async function baselineRun(
  deliveries: readonly Delivery[],
  expected: ReadonlySet<string>,
  options: { faults: boolean; seed: number },
): Promise<Figures> {
  const random = seeded(options.seed);
  const world = await fakeWorld(random);
  if (options.faults) injectFaults(world.fake, world.git, random);
  const github = client(world.fake, 'ghp_baseline');
  const repo = { owner: 'acme', repo: 'telemetry-data' };
  let accepted = 0;
  let next = 0;
  const lane = async () => {
    while (next < deliveries.length) {
      const delivery = deliveries[next] as Delivery;
      next += 1;
      if (delivery.at > world.clock.now()) world.clock.advance(delivery.at - world.clock.now());
      const response = await handleTelemetryRequest(
        { headers: delivery.headers, body: Buffer.from(delivery.body) },
        {
          webhookSecrets: async () => [SECRET],
          enqueue: async (events) => {
            for (const event of events) {
              const { records } = await collectMetrics(event, metrics, {
                settings: defaultMetricSettings,
                now: () => new Date(world.clock.now()),
              });
              for (const record of records) await commitOne(github, repo, record).catch(() => undefined);
            }
          },
          collected: collectedTriggers(metrics),
          maxBodyBytes: 25 * 1024 * 1024,
          logger: silentLogger,
          now: () => new Date(world.clock.now()),
        },
      );
      if (response.status < 300) accepted += 1;
    }
  };
  await Promise.all(Array.from({ length: 8 }, lane));
  const figures = await measure(world, 'ghp_baseline', deliveries.length, accepted, expected);
  const duration = Math.max(1, world.clock.now() - START);
  await world.close();
  return {
    ...figures,
    simulated_minutes: round(duration / 60_000, 1),
    drain_s_after_last_arrival: 0,
    // One commit per event, 3 writes each, at most 450 writes an hour.
    capacity_events_per_hour: 150,
    latency_p50_s: 0,
    latency_max_s: 0,
    backlog_max_events: 0,
    largest_batch_events: 1,
    largest_batch_mb: 0,
    dead_lettered: 0,
  };
}

async function commitOne(
  github: GitHubClient,
  repo: { owner: string; repo: string },
  record: MetricRecord,
): Promise<void> {
  const request = { retries: 0, signal: AbortSignal.timeout(500) };
  const ref = await github.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
    ...repo,
    ref: 'heads/main',
    request,
  });
  const head = await github.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
    ...repo,
    commit_sha: ref.data.object.sha,
    request,
  });
  const tree = await github.request('POST /repos/{owner}/{repo}/git/trees', {
    ...repo,
    base_tree: head.data.tree.sha,
    tree: [
      { path: `data/${recordPath(record)}`, mode: '100644', type: 'blob', content: serializeRecord(record) },
    ],
    request,
  });
  const commit = await github.request('POST /repos/{owner}/{repo}/git/commits', {
    ...repo,
    message: `Add ${record.metric} ${record.id}`,
    tree: tree.data.sha,
    parents: [ref.data.object.sha],
    request,
  });
  await github.request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
    ...repo,
    ref: 'heads/main',
    sha: commit.data.sha,
    force: false,
    request,
  });
}

// ---------------------------------------------------------------------------------------------------------

interface World {
  fake: FakeGitHub;
  git: FakeGitData;
  repo: FakeDataRepo;
  clock: ReturnType<typeof virtualClock>;
  close(): Promise<void>;
}

async function fakeWorld(random: () => number): Promise<World> {
  const clock = virtualClock(START);
  const fake = new FakeGitHub({ now: clock.now, random });
  const git = gitRoutes(fake, { random });
  const repo = await git.createRepo('acme', 'telemetry-data');
  await fake.start();
  return {
    fake,
    git,
    repo,
    clock,
    close: async () => {
      await fake.stop();
    },
  };
}

function client(fake: FakeGitHub, token: string): GitHubClient {
  return createStoreClient({ token, baseUrl: fake.baseUrl, logger: silentLogger });
}

/** 10 % of requests fail (5 % 5xx, 3 % never answered, 2 % handled but the answer lost); 10 % of ref updates race. */
function injectFaults(fake: FakeGitHub, git: FakeGitData, random: () => number): void {
  const always = Number.POSITIVE_INFINITY;
  fake.injectFault({ kind: random() < 0.5 ? '500' : '502', probability: 0.05, times: always });
  fake.injectFault({ kind: 'timeout', probability: 0.03 / 0.95, times: always });
  fake.injectFault({ kind: 'lost-response', probability: 0.02 / 0.92, times: always });
  git.injectRace({ probability: 0.1, times: always });
}

async function measure(
  world: World,
  token: string,
  events: number,
  accepted: number,
  expected: ReadonlySet<string>,
): Promise<
  Omit<
    Figures,
    | 'simulated_minutes'
    | 'drain_s_after_last_arrival'
    | 'capacity_events_per_hour'
    | 'latency_p50_s'
    | 'latency_max_s'
    | 'backlog_max_events'
    | 'largest_batch_events'
    | 'largest_batch_mb'
    | 'dead_lettered'
  >
> {
  const files = await world.git.files(world.repo, 'main');
  const storedIds = new Map<string, number>();
  for (const [path, text] of files) {
    if (!path.startsWith('data/') || !path.endsWith('.json')) continue;
    const record = JSON.parse(text) as MetricRecord;
    storedIds.set(record.id, (storedIds.get(record.id) ?? 0) + 1);
  }
  const writes = await world.git.writesPerPath(world.repo, 'main', 'data/');
  const rewrites = [...writes.values()].reduce((n, c) => n + (c - 1), 0);
  const sameIdTwice = [...storedIds.values()].reduce((n, c) => n + (c - 1), 0);
  const lost = [...expected].filter((id) => !storedIds.has(id)).length;
  const commits = (await world.git.log(world.repo, 'main')).filter(
    (c) => !world.git.foreignCommits.includes(c.oid) && c.message.trim() !== 'Initial commit',
  ).length;
  const mine = world.fake.contentWrites.filter((w) => w.token === token);
  const end = world.clock.now();
  const stored = [...storedIds.keys()].filter((id) => expected.has(id)).length;
  return {
    events,
    accepted,
    expected_records: expected.size,
    stored,
    lost,
    duplicates: rewrites + sameIdTwice,
    commits,
    records_per_commit: commits > 0 ? round(stored / commits, 1) : 0,
    content_writes: mine.length,
    content_writes_per_hour_peak: world.fake.peakContentWrites(3_600_000),
    content_writes_per_hour_steady: steadyRate(mine, START + 300_000, end),
    refused_by_github: world.fake.requests.filter((r) => r.status === 403 || r.status === 429).length,
    requests: world.fake.requests.length,
    requests_per_event: round(world.fake.requests.length / Math.max(1, accepted), 3),
  };
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The reference mix: 70 % workflow_job, 10 % check_suite, 12 % pull_request (a quarter closed), 3 %
 * deployment and deployment_status, 2 % create, 3 % issues. Real payloads with fresh ids, spread over
 * 25 repositories, arriving evenly at 100,000 an hour.
 */
async function makeDeliveries(count: number, random: () => number): Promise<Delivery[]> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const jobs = examplesOf('workflow_job', 'completed');
  const suites = examplesOf('check_suite', 'completed');
  const pulls = examplesOf('pull_request').filter((p) => p.action !== 'closed');
  const closed = examplesOf('pull_request', 'closed');
  const deployments = examplesOf('deployment');
  const statuses = examplesOf('deployment_status');
  const creates = examplesOf('create');
  const issues = examplesOf('issues');
  const out: Delivery[] = [];
  for (let i = 0; i < count; i += 1) {
    const at = START + Math.floor((i * 3_600_000) / EVENTS_PER_HOUR);
    const when = new Date(at).toISOString();
    const id = 90_000_000 + i;
    const roll = random();
    let event: string;
    // biome-ignore lint/suspicious/noExplicitAny: REST payloads edited field by field
    let payload: Record<string, any>;
    if (roll < 0.7) {
      event = 'workflow_job';
      payload = structuredClone(pick(jobs));
      payload.workflow_job.id = id;
      payload.workflow_job.run_id = 40_000_000 + Math.floor(i / 4);
      payload.workflow_job.created_at = new Date(at - 300_000).toISOString();
      payload.workflow_job.started_at = new Date(at - 240_000).toISOString();
      payload.workflow_job.completed_at = when;
    } else if (roll < 0.8) {
      event = 'check_suite';
      payload = structuredClone(pick(suites));
      payload.check_suite.id = id;
      payload.check_suite.updated_at = when;
    } else if (roll < 0.92) {
      event = 'pull_request';
      payload = structuredClone(random() < 0.25 ? pick(closed) : pick(pulls));
      payload.pull_request.id = id;
      payload.pull_request.number = 1 + (i % 5000);
    } else if (roll < 0.95) {
      const isStatus = random() < 0.5;
      event = isStatus ? 'deployment_status' : 'deployment';
      payload = structuredClone(pick(isStatus ? statuses : deployments));
      payload.deployment.id = id;
      if (isStatus) payload.deployment_status.id = id;
    } else if (roll < 0.97) {
      event = 'create';
      payload = structuredClone(pick(creates));
      payload.ref_type = random() < 0.5 ? 'tag' : 'branch';
      payload.ref = payload.ref_type === 'tag' ? `v1.${i}.0` : `feature/${i}`;
    } else {
      event = 'issues';
      payload = structuredClone(pick(issues));
      payload.issue.id = id;
    }
    const n = i % REPOS;
    if (payload.repository) {
      payload.repository.name = `service-${String(n).padStart(2, '0')}`;
      payload.repository.full_name = `acme/${payload.repository.name}`;
      payload.repository.id = 500_000 + n;
      if (payload.repository.owner) payload.repository.owner.login = 'acme';
    }
    const signed = await signedDelivery(event, payload, SECRET, randomUUID());
    out.push({ at, event, headers: signed.headers, body: signed.body });
  }
  return out;
}

/** The record ids the deliveries must produce, computed once, apart from the runs. */
async function expectedRecords(deliveries: readonly Delivery[]): Promise<Set<string>> {
  const ids = new Set<string>();
  const collected = collectedTriggers(metrics);
  for (const delivery of deliveries) {
    await handleTelemetryRequest(
      { headers: delivery.headers, body: Buffer.from(delivery.body) },
      {
        webhookSecrets: async () => [SECRET],
        enqueue: async (events) => {
          for (const event of events) {
            const { records } = await collectMetrics(event, metrics, {
              settings: defaultMetricSettings,
              now: () => new Date(START),
            });
            for (const record of records) ids.add(record.id);
          }
        },
        collected,
        maxBodyBytes: 25 * 1024 * 1024,
        logger: silentLogger,
      },
    );
  }
  return ids;
}

function lastArrival(deliveries: readonly Delivery[]): number {
  return (deliveries.at(-1) as Delivery).at;
}

/** The pace of writes between `from` and `to`, per hour (0 when under five minutes: too short to tell). */
function steadyRate(writes: readonly { at: number }[], from: number, to: number): number {
  const times = writes.map((w) => w.at).filter((t) => t >= from && t <= to);
  const first = times[0];
  const last = times.at(-1);
  if (first === undefined || last === undefined || last - first < 300_000) return 0;
  return Math.round(((times.length - 1) * 3_600_000) / (last - first));
}

function percent(part: number, whole: number): number {
  return whole > 0 ? round((100 * part) / whole, 1) : 0;
}

function mixCounts(deliveries: readonly Delivery[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const d of deliveries) counts[d.event] = (counts[d.event] ?? 0) + 1;
  return counts;
}

function report(name: string, f: Figures): void {
  process.stdout.write(
    `${name}: ${f.accepted}/${f.events} accepted, ${f.stored}/${f.expected_records} records stored, ${f.lost} lost, ` +
      `${f.duplicates} duplicates, ${f.commits} commits (${f.records_per_commit} records each), ` +
      `${f.content_writes} content writes (peak ${f.content_writes_per_hour_peak}/h), ` +
      `${f.requests_per_event} requests/event, ${f.simulated_minutes} simulated min, ` +
      `drain ${f.drain_s_after_last_arrival} s, capacity ${f.capacity_events_per_hour} events/h\n`,
  );
}

function option(name: string, variable: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const raw = arg ? arg.slice(name.length + 3) : process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} (${variable}) must be a positive whole number`);
  return value;
}
