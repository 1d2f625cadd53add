import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, type SendMessageCommandInput, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../lambda/adapters/environment';
import { createLambdaLogger } from '../../lambda/adapters/logger';
import { S3ClaimCheck } from '../../lambda/adapters/s3-claim-check';
import {
  delayMessages,
  MAX_INLINE_BYTES,
  parkMessage,
  requeueMessage,
  SqsEventQueue,
} from '../../lambda/adapters/sqs-queue';
import { createWorkerHandler, handler, type WorkerDeps } from '../../lambda/worker';
import { configSchema } from '../../src/config/config';
import { parseDataPath } from '../../src/data/layout';
import { metrics } from '../../src/metrics/registry';
import { defaultMetricSettings } from '../../src/metrics/settings';
import type { Metric } from '../../src/metrics/types';
import type { SignedEvent } from '../../src/pipeline/types';
import { FileStore } from '../../src/store/file-store';
import type { Store } from '../../src/store/types';
import { gitRoutes } from '../fake-github/routes/git';
import { FakeGitHub } from '../fake-github/server';
import { lambdaContext, sqsRecord } from '../support/aws';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';

/** The index entries of stored workflow-job records: one per record id. */
async function indexEntries(root: string): Promise<string[]> {
  return (await listFiles(root)).filter(
    (f) => f.startsWith('hot/workflow-job/') && parseDataPath(f)?.kind === 'index',
  );
}

import { example, examplesOf, signedEventFrom } from '../support/webhooks';

// The functions' JSON logs are checked in the webhook tests; here they would only be noise.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
const ssm = mockClient(SSMClient);

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-test-events';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-test-events-dlq';
const BUCKET = 'telemetry-test-claim-checks';

/** Queue messages exactly as the webhook's SqsEventQueue sends them (claim checks into a fake bucket). */
async function queued(events: SignedEvent[], objects = new Map<string, string>()) {
  sqs.on(SendMessageCommand).resolves({});
  s3.on(PutObjectCommand).callsFake((input) => {
    objects.set(input.Key, String(input.Body));
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input) => {
    const text = objects.get(input.Key);
    if (text === undefined)
      throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => text } };
  });
  const queue = new SqsEventQueue({
    sqs: new SQSClient({}),
    queueUrl: QUEUE_URL,
    claimCheck: new S3ClaimCheck(BUCKET),
  });
  await queue.send(events);
  const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input as SendMessageCommandInput);
  sqs.resetHistory();
  return sent.map((m) =>
    sqsRecord(m.MessageBody ?? '', m.MessageAttributes as Record<string, { StringValue?: string }>),
  );
}

const jobs = examplesOf('workflow_job', 'completed');
const events = (n: number) =>
  Array.from({ length: n }, (_, i) => {
    const payload = structuredClone(jobs[i % jobs.length]!) as { workflow_job: { id: number } };
    payload.workflow_job.id = 1000 + i;
    return signedEventFrom('workflow_job', payload as unknown as Record<string, unknown>, {
      deliveryId: `d-${i}`,
    });
  });

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  sqs.reset();
  s3.reset();
  ssm.reset();
  dir = await tempDir();
});
afterEach(() => dir.remove());

function worker(overrides: Partial<WorkerDeps> & { store?: Store } = {}) {
  const store = overrides.store ?? new FileStore(dir.path);
  return createWorkerHandler({
    claimCheck: new S3ClaimCheck(BUCKET),
    resources: async () => ({ store }),
    park: (message, reason) => parkMessage(new SQSClient({}), DLQ_URL, message, reason),
    delay: (messages) => delayMessages(new SQSClient({}), QUEUE_URL, messages),
    requeue: (message, delayMs) => requeueMessage(new SQSClient({}), QUEUE_URL, message, delayMs),
    retry: { maxReceiveCount: 5, retentionMs: 4 * 86_400_000 },
    // The test events were received at 2026-11-01T12:00Z (signedEventFrom): a minute later.
    now: () => new Date(Date.parse('2026-11-01T12:01:00Z')),
    settings: defaultMetricSettings,
    logger: createLambdaLogger(),
    ...overrides,
  });
}
const parked = () => sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);

describe('worker Lambda', () => {
  it('collects and stores a whole batch in one store write, reporting no failures', async () => {
    const records = await queued(events(25));
    const store = new FileStore(dir.path);
    const write = jest.spyOn(store, 'write');
    const result = await worker({ store })({ Records: records }, lambdaContext('worker'));
    expect(result).toEqual({ batchItemFailures: [] });
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0]?.[0]).toHaveLength(25);
    expect(await indexEntries(dir.path)).toHaveLength(25);
    expect(parked()).toEqual([]);
  });

  it('resolves claim checks from S3', async () => {
    const big = structuredClone(example('workflow_job', 'completed')) as Record<string, unknown>;
    big.padding = 'x'.repeat(MAX_INLINE_BYTES);
    const records = await queued([signedEventFrom('workflow_job', big, { deliveryId: 'big-1' })]);
    expect(JSON.parse(records[0]!.body)).toHaveProperty('claim_check');
    const result = await worker()({ Records: records });
    expect(result.batchItemFailures).toEqual([]);
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toMatchObject({ Bucket: BUCKET });
    expect(await indexEntries(dir.path)).toHaveLength(1);
    expect((await storedRecords(dir.path)).map((r) => r.delivery_id)).toEqual(['big-1']);
  });

  it('reports only the failed message of a partial batch failure, storing the others', async () => {
    const batch = events(5);
    const records = await queued(batch);
    const flaky: Metric<unknown> = {
      name: 'flaky',
      description: 'fails for one delivery, as a GitHub outage would',
      triggers: ['github::workflow_job.completed'],
      permissions: { actions: 'read' },
      matches: (event) => event.deliveryId === 'd-2',
      collect: async () => {
        throw new Error('GitHub API 502');
      },
    };
    const result = await worker({ metrics: [...metrics, flaky] })({ Records: records });
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[2]!.messageId }]);
    // The other metric of the failed event still stored its record: the retry will find it unchanged.
    expect(await indexEntries(dir.path)).toHaveLength(5);
    expect(parked()).toEqual([]);
  });

  it('retries every message when the store write fails (nothing lost; storing is idempotent)', async () => {
    const records = await queued(events(3));
    const store: Store = {
      write: async () => {
        throw new Error('422 Update is not a fast forward');
      },
      readFile: async () => undefined,
      writeFile: async () => {},
    };
    const result = await worker({ store })({ Records: records });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records.map((r) => r.messageId).sort(),
    );
  });

  it('parks poison messages in the DLQ at once, with the reason, instead of retrying them forever', async () => {
    const good = await queued(events(2));
    const wrongShape = await queued([
      signedEventFrom(
        'workflow_job',
        { ...example('workflow_job', 'completed'), workflow_job: { id: 'not-a-job' } },
        { deliveryId: 'bad-shape' },
      ),
    ]);
    const goneClaim = sqsRecord(
      JSON.stringify({
        telemetry: 1,
        claim_check: { bucket: BUCKET, key: 'claim-checks/2026-11-01/gone.json', bytes: 2e6 },
        delivery_id: 'gone',
        trigger: 'github::workflow_job.completed',
      }),
      { delivery_id: { StringValue: 'gone' } },
    );
    const notJson = sqsRecord('{"truncated": ');
    const notOurs = sqsRecord(JSON.stringify({ Records: [{ eventName: 's3:ObjectCreated' }] }));
    const records = [...good, ...wrongShape, goneClaim, notJson, notOurs];

    sqs.on(SendMessageCommand).resolves({});
    const result = await worker()({ Records: records });
    expect(result.batchItemFailures).toEqual([]);
    const dlq = parked();
    expect(dlq).toHaveLength(4);
    for (const message of dlq) expect(message.QueueUrl).toBe(DLQ_URL);
    const byBody = new Map(dlq.map((m) => [m.MessageBody, m]));
    expect(byBody.get(wrongShape[0]!.body)?.MessageAttributes).toMatchObject({
      delivery_id: { DataType: 'String', StringValue: 'bad-shape' },
      failure_reason: { DataType: 'String', StringValue: expect.stringContaining('workflow_job payload') },
      failed_at: { DataType: 'String' },
    });
    expect(byBody.get(goneClaim.body)?.MessageAttributes?.failure_reason?.StringValue).toMatch(
      /no longer exists/,
    );
    expect(byBody.get(notJson.body)?.MessageAttributes?.failure_reason?.StringValue).toBe(
      'message body is not JSON',
    );
    expect(byBody.get(notOurs.body)?.MessageAttributes?.failure_reason?.StringValue).toMatch(
      /not a telemetry event/,
    );
    expect(await indexEntries(dir.path)).toHaveLength(2);
  });

  it('leaves a poison message to SQS redrive when parking fails, and retries a transient S3 fault', async () => {
    const records = [sqsRecord('not json at all')];
    sqs.on(SendMessageCommand).rejects(new Error('AccessDenied'));
    expect(await worker()({ Records: records })).toEqual({
      batchItemFailures: [{ itemIdentifier: records[0]!.messageId }],
    });

    const claim = sqsRecord(
      JSON.stringify({
        telemetry: 1,
        claim_check: { bucket: BUCKET, key: 'claim-checks/x.json', bytes: 2e6 },
        delivery_id: 'x',
        trigger: 't',
      }),
    );
    s3.on(GetObjectCommand).rejects(
      Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' }),
    );
    expect(await worker()({ Records: [claim] })).toEqual({
      batchItemFailures: [{ itemIdentifier: claim.messageId }],
    });
  });
});

describe('worker Lambda (deployed handler, GitHub data repository)', () => {
  it('reads its tokens from SSM once and commits a whole batch to the data repository in one commit', async () => {
    const fake = new FakeGitHub();
    const git = gitRoutes(fake);
    const repo = await git.createRepo('acme', 'telemetry-data');
    await fake.start();
    try {
      const config = configSchema.parse({
        instance: 'test',
        github: { apiUrl: fake.baseUrl },
        dataRepository: { owner: 'acme', name: 'telemetry-data', path: 'data' },
      });
      const { server: _s, aws: _a, ...needed } = config;
      Object.assign(process.env, {
        [ENV.config]: JSON.stringify(needed),
        [ENV.deadLetterQueueUrl]: DLQ_URL,
        [ENV.queueUrl]: QUEUE_URL,
        [ENV.maxReceiveCount]: '5',
        [ENV.queueRetentionSeconds]: String(4 * 86_400),
        [ENV.claimCheckBucket]: BUCKET,
        [ENV.sourceTokenParameter]: '/telemetry/test/source-repository-token',
        [ENV.dataTokenParameter]: '/telemetry/test/data-repository-token',
        [ENV.secretCacheTtlSeconds]: '300',
        [ENV.storeMaxWaitMs]: '240000',
      });
      ssm
        .on(GetParameterCommand, { Name: '/telemetry/test/data-repository-token' })
        .resolves({ Parameter: { Value: 'ghp_data' } });
      ssm
        .on(GetParameterCommand, { Name: '/telemetry/test/source-repository-token' })
        .rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));

      const first = await handler({ Records: await queued(events(30)) }, lambdaContext('worker', 300_000));
      const second = await handler({ Records: await queued(events(3)) }, lambdaContext('worker', 300_000));
      expect(first.batchItemFailures).toEqual([]);
      expect(second.batchItemFailures).toEqual([]);

      // One index entry per stored id (a record file per id before packs: the GitHubRepoStore may write either).
      const files = [...(await git.dataFiles(repo)).keys()].filter(
        (f) =>
          f.startsWith('data/hot/workflow-job/') &&
          ['index', 'hot'].includes(parseDataPath(f.slice(5))?.kind ?? ''),
      );
      expect(files).toHaveLength(30); // the second batch repeated three jobs: nothing new to write
      const commits = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/git/commits'));
      expect(commits).toHaveLength(1);
      expect(new Set(fake.contentWrites.map((w) => w.token))).toEqual(new Set(['ghp_data']));
      // Tokens are read once per TTL, not per batch; a missing source token only makes records partial.
      expect(ssm.commandCalls(GetParameterCommand)).toHaveLength(2);
    } finally {
      await fake.stop();
    }
  });
});
