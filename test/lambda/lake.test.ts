import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../lambda/adapters/environment';
import { S3LakeObjects } from '../../lambda/adapters/lake-objects';
import { createLambdaLogger } from '../../lambda/adapters/logger';
import { lakeFromEnvironment, pipelineResources } from '../../lambda/adapters/pipeline-resources';
import { S3ClaimCheck } from '../../lambda/adapters/s3-claim-check';
import { delayMessages, parkMessage, requeueMessage } from '../../lambda/adapters/sqs-queue';
import { SsmSecrets } from '../../lambda/adapters/ssm-secrets';
import { createCompactHandler } from '../../lambda/lake-compact';
import { createWorkerHandler } from '../../lambda/worker';
import { configSchema } from '../../src/config/config';
import { parseFileKey } from '../../src/lake/layout';
import { readParquetRecords } from '../../src/lake/parquet-read';
import { defaultMetricSettings } from '../../src/metrics/settings';
import type { SignedEvent } from '../../src/pipeline/types';
import { lambdaContext, sqsRecord } from '../support/aws';
import { examplesOf, signedEventFrom } from '../support/webhooks';

process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const ssm = mockClient(SSMClient);
const LAKE = 'telemetry-test-lake';
const DLQ_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-test-events-dlq';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-test-events';

/** The lake bucket behind the mocked S3 client: PutObject, GetObject, ListObjectsV2 (paged), DeleteObjects. */
function fakeBucket(pageSize = 1000) {
  const objects = new Map<string, Uint8Array>();
  s3.on(PutObjectCommand).callsFake((input) => {
    objects.set(input.Key, input.Body as Uint8Array);
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input) => {
    const body = objects.get(input.Key);
    if (!body) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
    return { Body: { transformToByteArray: async () => body } };
  });
  s3.on(ListObjectsV2Command).callsFake((input) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? '')).sort();
    const start = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
    const page = keys.slice(start, start + pageSize);
    const more = start + pageSize < keys.length;
    return {
      Contents: page.map((Key) => ({ Key, Size: objects.get(Key)?.byteLength })),
      IsTruncated: more,
      ...(more ? { NextContinuationToken: String(start + pageSize) } : {}),
    };
  });
  s3.on(DeleteObjectsCommand).callsFake((input) => {
    for (const { Key } of input.Delete.Objects) objects.delete(Key);
    return {};
  });
  return objects;
}

const jobs = examplesOf('workflow_job', 'completed');
const events = (n: number): SignedEvent[] =>
  Array.from({ length: n }, (_, i) => {
    const payload = structuredClone(jobs[i % jobs.length]) as { workflow_job: { id: number } };
    payload.workflow_job.id = 9000 + i;
    return signedEventFrom('workflow_job', payload as unknown as Record<string, unknown>, {
      deliveryId: `d-${i}`,
    });
  });
/** Queue messages as the webhook sends them (`{"telemetry":1,"event":…}`, delivery id attribute). */
const messages = (batch: SignedEvent[]) =>
  batch.map((event) =>
    sqsRecord(JSON.stringify({ telemetry: 1, event }), {
      delivery_id: { StringValue: event.deliveryId },
      trigger: { StringValue: event.trigger },
    }),
  );

/** The deployed worker's wiring with the lake as the only store (`aws.lake.write: lake-only`). */
function lakeOnlyWorker() {
  const logger = createLambdaLogger();
  return createWorkerHandler({
    claimCheck: new S3ClaimCheck('telemetry-test-claim-checks'),
    resources: pipelineResources({
      config: configSchema.parse({}),
      secrets: new SsmSecrets({ ssm: new SSMClient({}), ttlMs: 60_000 }),
      parameters: {
        sourceToken: '/telemetry/test/source-repository-token',
        dataToken: '/telemetry/test/data-repository-token',
      },
      logger: logger.log,
      lake: { objects: new S3LakeObjects(new S3Client({}), LAKE), write: 'lake-only' },
    }),
    park: (message, reason) => parkMessage(new SQSClient({}), DLQ_URL, message, reason),
    delay: (messages) => delayMessages(new SQSClient({}), QUEUE_URL, messages),
    requeue: (message, delayMs) => requeueMessage(new SQSClient({}), QUEUE_URL, message, delayMs),
    retry: { maxReceiveCount: 5, retentionMs: 4 * 86_400_000 },
    // A minute after the example deliveries were received (test/support/webhooks.ts).
    now: () => new Date(Date.parse('2026-11-01T12:01:00Z')),
    settings: defaultMetricSettings,
    logger,
  });
}

beforeEach(() => {
  s3.reset();
  sqs.reset();
  ssm.reset();
  // No token in SSM at all: lake-only needs no data-repository token; records needing the API are partial.
  ssm
    .on(GetParameterCommand)
    .rejects(Object.assign(new Error('parameter not found'), { name: 'ParameterNotFound' }));
  sqs.on(SendMessageCommand).resolves({});
});

describe('S3LakeObjects (the lake adapter at the SDK boundary)', () => {
  it('puts, gets, lists across pages and deletes in batches of 1,000', async () => {
    const objects = fakeBucket(2);
    const lake = new S3LakeObjects(new S3Client({}), LAKE);
    const body = new Uint8Array([80, 65, 82, 49]);
    await lake.put(
      'records/metric=incident/dt=2026-11-02/batch-00112233445566778899aabbccddeeff.parquet',
      body,
      'application/vnd.apache.parquet',
    );
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: LAKE,
      Key: 'records/metric=incident/dt=2026-11-02/batch-00112233445566778899aabbccddeeff.parquet',
      Body: body,
      ContentType: 'application/vnd.apache.parquet',
    });
    for (const day of ['03', '04', '05', '06'])
      objects.set(`records/metric=incident/dt=2026-11-${day}/x`, body);
    expect(await lake.get('records/metric=incident/dt=2026-11-03/x')).toEqual(body);
    expect(await lake.get('records/missing')).toBeUndefined();
    const listed = await lake.list('records/metric=incident/');
    expect(listed.map((o) => o.key)).toEqual([...objects.keys()].sort());
    expect(listed.every((o) => o.bytes === 4)).toBe(true);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(3);

    const many = Array.from({ length: 1001 }, (_, i) => `records/k${i}`);
    await lake.delete(many);
    const deletes = s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input.Delete?.Objects?.length);
    expect(deletes).toEqual([1000, 1]);
  });

  it('reports objects S3 refused to delete (a key already gone is fine)', async () => {
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [
        { Key: 'records/a', Code: 'NoSuchKey' },
        { Key: 'records/b', Code: 'AccessDenied' },
      ],
    });
    await expect(
      new S3LakeObjects(new S3Client({}), LAKE).delete(['records/a', 'records/b']),
    ).rejects.toThrow(`S3 refused to delete 1 of 2 objects in s3://${LAKE} (first: records/b: AccessDenied)`);
  });

  it('is wired from the environment the stack sets, or not at all', () => {
    expect(lakeFromEnvironment({})).toEqual({});
    const { lake } = lakeFromEnvironment({ [ENV.lakeBucket]: LAKE, [ENV.lakeWrite]: 'both' });
    expect(lake?.write).toBe('both');
    expect(lake?.objects.location).toBe(`s3://${LAKE}`);
    expect(() => lakeFromEnvironment({ [ENV.lakeBucket]: LAKE, [ENV.lakeWrite]: 'lake' })).toThrow(
      'environment variable LAKE_WRITE must be both or lake-only',
    );
  });
});

describe('worker Lambda writing the lake (lake-only)', () => {
  it("stores a batch's records as Parquet in the lake, and a redelivered batch on the same keys", async () => {
    const objects = fakeBucket();
    const batch = events(6);
    const handler = lakeOnlyWorker();
    expect(await handler({ Records: messages(batch) }, lambdaContext('worker'))).toEqual({
      batchItemFailures: [],
    });
    const keys = [...objects.keys()].sort();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => parseFileKey(k)?.metric === 'workflow-job')).toBe(true);
    const stored = (await Promise.all([...objects.values()].map((b) => readParquetRecords(b)))).flat();
    expect(stored.map((r) => r.delivery_id).sort()).toEqual(batch.map((e) => e.deliveryId).sort());

    // SQS redelivers the same messages: the same objects are put again, none added.
    await handler({ Records: messages(batch) }, lambdaContext('worker'));
    expect([...objects.keys()].sort()).toEqual(keys);
  });

  it('reports every message for retry when the lake write fails, parking nothing (SQS then the DLQ)', async () => {
    s3.on(PutObjectCommand).rejects(
      Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown' }),
    );
    const records = messages(events(3));
    const result = await lakeOnlyWorker()({ Records: records }, lambdaContext('worker'));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records.map((r) => r.messageId).sort(),
    );
    expect(sqs.commandCalls(SendMessageCommand)).toEqual([]);
  });
});

describe('lake compaction Lambda', () => {
  it("merges each recent day's batch files through S3 and reports what it did", async () => {
    const objects = fakeBucket(3);
    const handler = lakeOnlyWorker();
    // Four deliveries, one batch each: four files on the day of the example payloads.
    for (const event of events(4)) await handler({ Records: messages([event]) });
    const before = [...objects.keys()];
    const day = parseFileKey(before[0] as string)?.day as string;
    expect(before.filter((k) => parseFileKey(k)?.day === day)).toHaveLength(4);

    const compact = createCompactHandler({
      objects: new S3LakeObjects(new S3Client({}), LAKE),
      minFiles: 4,
      lookbackDays: 1,
      logger: createLambdaLogger(),
      now: () => new Date(`${day}T23:00:00Z`),
    });
    const summary = await compact({}, lambdaContext('lake-compact', 900_000));
    expect(summary).toMatchObject({
      compacted: 1,
      filesIn: 4,
      filesOut: 1,
      rowsIn: 4,
      rowsOut: 4,
      finished: true,
    });
    const after = [...objects.keys()];
    expect(after).toEqual([expect.stringMatching(new RegExp(`dt=${day}/compacted-[0-9a-f]{32}\\.parquet$`))]);
    expect((await readParquetRecords(objects.get(after[0] as string) as Uint8Array)).length).toBe(4);
    await expect(compact({ lookbackDays: 0 })).rejects.toThrow(/not a compaction event/);
  });
});
