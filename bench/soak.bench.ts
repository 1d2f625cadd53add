import { randomUUID } from 'node:crypto';
import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createLambdaLogger } from '../lambda/adapters/logger';
import type { ClaimCheckStore } from '../lambda/adapters/s3-claim-check';
import { delayMessages, requeueMessage, SqsEventQueue } from '../lambda/adapters/sqs-queue';
import { createWorkerHandler } from '../lambda/worker';
import { VISIBILITY_TIMEOUT_FACTOR } from '../lib/event-queue';
import { FRONT_DOOR, type FrontDoor } from '../lib/webhook-api';
import { configSchema, type TelemetryConfig } from '../src/config/config';
import { INDEX_SUFFIX, PACK_SUFFIX, parseDataPath } from '../src/data/layout';
import { indexEntryContent, packLines, packRecords } from '../src/data/packs';
import { createStoreClient, type GitHubClient } from '../src/github/client';
import { silentLogger } from '../src/log/logger';
import { collectedTriggers, metrics } from '../src/metrics/registry';
import { collectMetrics } from '../src/pipeline/collect-metrics';
import { recordPath } from '../src/pipeline/record';
import type { MetricRecord, SignedEvent } from '../src/pipeline/types';
import { githubRepoStoreFromConfig } from '../src/store/github-repo-store';
import { handleTelemetryRequest } from '../src/webhook/handle-request';
import { type FakeGitData, gitRoutes } from '../test/fake-github/routes/git';
import { FakeGitHub } from '../test/fake-github/server';
import { seeded } from '../test/store/support';
import { SqsModel } from '../test/support/sqs-model';
import { examplesOf, signedDelivery } from '../test/support/webhooks';
import { percentile, round } from './stats';
import { SimClock } from './support/sim-clock';

/**
 * `npm run bench -- soak [--scale=F]`: the AWS pipeline, simulated faithfully enough to see what parks a
 * healthy event. Real code wherever it runs in AWS: signed deliveries through `handleTelemetryRequest`
 * and the webhook's `SqsEventQueue` (claim checks included), the deployed worker handler
 * (`createWorkerHandler`: decode, `processBatch`, park, visibility, requeue) and the real `GitHubRepoStore`
 * built by `githubRepoStoreFromConfig` on `createStoreClient`, as lambda/adapters/data-store.ts builds it,
 * one per warm Lambda instance. Around it, models of what is not ours, all on one discrete-event clock
 * (bench/support/sim-clock.ts) that charges every cost to the task that pays it:
 *
 * - GitHub: the fake GitHub (test/fake-github) enforcing 80 writes a minute, 500 an hour and 5,000 requests
 *   an hour per token, with real git objects; plus a response time per call type (below), tree building
 *   proportional to its entries, 30 s for a request that never answers, and on demand 429 and 403 with and
 *   without `retry-after`, a stale ref read right after our update, 422 non-fast-forward (another writer),
 *   5xx bursts and a 5xx outage.
 * - SQS and Lambda as the stack deploys them (settings from the same configuration the CDK app reads,
 *   `configSchema` defaults): visibility timeout = 6 × the worker's timeout, receive counts and
 *   `maxReceiveCount` redrive, 5 pollers each with its own batching window, batch size and the 6 MB
 *   invocation payload, maximum concurrency, the function timeout, cold starts.
 *
 * Scenarios: steady (100,000 events an hour for 2 hours), outage (the same, GitHub answering 5xx for 6 hours
 * from the middle of the traffic on), faults (1 hour with 10 % of GitHub requests faulted, every kind above), poison
 * (1 hour, one event in 1,000 with a record no tree request can hold). The baseline is the earlier design,
 * one commit per event inside the webhook with its retry policy (none: GitHub does not redeliver),
 * measured on the first 2,000 deliveries. Costs come from the counted requests, invocations and billed
 * durations and the price table below; the 1,000 and 10,000 an hour rates are simulated for an hour each.
 * `--scale=F` multiplies every traffic duration, not the outage (a quick look: `--scale=0.1`); with it or
 * `--only=NAME` the figures go to bench/results/soak.partial.json, never over the full run's.
 */

const START = Date.parse('2026-11-02T09:00:00Z');
const HOUR = 3_600_000;
const SECRET = 'soak-secret';
const REPOS = 25;
const TOKEN = 'ghp_data';
/** The Lambda invocation payload limit (synchronous and event source invocations). */
const INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Pollers of an SQS event source with a maximum concurrency (AWS: at least five). */
const POLLERS = 5;
/** Cold start of the worker (bench/results/lambda.json: module load 117 ms) plus the runtime's init. */
const COLD_START_MS = 600;

/**
 * GitHub's response time per call type, in ms: median and spread of a log-normal draw, from the
 * predecessor's logs and GitHub's published behaviour (Git Data API reads 50–200 ms, writes 200–600 ms;
 * a tree build grows with its entries). `perEntry` is added per tree entry of a `POST /git/trees`.
 */
const LATENCY: Record<string, { median: number; sigma: number; perEntry?: number }> = {
  'GET ref': { median: 90, sigma: 0.4 },
  'GET commit': { median: 90, sigma: 0.4 },
  'GET tree': { median: 150, sigma: 0.5 },
  'GET blob': { median: 80, sigma: 0.4 },
  'GET commits': { median: 200, sigma: 0.5 },
  'GET repo': { median: 120, sigma: 0.4 },
  'POST tree': { median: 350, sigma: 0.5, perEntry: 1.5 },
  'POST commit': { median: 250, sigma: 0.4 },
  'PATCH ref': { median: 300, sigma: 0.4 },
  other: { median: 150, sigma: 0.5 },
};
const REQUEST_TIMEOUT_MS = 30_000;
/** `SOAK_TRACE=1`: one line per worker invocation (messages, billed time, GitHub calls, tree bytes). */
const TRACE = process.env.SOAK_TRACE === '1';

/**
 * Unit prices, us-east-1, on-demand list prices as published in November 2026 (aws.amazon.com/lambda/pricing,
 * /sqs/pricing, /api-gateway/pricing, /cloudwatch/pricing, /s3/pricing); free tiers left out.
 */
export const PRICES = {
  source: 'AWS list prices, us-east-1, on-demand, without free tiers (aws.amazon.com/<service>/pricing)',
  lambda_arm_gb_second: 0.0000133334,
  lambda_request: 0.2 / 1e6,
  sqs_request: 0.4 / 1e6,
  api_gateway_rest_request: 3.5 / 1e6,
  api_gateway_http_request: 1.0 / 1e6,
  function_url_request: 0,
  logs_ingest_gb: 0.5,
  s3_put: 0.005 / 1000,
  s3_get: 0.0004 / 1000,
};
/** Log bytes: a webhook invocation (platform START/END/REPORT lines + one JSON line), a worker invocation. */
const LOG_BYTES = { webhook: 700, worker: 1500 };
/** The webhook's billed time per delivery: verify + one SendMessage (bench/results/lambda.json, SQS p50). */
const WEBHOOK_BILLED_MS = 25;
const HOURS_PER_MONTH = 730;

type Scenario = 'steady' | 'outage' | 'faults' | 'poison';

interface RunOptions {
  scenario: Scenario;
  eventsPerHour: number;
  arrivalMs: number;
  seed: number;
}

interface Counts {
  webhook_invocations: number;
  worker_invocations: number;
  worker_billed_gb_s: number;
  worker_timeouts: number;
  sqs_requests: number;
  s3_puts: number;
  s3_gets: number;
}

interface ScenarioFigures {
  events: number;
  lost: number;
  /**
   * Index entries written more than once, plus copies of a record in packs beyond the writes of its index
   * entry (a record packed by a write whose index entries never landed, packed again by the retry).
   */
  duplicates: number;
  /** Index entries at a branch head whose record is in no pack of that branch (the packs-first rule: 0). */
  index_without_record: number;
  healthy_dead_lettered: number;
  poison_events: number;
  poison_parked: number;
  p50_time_to_record_s: number;
  p99_time_to_record_s: number;
  max_time_to_record_s: number;
  peak_backlog: number;
  writes_per_hour_peak: number;
  commits: number;
  records: number;
  /** Bytes of all tree requests GitHub built, per record stored (packs and index entries). */
  tree_bytes_per_record: number;
  refused_by_github: number;
  requeued: number;
  simulated_hours: number;
  drained_s_after_recovery?: number;
  counts: Counts;
}

export async function run(): Promise<Record<string, unknown>> {
  const scale = scaleOption();
  const config = deployedConfig();
  const w = config.aws.worker;
  const settings = {
    batch_size: w.batchSize,
    batching_window_s: w.maxBatchingWindowSeconds,
    max_concurrency: w.maxConcurrency,
    pollers: POLLERS,
    timeout_s: w.timeoutSeconds,
    memory_mb: w.memoryMb,
    visibility_timeout_s: w.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR,
    max_receive_count: w.maxReceiveCount,
    retention_days: w.queueRetentionDays,
    writes_per_hour: config.store.writesPerHour,
    writes_per_minute: config.store.writesPerMinute,
  };
  process.stdout.write(`soak: deployed settings ${JSON.stringify(settings)}\n`);
  const scenarios: Record<string, ScenarioFigures> = {};
  const plan: [Scenario, number][] = [
    ['steady', 2],
    ['outage', 2],
    ['faults', 1],
    ['poison', 1],
  ];
  let seed = 1;
  const only = process.argv.find((x) => x.startsWith('--only='))?.slice('--only='.length);
  for (const [scenario, hours] of plan.filter(([name]) => !only || only === name)) {
    const wall = Date.now();
    scenarios[scenario] = await simulate(config, {
      scenario,
      eventsPerHour: 100_000,
      arrivalMs: hours * HOUR * scale,
      seed: seed++,
    });
    process.stdout.write(
      `${scenario}: ${JSON.stringify(scenarios[scenario])} (${round((Date.now() - wall) / 1000, 1)} s)\n`,
    );
  }
  const low: Record<string, ScenarioFigures> = {};
  for (const rate of only ? [] : [1_000, 10_000]) {
    low[rate] = await simulate(config, {
      scenario: 'steady',
      eventsPerHour: rate,
      arrivalMs: HOUR * scale,
      seed: seed++,
    });
    process.stdout.write(`steady at ${rate}/h: ${JSON.stringify(low[rate])}\n`);
  }
  const baseline = await baselineRun(config, Math.round(2_000 * Math.min(1, scale * 10)));
  process.stdout.write(`baseline: ${JSON.stringify(baseline)}\n`);
  const steady = scenarios.steady as ScenarioFigures;
  return {
    settings,
    targets: {
      lost: 0,
      duplicates: 0,
      healthy_dead_lettered: 0,
      writes_per_hour_peak: 450,
      steady_p99_time_to_record_s: 600,
      cost_per_million_usd: 2.5,
    },
    ...(only || scale !== 1 ? { partial_run: { only: only ?? null, scale } } : {}),
    scenarios,
    baseline,
    // Costs at the rates that ran (a partial run may have none of them).
    cost: costs(
      config,
      Object.fromEntries(
        Object.entries({ 1000: low[1_000], 10000: low[10_000], 100000: steady }).filter(([, f]) => f),
      ) as Record<number, ScenarioFigures>,
    ),
    prices: PRICES,
  };
}

// ---------------------------------------------------------------------------------------------------------

/** The configuration the CDK app would read with nothing set but the data repository. */
function deployedConfig(): TelemetryConfig {
  return configSchema.parse({
    instance: 'soak',
    dataRepository: { owner: 'acme', name: 'telemetry-data', path: 'data' },
  });
}

interface Delivery {
  at: number;
  headers: Record<string, string>;
  body: string;
  poison: boolean;
}

/**
 * One delivery through the webhook handler as deployed (signature, event name, size limit); `accept` gets
 * the events it accepts, each with the records the pipeline must make of it (what a run is judged against).
 */
async function receive(
  delivery: Delivery,
  config: TelemetryConfig,
  clock: { now(): number },
  accept: (accepted: { event: SignedEvent; records: MetricRecord[] }[]) => Promise<void>,
): Promise<void> {
  const now = () => new Date(clock.now());
  await handleTelemetryRequest(
    { headers: delivery.headers, body: Buffer.from(delivery.body) },
    {
      webhookSecrets: async () => [SECRET],
      enqueue: async (events) => {
        const accepted = [];
        for (const event of events) {
          const { records } = await collectMetrics(event, metrics, { settings: config.metrics, now });
          accepted.push({ event, records: records as MetricRecord[] });
        }
        await accept(accepted);
      },
      collected: COLLECTED,
      maxBodyBytes: 25 * 1024 * 1024,
      logger: silentLogger,
      now,
    },
  );
}

const COLLECTED = collectedTriggers(metrics);

async function simulate(config: TelemetryConfig, options: RunOptions): Promise<ScenarioFigures> {
  const random = seeded(options.seed);
  const clock = new SimClock(START);
  const w = config.aws.worker;
  const fake = new FakeGitHub({ now: clock.now, random });
  const git = gitRoutes(fake, { random });
  const repo = await git.createRepo('acme', 'telemetry-data');
  await fake.start();
  // Six hours of 5xx from the middle of the traffic (not scaled: longer than 5 receives × 30 min).
  const outageFrom = START + Math.round(options.arrivalMs / 2);
  const outage = options.scenario === 'outage' ? { from: outageFrom, to: outageFrom + 6 * HOUR } : undefined;
  const faults = githubFaults(fake, git, clock, random, options.scenario, outage);

  const counts: Counts = {
    webhook_invocations: 0,
    worker_invocations: 0,
    worker_billed_gb_s: 0,
    worker_timeouts: 0,
    sqs_requests: 0,
    s3_puts: 0,
    s3_gets: 0,
  };
  const queue = new SqsModel({
    now: clock.now,
    visibilityTimeoutMs: w.timeoutSeconds * VISIBILITY_TIMEOUT_FACTOR * 1000,
    maxReceiveCount: w.maxReceiveCount,
    retentionMs: w.queueRetentionDays * 24 * HOUR,
  });
  const sqs = mockClient(SQSClient);
  const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/telemetry-soak-events';
  sqs.on(SendMessageCommand).callsFake((input) => {
    // A requeued copy: the message the worker lets go is not recorded, its copy is still to come.
    const id = input.MessageAttributes?.delivery_id?.StringValue;
    if (id && input.MessageAttributes?.requeues) notRecorded.add(id);
    queue.send(input.MessageBody, input.MessageAttributes, (input.DelaySeconds ?? 0) * 1000);
    return { MessageId: randomUUID() };
  });
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input) => {
    for (const e of input.Entries ?? [])
      queue.changeVisibility(e.ReceiptHandle, (e.VisibilityTimeout ?? 0) * 1000);
    queue.requests.changeVisibility -= Math.max(0, (input.Entries?.length ?? 0) - 1); // one request per 10
    return { Successful: [], Failed: [] };
  });
  /** Deliveries whose message was let go without being stored (requeued, parked) in the current step. */
  const notRecorded = new Set<string>();
  const objects = new Map<string, string>();
  const claimCheck: ClaimCheckStore = {
    bucket: 'telemetry-soak-claim-checks',
    put: async (key, body) => {
      counts.s3_puts += 1;
      objects.set(key, body);
    },
    get: async (key) => {
      counts.s3_gets += 1;
      return objects.get(key) as string;
    },
  };
  const webhookQueue = new SqsEventQueue({
    sqs: new SQSClient({}),
    queueUrl,
    claimCheck,
    now: () => new Date(clock.now()),
  });

  // What every event must produce, and when it arrived.
  const expected = new Map<string, { arrivedAt: number; records: string[]; poison: boolean }>();
  const deliveries = deliveryStream(options, random);
  const poisonIds = new Set<string>();
  let arrived = 0;
  let enqueued = 0;
  let arrivalsDone = false;

  // Signing a delivery and verifying it are real asynchronous work (WebCrypto): time stands still meanwhile
  // (`track`), so every delivery arrives at its own time however busy the machine running the bench is.
  const webhook = async () => {
    let next = await clock.track(() => deliveries.next());
    while (!next.done) {
      const delivery = next.value;
      if (delivery.at > clock.now()) await clock.sleep(delivery.at - clock.now());
      counts.webhook_invocations += 1;
      await clock.track(() =>
        receive(delivery, config, clock, async (accepted) => {
          for (const { event, records } of accepted) {
            expected.set(event.deliveryId, {
              arrivedAt: delivery.at,
              records: records.map((r) => r.id),
              poison: delivery.poison,
            });
            if (delivery.poison) poisonIds.add(event.deliveryId);
          }
          await webhookQueue.send(accepted.map(({ event }) => event));
          enqueued += accepted.length;
        }),
      );
      arrived += 1;
      next = await clock.track(() => deliveries.next());
    }
    arrivalsDone = true;
  };

  // Lambda: warm instances (each with its store, built as data-store.ts builds it), maximum concurrency.
  interface Instance {
    handler: ReturnType<typeof createWorkerHandler>;
    busy: boolean;
    stats: RequestStats;
  }
  const instances: Instance[] = [];
  const parked: { deliveryId: string | undefined; reason: string }[] = [];
  const recordedAt = new Map<string, number>();
  let running = 0;
  const newInstance = async (): Promise<Instance> => {
    const stats: RequestStats = { calls: {}, requestMs: 0, treeBytes: 0 };
    const github = simulatedClient(
      createStoreClient({ token: TOKEN, baseUrl: fake.baseUrl }),
      clock,
      random,
      faults,
      stats,
    );
    const store = githubRepoStoreFromConfig(config, { github, logger: silentLogger, clock, random });
    let verified = false;
    const handler = createWorkerHandler({
      claimCheck,
      resources: async () => {
        if (!verified) {
          await store.verify({ createBranch: config.store.createBranch });
          verified = true;
        }
        return { store };
      },
      park: async (message, reason) => {
        const id = message.attributes.delivery_id?.StringValue;
        parked.push({ deliveryId: id, reason });
        if (id) notRecorded.add(id);
      },
      delay: (messages) => delayMessages(new SQSClient({}), queueUrl, messages),
      requeue: (message, delayMs) => requeueMessage(new SQSClient({}), queueUrl, message, delayMs),
      retry: { maxReceiveCount: w.maxReceiveCount, retentionMs: w.queueRetentionDays * 24 * HOUR },
      settings: config.metrics,
      logger: createLambdaLogger(),
      now: () => new Date(clock.now()),
    });
    return { handler, busy: false, stats };
  };
  const invoke = async (records: SQSRecord[]) => {
    let instance = instances.find((i) => !i.busy);
    const started = clock.now();
    if (!instance) {
      instance = await newInstance();
      instances.push(instance);
      await clock.sleep(COLD_START_MS);
    }
    instance.busy = true;
    counts.worker_invocations += 1;
    Object.assign(instance.stats, { calls: {}, requestMs: 0, treeBytes: 0 });
    const timeoutMs = w.timeoutSeconds * 1000;
    const context = {
      ...lambdaContext(),
      getRemainingTimeInMillis: () => started + timeoutMs - clock.now(),
    };
    let timedOut = false;
    const response = await Promise.race([
      instance.handler({ Records: records }, context),
      clock.sleep(timeoutMs).then(() => {
        timedOut = true;
        return undefined;
      }),
    ]);
    const billedMs = Math.min(timeoutMs, Math.ceil(clock.now() - started));
    counts.worker_billed_gb_s += (billedMs / 1000) * (w.memoryMb / 1024);
    if (timedOut || !response) {
      counts.worker_timeouts += 1;
      // The instance is torn down (its store with it); the messages come back after their visibility.
      instances.splice(instances.indexOf(instance), 1);
      return;
    }
    instance.busy = false;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    if (TRACE) {
      const s = instance.stats;
      process.stdout.write(
        `  t=${round((started - START) / 1000, 0)}s instance=${instances.indexOf(instance)} messages=${records.length} failed=${failed.size} billed=${round(billedMs / 1000, 1)}s requests=${round(s.requestMs / 1000, 1)}s tree_bytes=${s.treeBytes} backlog=${queue.size} ${JSON.stringify(s.calls)}\n`,
      );
    }
    for (const r of records) {
      const id = r.messageAttributes?.delivery_id?.stringValue;
      if (id && notRecorded.delete(id)) continue;
      if (!failed.has(r.messageId) && id && !recordedAt.has(id)) recordedAt.set(id, clock.now());
    }
    queue.settle(records, response);
  };

  let pollersStopped = false;
  const poller = async (n: number) => {
    await clock.sleep(n * 200);
    while (!pollersStopped) {
      let batch = queue.receive(Math.min(10, w.batchSize));
      if (batch.length === 0) {
        // Long polling: a receive answers when a message arrives, or after 20 s.
        await clock.sleep(1_000);
        continue;
      }
      let bytes = batch.reduce((s, r) => s + recordBytes(r), 0);
      const windowEnds = clock.now() + w.maxBatchingWindowSeconds * 1000;
      while (batch.length < w.batchSize && clock.now() < windowEnds) {
        const more = queue.receive(Math.min(10, w.batchSize - batch.length), INVOKE_PAYLOAD_BYTES - bytes);
        if (more.length === 0) {
          if (bytes >= INVOKE_PAYLOAD_BYTES - 64 * 1024) break;
          await clock.sleep(Math.min(1_000, windowEnds - clock.now()));
          continue;
        }
        bytes += more.reduce((s, r) => s + recordBytes(r), 0);
        batch = batch.concat(more);
      }
      while (running >= w.maxConcurrency) await clock.sleep(1_000);
      running += 1;
      try {
        await invoke(batch);
      } finally {
        running -= 1;
      }
    }
  };

  let peakBacklog = 0;
  const sampler = async () => {
    while (!pollersStopped) {
      peakBacklog = Math.max(peakBacklog, queue.size);
      // The mock keeps every call's input (message bodies included): the model has them already.
      sqs.resetHistory();
      await clock.sleep(10_000);
    }
  };

  const tasks = [webhook(), sampler(), ...Array.from({ length: POLLERS }, (_, n) => poller(n))];
  const limit = START + options.arrivalMs + 2 * 24 * HOUR;
  const finished = await clock.run(() => arrivalsDone && queue.size === 0 && running === 0, limit);
  pollersStopped = true;
  await clock.run(() => false, clock.now() + 60_000);
  void tasks;
  counts.sqs_requests =
    queue.requests.send +
    queue.requests.receive +
    Math.ceil(queue.requests.delete / 10) +
    queue.requests.changeVisibility;
  sqs.restore();

  // What the data repository holds: the data branch and the hot branches (one per UTC day of writing).
  // Records are read as readers read them: the lines of the hot packs (and whole record files, if any);
  // index entries are counted by writes, per id.
  const branches = ['main', ...(await git.branches(repo, 'main-hot/'))];
  const storedIds = new Map<string, number>();
  const indexWrites = new Map<string, number>();
  let rewrites = 0;
  let commits = 0;
  let indexWithoutRecord = 0;
  const idOfIndex = (path: string) => (path.split('/').pop() as string).replace(/\.idx$/, '');
  for (const branch of branches) {
    const packed = new Set<string>();
    const indexed: string[] = [];
    for (const [path, text] of await git.files(repo, branch)) {
      const kind = path.startsWith('data/') ? parseDataPath(path.slice('data/'.length))?.kind : undefined;
      if (kind === 'index') indexed.push(idOfIndex(path));
      const lines =
        kind === 'pack'
          ? packLines(text).map((l) => l.text)
          : kind === 'hot' || (path.startsWith('data/tombstones/') && path.endsWith('.json'))
            ? [text]
            : [];
      for (const line of lines) {
        const record = JSON.parse(line) as MetricRecord;
        packed.add(record.id);
        storedIds.set(record.id, (storedIds.get(record.id) ?? 0) + 1);
      }
    }
    indexWithoutRecord += indexed.filter((id) => !packed.has(id)).length;
    const writes = await git.writesPerPath(repo, branch, 'data/');
    for (const [path, count] of writes) {
      // A pack is named by its content: the same path is the same pack.
      if (path.endsWith(PACK_SUFFIX)) continue;
      rewrites += count - 1;
      if (path.endsWith(INDEX_SUFFIX))
        indexWrites.set(idOfIndex(path), (indexWrites.get(idOfIndex(path)) ?? 0) + count);
    }
    commits += (await git.log(repo, branch)).filter(
      (c) => !git.foreignCommits.includes(c.oid) && /^telemetry:/.test(c.message),
    ).length;
  }
  const sameIdTwice = [...storedIds].reduce(
    (n, [id, copies]) => n + Math.max(0, copies - Math.max(1, indexWrites.get(id) ?? 0)),
    0,
  );
  let lost = 0;
  const times: number[] = [];
  for (const [deliveryId, e] of expected) {
    if (e.poison) continue;
    if (e.records.some((id) => !storedIds.has(id))) lost += 1;
    const at = recordedAt.get(deliveryId);
    if (at !== undefined) times.push(at - e.arrivedAt);
  }
  const parkedIds = new Set(parked.map((p) => p.deliveryId));
  const deadLetteredIds = queue.deadLettered.map((m) => m.attributes.delivery_id?.StringValue);
  const healthyDead =
    [...parkedIds].filter((id) => id && !poisonIds.has(id)).length +
    deadLetteredIds.filter((id) => id && !poisonIds.has(id)).length;
  await fake.stop();
  if (!finished)
    process.stdout.write(`  ${options.scenario}: stopped at the time limit with ${queue.size} queued\n`);
  const lastArrival = START + options.arrivalMs;
  // A loop, not a spread: 200,000 arguments overflow the stack.
  let end = lastArrival;
  for (const at of recordedAt.values()) end = Math.max(end, at);
  return {
    events: arrived,
    lost,
    duplicates: rewrites + sameIdTwice,
    index_without_record: indexWithoutRecord,
    healthy_dead_lettered: healthyDead,
    poison_events: poisonIds.size,
    poison_parked: [...poisonIds].filter((id) => parkedIds.has(id)).length,
    p50_time_to_record_s: round(percentile(times, 50) / 1000, 1),
    p99_time_to_record_s: round(percentile(times, 99) / 1000, 1),
    max_time_to_record_s: round(times.reduce((m, t) => Math.max(m, t), 0) / 1000, 1),
    peak_backlog: peakBacklog,
    writes_per_hour_peak: fake.peakContentWrites(HOUR),
    commits,
    records: storedIds.size,
    tree_bytes_per_record: round(
      fake.requests
        .filter((r) => r.method === 'POST' && r.path.endsWith('/git/trees') && r.status === 201)
        .reduce((n, r) => n + r.bytes, 0) / Math.max(1, storedIds.size),
      0,
    ),
    refused_by_github: fake.requests.filter((r) => r.status === 403 || r.status === 429).length,
    requeued: queue.requests.send - enqueued,
    simulated_hours: round((end - START) / HOUR, 2),
    ...(outage ? { drained_s_after_recovery: round((end - outage.to) / 1000, 1) } : {}),
    counts: { ...counts, worker_billed_gb_s: round(counts.worker_billed_gb_s, 1) },
  };
}

/** The SQS record's share of the 6 MB invocation payload (body, attributes and the record's fields). */
function recordBytes(r: SQSRecord): number {
  return Buffer.byteLength(r.body) + 700;
}

function lambdaContext() {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'telemetry-soak-worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:telemetry-soak-worker',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/telemetry-soak-worker',
    logStreamName: '2026/11/02/[$LATEST]soak',
    getRemainingTimeInMillis: () => 0,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

// ---------------------------------------------------------------------------------------------------------

/** What one worker instance asked of GitHub (`SOAK_TRACE=1` prints it per invocation). */
interface RequestStats {
  calls: Record<string, number>;
  requestMs: number;
  treeBytes: number;
}

interface ClientFaults {
  /** Probability that a request is never answered (the client gives up after 30 s). */
  timeout: number;
  /** Probability that GitHub did the work but the answer is lost (30 s, then an error). */
  lostAnswer: number;
  /** Probability that the first ref read after our update is served stale (the previous head). */
  staleRef: number;
}

/**
 * GitHub's faults. Answers (5xx, 429, 403 with and without retry-after, 422 from another writer's commit)
 * come from the fake server; what only the network or GitHub's replicas do (no answer, a stale ref) from
 * `simulatedClient`.
 */
function githubFaults(
  fake: FakeGitHub,
  git: FakeGitData,
  clock: SimClock,
  random: () => number,
  scenario: Scenario,
  outage: { from: number; to: number } | undefined,
): ClientFaults {
  const always = Number.POSITIVE_INFINITY;
  if (outage)
    fake.injectFault({
      kind: '502',
      times: always,
      match: () => clock.now() >= outage.from && clock.now() < outage.to,
    });
  if (scenario !== 'faults') return { timeout: 0, lostAnswer: 0, staleRef: 0.05 };
  // 10 % of requests faulted in all: 5xx in bursts (a tenth of the time, half the requests fail), rate
  // limits of every shape, ref races from another writer; plus timeouts, lost answers and stale refs.
  const inBurst = () => Math.floor(clock.now() / 60_000) % 10 === 3;
  fake.injectFault({ kind: '502', times: always, probability: 0.5, match: () => inBurst() });
  fake.injectFault({ kind: '500', times: always, probability: 0.01 });
  fake.injectFault({ kind: 'too-many-requests', times: always, probability: 0.005 });
  fake.injectFault({ kind: 'secondary-limit', times: always, probability: 0.005 });
  fake.injectFault({ kind: 'secondary-limit-bare', times: always, probability: 0.005 });
  fake.injectFault({ kind: 'primary-limit', times: always, probability: 0.005 });
  git.injectRace({ probability: 0.1, times: always });
  void random;
  return { timeout: 0.01, lostAnswer: 0.01, staleRef: 0.1 };
}

/**
 * The client as the store gets it, plus what the network costs: every request waits GitHub's response time
 * (per call type, trees by their entries) on the simulation clock, a request that is never answered costs
 * the store's 30 s timeout, and a ref read right after our update may be served stale. Time stands still
 * while the fake answers over loopback (`track`).
 */
function simulatedClient(
  github: GitHubClient,
  clock: SimClock,
  random: () => number,
  faults: ClientFaults,
  stats?: RequestStats,
): GitHubClient {
  let justUpdated: { ref: string; previous: string } | undefined;
  github.hook.wrap('request', async (request, options) => {
    const route = routeOf(String(options.method), String(options.url));
    const spec = LATENCY[route] ?? (LATENCY.other as { median: number; sigma: number; perEntry?: number });
    const tree = (options as unknown as { tree?: unknown[] }).tree;
    const entries = Array.isArray(tree) ? tree.length : 0;
    const latency = logNormal(random, spec.median, spec.sigma) + (spec.perEntry ?? 0) * entries;
    if (stats) {
      stats.calls[route] = (stats.calls[route] ?? 0) + 1;
      stats.requestMs += latency;
      if (route === 'POST tree') stats.treeBytes += JSON.stringify(tree ?? []).length;
    }
    if (random() < faults.timeout) {
      await clock.sleep(REQUEST_TIMEOUT_MS);
      throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
    }
    const lose = options.method !== 'GET' && random() < faults.lostAnswer;
    const response = await clock.track(async () => request(options));
    await clock.sleep(lose ? REQUEST_TIMEOUT_MS : latency);
    if (lose) throw Object.assign(new Error('socket hang up'), { name: 'FetchError' });
    if (route === 'PATCH ref') justUpdated = { ref: String(options.url), previous: lastHead ?? '' };
    if (route === 'GET ref') {
      const sha = (response.data as { object?: { sha?: string } }).object?.sha;
      if (justUpdated?.previous && random() < faults.staleRef) {
        const stale = structuredClone(response.data) as { object: { sha: string } };
        stale.object.sha = justUpdated.previous;
        justUpdated = undefined;
        return { ...response, data: stale };
      }
      justUpdated = undefined;
      lastHead = sha;
    }
    return response;
  });
  let lastHead: string | undefined;
  return github;
}

function routeOf(method: string, url: string): string {
  if (url.includes('/git/ref')) return `${method} ref`;
  if (url.includes('/git/trees')) return `${method} tree`;
  if (url.includes('/git/commits')) return `${method} commit`;
  if (url.includes('/git/blobs')) return `${method} blob`;
  if (url.endsWith('/commits')) return `${method} commits`;
  if (/\/repos\/\{owner\}\/\{repo\}$/.test(url)) return `${method} repo`;
  return 'other';
}

function logNormal(random: () => number, median: number, sigma: number): number {
  const u = Math.max(1e-9, random());
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return median * Math.exp(sigma * z);
}

// ---------------------------------------------------------------------------------------------------------

/**
 * The earlier collector, measured: inside the webhook call, one commit per event (GET ref, GET commit,
 * POST tree, POST commit, PATCH ref) with its retry policy (none: a failure loses the event, GitHub does
 * not redeliver), deliveries arriving at 100,000 an hour, 8 in flight, GitHub's response times charged.
 */
async function baselineRun(config: TelemetryConfig, count: number): Promise<Record<string, unknown>> {
  const random = seeded(99);
  const clock = new SimClock(START);
  const fake = new FakeGitHub({ now: clock.now, random });
  const git = gitRoutes(fake, { random });
  const repo = await git.createRepo('acme', 'telemetry-data');
  await fake.start();
  const github = simulatedClient(createStoreClient({ token: TOKEN, baseUrl: fake.baseUrl }), clock, random, {
    timeout: 0,
    lostAnswer: 0,
    staleRef: 0.05,
  });
  const deliveries = deliveryStream(
    { scenario: 'steady', eventsPerHour: 100_000, arrivalMs: HOUR, seed: 99 },
    random,
  );
  const expectedIds = new Set<string>();
  const latencies: number[] = [];
  let done = 0;
  let next = 0;
  const list: Delivery[] = [];
  for (let i = 0; i < count; i += 1) {
    const d = await deliveries.next();
    if (d.done) break;
    list.push(d.value);
  }
  const lane = async () => {
    while (next < list.length) {
      const delivery = list[next++] as Delivery;
      if (delivery.at > clock.now()) await clock.sleep(delivery.at - clock.now());
      await receive(delivery, config, clock, async (accepted) => {
        for (const record of accepted.flatMap(({ records }) => records)) {
          expectedIds.add(record.id);
          const ok = await commitOne(github, record).then(
            () => true,
            () => false,
          );
          if (ok) latencies.push(clock.now() - delivery.at);
        }
      });
      done += 1;
    }
  };
  const lanes = Array.from({ length: 8 }, lane);
  await clock.run(() => done >= list.length);
  await Promise.all(lanes);
  const files = await git.dataFiles(repo);
  const stored = new Set<string>();
  for (const [path, text] of files)
    if (path.startsWith('data/') && parseDataPath(path.slice('data/'.length))?.kind === 'pack')
      for (const line of packLines(text)) stored.add((JSON.parse(line.text) as MetricRecord).id);
  const lost = [...expectedIds].filter((id) => !stored.has(id)).length;
  await fake.stop();
  return {
    events: list.length,
    records_expected: expectedIds.size,
    lost,
    lost_percent: round((100 * lost) / Math.max(1, expectedIds.size), 1),
    writes_per_hour_peak: fake.peakContentWrites(HOUR),
    refused_by_github: fake.requests.filter((r) => r.status === 403 || r.status === 429).length,
    p50_time_to_record_s: round(percentile(latencies, 50) / 1000, 1),
    simulated_minutes: round((clock.now() - START) / 60_000, 1),
  };
}

async function commitOne(github: GitHubClient, record: MetricRecord): Promise<void> {
  const repo = { owner: 'acme', repo: 'telemetry-data' };
  const request = { retries: 0 };
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
    // The record in a pack of its own beside its index entry (the data repository's layout), one tree.
    tree: [
      ...packRecords([record]).map((pack) => ({
        path: `data/${pack.path}`,
        mode: '100644' as const,
        type: 'blob' as const,
        content: pack.content,
      })),
      {
        path: `data/${recordPath(record)}`,
        mode: '100644',
        type: 'blob',
        content: indexEntryContent(record),
      },
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

/**
 * The reference mix: 70 % workflow_job, 10 % check_suite, 12 % pull_request (a quarter closed), 3 %
 * deployment and deployment_status, 2 % create, 3 % issues. Real payloads with fresh ids over 25
 * repositories, evenly spaced; in the poison scenario one in 1,000 is a workflow job whose name (1.9 MB)
 * makes a record no tree request can hold. Signed lazily, one at a time.
 */
async function* deliveryStream(options: RunOptions, random: () => number): AsyncGenerator<Delivery> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const jobs = examplesOf('workflow_job', 'completed');
  const suites = examplesOf('check_suite', 'completed');
  const pulls = examplesOf('pull_request').filter((p) => p.action !== 'closed');
  const closed = examplesOf('pull_request', 'closed');
  const deployments = examplesOf('deployment');
  const statuses = examplesOf('deployment_status');
  const creates = examplesOf('create');
  const issues = examplesOf('issues');
  const count = Math.round((options.eventsPerHour * options.arrivalMs) / HOUR);
  const hugeName = 'n'.repeat(1_900_000);
  for (let i = 0; i < count; i += 1) {
    const at = START + Math.floor((i * HOUR) / options.eventsPerHour);
    const when = new Date(at).toISOString();
    const id = 90_000_000 + i;
    const roll = random();
    const poison = options.scenario === 'poison' && i % 1000 === 500;
    let event: string;
    // biome-ignore lint/suspicious/noExplicitAny: REST payloads edited field by field
    let payload: Record<string, any>;
    if (poison || roll < 0.7) {
      event = 'workflow_job';
      payload = structuredClone(pick(jobs));
      payload.workflow_job.id = id;
      payload.workflow_job.run_id = 40_000_000 + Math.floor(i / 4);
      payload.workflow_job.created_at = new Date(at - 300_000).toISOString();
      payload.workflow_job.started_at = new Date(at - 240_000).toISOString();
      payload.workflow_job.completed_at = when;
      if (poison) payload.workflow_job.name = hugeName;
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
    const signed = await signedDelivery(event, payload, SECRET, `delivery-${options.seed}-${i}`);
    yield { at, headers: signed.headers, body: signed.body, poison };
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Monthly and per-million costs at 1,000, 10,000 and 100,000 events an hour, from the simulated counts. */
function costs(config: TelemetryConfig, byRate: Record<number, ScenarioFigures>) {
  const out: Record<string, unknown> = {};
  for (const [rate, f] of Object.entries(byRate)) {
    const c = f.counts;
    const hours = Math.max(1, f.events / Number(rate));
    const webhookGbS =
      (c.webhook_invocations * WEBHOOK_BILLED_MS * config.aws.webhook.memoryMb) / 1024 / 1000;
    const common =
      c.webhook_invocations * PRICES.lambda_request +
      webhookGbS * PRICES.lambda_arm_gb_second +
      c.worker_invocations * PRICES.lambda_request +
      c.worker_billed_gb_s * PRICES.lambda_arm_gb_second +
      c.sqs_requests * PRICES.sqs_request +
      c.s3_puts * PRICES.s3_put +
      c.s3_gets * PRICES.s3_get +
      ((c.webhook_invocations * LOG_BYTES.webhook + c.worker_invocations * LOG_BYTES.worker) / 2 ** 30) *
        PRICES.logs_ingest_gb;
    // What each front door adds per delivery; the stack's own (lib/webhook-api.ts) gives the figures.
    const frontDoor: Record<FrontDoor, number> = {
      rest_api: c.webhook_invocations * PRICES.api_gateway_rest_request,
      http_api: c.webhook_invocations * PRICES.api_gateway_http_request,
      function_url: c.webhook_invocations * PRICES.function_url_request,
    };
    const perMillion = (x: number) => round(((common + x) / Math.max(1, f.events)) * 1e6, 2);
    const perMonth = (x: number) => round(((common + x) / hours) * HOURS_PER_MONTH, 2);
    const doors = Object.keys(frontDoor) as FrontDoor[];
    out[`${rate}_per_hour`] = {
      events: f.events,
      worker_invocations: c.worker_invocations,
      worker_billed_gb_s: c.worker_billed_gb_s,
      sqs_requests: c.sqs_requests,
      front_door: FRONT_DOOR,
      cost_per_million_usd: perMillion(frontDoor[FRONT_DOOR]),
      cost_per_month_usd: perMonth(frontDoor[FRONT_DOOR]),
      by_front_door: {
        cost_per_million_usd: Object.fromEntries(doors.map((d) => [d, perMillion(frontDoor[d])])),
        cost_per_month_usd: Object.fromEntries(doors.map((d) => [d, perMonth(frontDoor[d])])),
      },
    };
  }
  return out;
}

function scaleOption(): number {
  const arg = process.argv.find((a) => a.startsWith('--scale='));
  const raw = arg ? arg.slice('--scale='.length) : process.env.SOAK_SCALE;
  if (raw === undefined || raw === '') return 1;
  const value = Number(raw);
  if (!(value > 0 && value <= 1)) throw new Error('--scale (SOAK_SCALE) must be in (0, 1]');
  return value;
}
