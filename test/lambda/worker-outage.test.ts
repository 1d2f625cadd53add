import { ChangeMessageVisibilityBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { createLambdaLogger } from '../../lambda/adapters/logger';
import { S3ClaimCheck } from '../../lambda/adapters/s3-claim-check';
import {
  delayMessages,
  eventAttributes,
  MESSAGE_FORMAT,
  REQUEUE_ATTRIBUTE,
  requeueMessage,
} from '../../lambda/adapters/sqs-queue';
import { createWorkerHandler } from '../../lambda/worker';
import { defaultMetricSettings } from '../../src/metrics/settings';
import type { SignedEvent } from '../../src/pipeline/types';
import type { GitHubRepoStore } from '../../src/store/github-repo-store';
import { WritePacer } from '../../src/store/write-pacer';
import { type StoreWorld, seeded, storeWorld } from '../store/support';
import { lambdaContext } from '../support/aws';
import { SqsModel } from '../support/sqs-model';
import { examplesOf, signedEventFrom } from '../support/webhooks';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-test-events';
const sqs = mockClient(SQSClient);
afterAll(() => sqs.restore());

/** SQS's API, answered by the queue model (the boundary the worker's adapters talk to). */
function answerFrom(queue: SqsModel): void {
  sqs.reset();
  sqs.on(SendMessageCommand).callsFake((input) => {
    queue.send(input.MessageBody, input.MessageAttributes, (input.DelaySeconds ?? 0) * 1000);
    return { MessageId: 'm' };
  });
  sqs.on(ChangeMessageVisibilityBatchCommand).callsFake((input) => {
    for (const entry of input.Entries ?? [])
      queue.changeVisibility(entry.ReceiptHandle, (entry.VisibilityTimeout ?? 0) * 1000);
    return { Successful: [], Failed: [] };
  });
}

const HOUR = 3_600_000;
const MAX_RECEIVE_COUNT = 5;
const VISIBILITY_MS = 6 * 300_000; // the stack: 6 × the worker's 300 s timeout

function jobEvent(id: number, receivedAt: number): SignedEvent {
  const payload = structuredClone(examplesOf('workflow_job', 'completed')[0]) as {
    workflow_job: { id: number };
  };
  payload.workflow_job.id = id;
  return signedEventFrom('workflow_job', payload as unknown as Record<string, unknown>, {
    deliveryId: `d-${id}`,
    receivedAt: new Date(receivedAt).toISOString(),
  });
}

/** The queue as the stack declares it (visibility, redrive, retention), answering the worker's SQS calls. */
function stackQueue(world: StoreWorld): SqsModel {
  const queue = new SqsModel({
    now: () => world.clock.now(),
    visibilityTimeoutMs: VISIBILITY_MS,
    maxReceiveCount: MAX_RECEIVE_COUNT,
    retentionMs: 4 * 24 * HOUR,
  });
  answerFrom(queue);
  return queue;
}

/** The deployed worker handler over `store`, on the world's clock; nothing may be parked. */
function workerHandler(world: StoreWorld, store: GitHubRepoStore) {
  return createWorkerHandler({
    claimCheck: new S3ClaimCheck('unused'),
    resources: async () => ({ store }),
    park: async () => {
      throw new Error('nothing may be parked in this test');
    },
    delay: (messages) => delayMessages(new SQSClient({}), QUEUE_URL, messages),
    requeue: (message, delayMs) => requeueMessage(new SQSClient({}), QUEUE_URL, message, delayMs),
    retry: { maxReceiveCount: MAX_RECEIVE_COUNT, retentionMs: 4 * 24 * HOUR },
    settings: defaultMetricSettings,
    logger: createLambdaLogger(),
    now: () => new Date(world.clock.now()),
  });
}

/**
 * The deployed worker handler and the real GitHubRepoStore against the fake GitHub, fed by a model of the
 * SQS queue with the stack's redrive policy, on one virtual clock.
 */
async function run(
  world: StoreWorld,
  store: GitHubRepoStore,
  queue: SqsModel,
  until: number,
  stored: Map<string, number>,
) {
  const handler = workerHandler(world, store);
  let requeued = 0;
  while (world.clock.now() < until && queue.size > 0) {
    const records = queue.receive(1000);
    if (records.length === 0) {
      const next = queue.nextVisibleAt() ?? until;
      world.clock.advance(Math.max(1000, next - world.clock.now()));
      continue;
    }
    const response = await handler({ Records: records }, lambdaContext('worker', 300_000));
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    for (const r of records) if (!failed.has(r.messageId)) stored.set(r.messageId, world.clock.now());
    queue.settle(records, response);
    requeued = queue.requests.send - 1;
  }
  return { requeued };
}

describe('worker: a GitHub outage longer than maxReceiveCount × visibility timeout', () => {
  let world: StoreWorld;
  afterEach(() => world.close());

  it('parks nothing, and stores the event within 30 minutes of recovery', async () => {
    world = await storeWorld();
    const store = world.store({ random: seeded(7) });
    await store.verify();
    const start = world.clock.now();
    const outageEnd = start + 6 * HOUR; // 6 h > 5 receives × 30 min = 2.5 h
    world.fake.injectFault({
      kind: '502',
      times: Number.POSITIVE_INFINITY,
      match: () => world.clock.now() < outageEnd,
    });
    const queue = stackQueue(world);
    const event = jobEvent(4242, start);
    queue.send(JSON.stringify({ telemetry: MESSAGE_FORMAT, event }), eventAttributes(event));
    const acked = new Map<string, number>();

    const { requeued } = await run(world, store, queue, outageEnd + 2 * HOUR, acked);

    expect(queue.deadLettered).toHaveLength(0);
    expect(queue.expired).toHaveLength(0);
    expect(queue.size).toBe(0);
    // SQS alone would have dead-lettered it after 5 receives; the worker sent it again instead.
    expect(requeued).toBeGreaterThanOrEqual(1);
    const records = await world.records();
    expect(records.size).toBe(1);
    const storedAt = Math.max(...acked.values());
    expect(storedAt).toBeGreaterThanOrEqual(outageEnd);
    expect(storedAt - outageEnd).toBeLessThanOrEqual(30 * 60_000);
  });

  it('carries the requeue count, so the backoff keeps growing across copies', async () => {
    world = await storeWorld();
    const store = world.store({ random: seeded(7) });
    await store.verify();
    const start = world.clock.now();
    world.fake.injectFault({ kind: '500', times: Number.POSITIVE_INFINITY });
    const queue = stackQueue(world);
    const event = jobEvent(77, start);
    queue.send(JSON.stringify({ telemetry: MESSAGE_FORMAT, event }), eventAttributes(event));
    const sent: { attributes: Record<string, { StringValue?: string }>; delayMs: number }[] = [];
    const original = queue.send.bind(queue);
    queue.send = (body, attributes = {}, delayMs = 0) => {
      sent.push({ attributes, delayMs });
      return original(body, attributes, delayMs);
    };
    await run(world, store, queue, start + 3 * HOUR, new Map());
    expect(queue.deadLettered).toHaveLength(0);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.map((s) => s.attributes[REQUEUE_ATTRIBUTE]?.StringValue)).toEqual(
      sent.map((_s, i) => String(i + 1)),
    );
    // From the second copy on, every wait is the longest backoff (15 minutes, SQS's delay limit).
    expect(sent.at(-1)?.delayMs).toBe(15 * 60_000);
  });
});

describe('worker: the write budget spent', () => {
  let world: StoreWorld;
  afterEach(() => world.close());

  it('bills no wait: the batch goes back at once with the time until its commit fits, and is stored then', async () => {
    world = await storeWorld();
    const pacer = new WritePacer({ perMinute: 60, perHour: 450, burst: 10, clock: world.clock });
    const store = world.store({ random: seeded(3), pacer });
    await store.verify();
    // Another commit of this process took nine of the ten writes of the burst a moment ago.
    await pacer.reserve(9, 0);
    const start = world.clock.now();
    const queue = stackQueue(world);
    for (const id of [501, 502, 503]) {
      const event = jobEvent(id, start);
      queue.send(JSON.stringify({ telemetry: MESSAGE_FORMAT, event }), eventAttributes(event));
    }
    const handler = workerHandler(world, store);
    const records = queue.receive(10);
    const response = await handler({ Records: records }, lambdaContext('worker', 300_000));
    // The commit needs three writes (one tree, the commit, the ref): one is left, two refill in 16 s.
    expect(world.clock.now()).toBe(start);
    expect(response.batchItemFailures).toHaveLength(3);
    expect(world.fake.requests.filter((r) => r.method !== 'GET' && r.at >= start)).toHaveLength(0);
    queue.settle(records, response);
    expect(queue.receive(10)).toHaveLength(0);
    world.clock.advance(15_000);
    expect(queue.receive(10)).toHaveLength(0);
    world.clock.advance(1_000);
    const again = queue.receive(10);
    expect(again).toHaveLength(3);
    const second = await handler({ Records: again }, lambdaContext('worker', 300_000));
    expect(second.batchItemFailures).toHaveLength(0);
    expect((await world.records()).size).toBe(3);
    // The commit took its three writes in one turn, and none waited.
    expect(world.clock.now() - start).toBeLessThan(20_000);
  });
});
