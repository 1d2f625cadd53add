import { Logger } from '@aws-lambda-powertools/logger';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ENV } from '../../lambda/adapters/environment';
import { createLambdaLogger } from '../../lambda/adapters/logger';
import { S3ClaimCheck } from '../../lambda/adapters/s3-claim-check';
import { MAX_INLINE_BYTES, SqsEventQueue } from '../../lambda/adapters/sqs-queue';
import { SsmSecrets, webhookSecretsFrom } from '../../lambda/adapters/ssm-secrets';
import { createWebhookHandler, handler, webhookDepsFromEnvironment } from '../../lambda/webhook';
import { collectedTriggers } from '../../src/metrics/registry';
import { trimEnvelope } from '../../src/pipeline/add-signature';
import { signedPush } from '../push/harness';
import { functionUrlEvent, lambdaContext } from '../support/aws';
import { example, signedDelivery } from '../support/webhooks';

const ssm = mockClient(SSMClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);

const SECRETS_PATH = '/telemetry/test/webhook-secrets';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-test-events';
const BUCKET = 'telemetry-test-claim-checks';
const SENDERS_PATH = '/telemetry/test/senders';

Object.assign(process.env, {
  [ENV.queueUrl]: QUEUE_URL,
  [ENV.claimCheckBucket]: BUCKET,
  [ENV.webhookSecretsPath]: SECRETS_PATH,
  [ENV.secretCacheTtlSeconds]: '300',
  [ENV.maxBodyBytes]: String(25 * 1024 * 1024),
  [ENV.collectedTriggers]: [...collectedTriggers()].join(','),
  [ENV.sendersPath]: SENDERS_PATH,
  [ENV.pushMaxSkewSeconds]: '300',
  POWERTOOLS_LOG_LEVEL: 'INFO',
});

const job = example('workflow_job', 'completed');
const secretParameters = (...values: string[]) => ({
  Parameters: values.map((value, i) => ({
    Name: `${SECRETS_PATH}/s${i}`,
    Type: 'SecureString' as const,
    Value: value,
  })),
});
const bodyOf = (response: { body: string }) => JSON.parse(response.body);

/** Captures the JSON lines Powertools writes, to check what the logs carry (and what they never carry). */
function captureLogs(): { lines: () => Record<string, unknown>[]; text: () => string; restore: () => void } {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
  ];
  return {
    text: () => written.join(''),
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l)),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

beforeEach(() => {
  ssm.reset();
  sqs.reset();
  s3.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('webhook Lambda (deployed handler, function URL events, payload format 2.0)', () => {
  // One execution environment for the whole describe: the handler keeps its clients and secret cache.
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  it('queues a signed delivery, answering 202, and reads SSM once for many invocations', async () => {
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('s3cr3t'));
    const responses = [];
    {
      // Concurrent and sequential invocations alike share one SSM read.
      const first = await Promise.all(
        [1, 2, 3].map(async () =>
          handler(functionUrlEvent(await signedDelivery('workflow_job', job, 's3cr3t')), lambdaContext('w')),
        ),
      );
      responses.push(...first);
      for (let i = 0; i < 17; i++) {
        responses.push(
          await handler(
            functionUrlEvent(await signedDelivery('workflow_job', job, 's3cr3t')),
            lambdaContext('w'),
          ),
        );
      }
    }
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(202));
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
    expect(ssm.commandCalls(GetParametersByPathCommand)[0]?.args[0].input).toEqual({
      Path: SECRETS_PATH,
      Recursive: false,
      WithDecryption: true,
      MaxResults: 10,
    });
    const sends = sqs.commandCalls(SendMessageCommand);
    expect(sends).toHaveLength(20);

    const last = responses[19]!;
    expect(last.headers).toEqual({ 'content-type': 'application/json; charset=utf-8' });
    const answer = bodyOf(last);
    expect(answer).toMatchObject({ outcome: 'queued', trigger: 'github::workflow_job.completed' });
    const message = sends[19]!.args[0].input;
    expect(message.QueueUrl).toBe(QUEUE_URL);
    const queued = JSON.parse(message.MessageBody!);
    expect(queued.telemetry).toBe(1);
    expect(queued.event).toMatchObject({
      deliveryId: answer.delivery_id,
      source: 'github',
      collectedBy: 'webhook',
    });
    expect(queued.event.payload).toEqual(trimEnvelope(job));
    expect(message.MessageAttributes?.delivery_id?.StringValue).toBe(answer.delivery_id);

    // JSON logs, one per delivery, carrying the delivery id and the Lambda request id; never the secret.
    const deliveries = logs.lines().filter((l) => l.message === 'delivery');
    expect(deliveries).toHaveLength(20);
    expect(deliveries[19]).toMatchObject({ level: 'INFO', delivery_id: answer.delivery_id, status: 202 });
    expect(deliveries[19]).toHaveProperty('function_request_id');
    expect(logs.text()).not.toContain('s3cr3t');
    expect(logs.text()).not.toMatch(/sha256=[0-9a-f]{64}/);
  });

  it('accepts a body the function URL base64-encoded (a binary content type), over the same bytes', async () => {
    const delivery = await signedDelivery('workflow_job', job, 's3cr3t');
    const response = await handler(functionUrlEvent(delivery, { base64: true }), lambdaContext('w'));
    expect(response.statusCode).toBe(202);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(0); // still cached
  });

  it('answers other paths and methods 404 without reading a secret or queueing', async () => {
    const delivery = await signedDelivery('workflow_job', job, 's3cr3t');
    for (const options of [{ path: '/' }, { path: '/telemetry/' }, { path: '/other' }, { method: 'GET' }]) {
      const response = await handler(functionUrlEvent(delivery, options), lambdaContext('w'));
      expect([options, response.statusCode, bodyOf(response)]).toEqual([
        options,
        404,
        { error: 'no such route; POST /telemetry' },
      ]);
    }
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('answers the HTTP contract without queueing anything that is refused or ignored', async () => {
    const delivery = await signedDelivery('workflow_job', job, 's3cr3t');
    const cases: [string, ReturnType<typeof functionUrlEvent>, number, RegExp][] = [
      [
        'wrong secret',
        functionUrlEvent(await signedDelivery('workflow_job', job, 'other')),
        401,
        /invalid signature/,
      ],
      [
        'no signature',
        functionUrlEvent(delivery, { headers: { 'x-hub-signature-256': undefined } }),
        401,
        /missing X-Hub-Signature-256/,
      ],
      [
        'tampered body',
        { ...functionUrlEvent(delivery), body: `${delivery.body} ` },
        401,
        /invalid signature/,
      ],
      [
        'form content type',
        functionUrlEvent(delivery, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        /application\/json/,
      ],
      [
        'no event header',
        functionUrlEvent(delivery, { headers: { 'x-github-event': undefined } }),
        400,
        /X-GitHub-Event/,
      ],
      [
        'no delivery header',
        functionUrlEvent(delivery, { headers: { 'x-github-delivery': undefined } }),
        400,
        /X-GitHub-Delivery/,
      ],
      ['empty body', { ...functionUrlEvent(delivery), body: undefined }, 401, /invalid signature/],
      ['ping', functionUrlEvent(await signedDelivery('ping', example('ping'), 's3cr3t')), 200, /pong/],
      [
        'not collected',
        functionUrlEvent(await signedDelivery('workflow_job', example('workflow_job', 'queued'), 's3cr3t')),
        202,
        /not collected/,
      ],
    ];
    for (const [name, event, status, message] of cases) {
      const response = await handler(event, lambdaContext('w'));
      expect({ name, status: response.statusCode }).toEqual({ name, status });
      expect(response.body).toMatch(message);
    }
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('answers 503 when SQS refuses, so GitHub marks the delivery failed', async () => {
    sqs
      .on(SendMessageCommand)
      .rejects(Object.assign(new Error('queue unavailable'), { name: 'ServiceUnavailable' }));
    const response = await handler(
      functionUrlEvent(await signedDelivery('workflow_job', job, 's3cr3t')),
      lambdaContext('w'),
    );
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'retry-after': '30' });
    expect(bodyOf(response)).toMatchObject({ outcome: 'error' });
  });

  it('answers a signed delivery nested 100,000 levels 400 at the door, as the local collector does', async () => {
    const body = `{"action":"completed","workflow_job":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const response = await handler(
      functionUrlEvent(await signedDelivery('workflow_job', body, 's3cr3t')),
      lambdaContext('w'),
    );
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response)).toMatchObject({ error: 'body nests deeper than 64 levels' });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('the IP allow-list (aws.api.allowedCidrs), checked by the function', () => {
  it('answers callers outside the CIDRs 403 before reading a secret or the body; serves those inside', async () => {
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('s3cr3t'));
    const allowed = webhookDepsFromEnvironment({
      ...process.env,
      [ENV.allowedCidrs]: '192.30.252.0/22,2a0a:a440::/29',
    });
    const webhook = createWebhookHandler({
      ...allowed,
      logger: createLambdaLogger(new Logger({ logLevel: 'SILENT' })),
    });
    const delivery = await signedDelivery('workflow_job', job, 's3cr3t');
    const status = async (sourceIp: string, path = '/telemetry') =>
      (await webhook(functionUrlEvent(delivery, { sourceIp, path }))).statusCode;

    expect(await status('203.0.113.9')).toBe(403);
    expect(await status('2001:db8::1')).toBe(403);
    expect(await status('203.0.113.9', '/other')).toBe(403); // the address first, then the route
    expect(bodyOf(await webhook(functionUrlEvent(delivery, { sourceIp: '10.0.0.1' })))).toEqual({
      error: 'caller not allowed',
    });
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(0);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);

    expect(await status('192.30.252.41')).toBe(202);
    expect(await status('192.30.255.254')).toBe(202);
    expect(await status('2a0a:a440::1')).toBe(202);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(3);
  });

  it('serves every caller when the list is empty (the default)', async () => {
    expect(webhookDepsFromEnvironment({ ...process.env, [ENV.allowedCidrs]: '' }).allowedCidrs).toEqual([]);
    expect(
      webhookDepsFromEnvironment({ ...process.env, [ENV.allowedCidrs]: undefined }).allowedCidrs,
    ).toEqual([]);
  });
});

describe('webhook secrets from SSM through the cache', () => {
  function handlerWithClock(ttlSeconds: number) {
    let now = 1_000_000;
    const secrets = new SsmSecrets({ ssm: new SSMClient({}), ttlMs: ttlSeconds * 1000, now: () => now });
    const queue = new SqsEventQueue({
      sqs: new SQSClient({}),
      queueUrl: QUEUE_URL,
      claimCheck: new S3ClaimCheck(BUCKET),
    });
    const webhook = createWebhookHandler({
      webhookSecrets: webhookSecretsFrom(secrets, SECRETS_PATH),
      enqueue: queue.send,
      collected: collectedTriggers(),
      maxBodyBytes: 25 * 1024 * 1024,
      logger: createLambdaLogger(new Logger({ logLevel: 'SILENT' })),
    });
    const deliver = async (secret: string) =>
      (await webhook(functionUrlEvent(await signedDelivery('workflow_job', job, secret)))).statusCode;
    return { deliver, advance: (s: number) => (now += s * 1000) };
  }

  it('rotates without downtime: a new secret is accepted after the TTL, the old one until it is removed', async () => {
    const { deliver, advance } = handlerWithClock(60);
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('old'));
    expect(await deliver('old')).toBe(202);
    expect(await deliver('new')).toBe(401);

    // Step 1: the operator adds the new secret parameter; the cache picks it up after the TTL.
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('old', 'new'));
    advance(59);
    expect(await deliver('new')).toBe(401);
    advance(2);
    expect(await deliver('new')).toBe(202);
    expect(await deliver('old')).toBe(202);

    // Step 2: GitHub now signs with the new secret; the operator deletes the old parameter.
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('new'));
    advance(61);
    expect(await deliver('old')).toBe(401);
    expect(await deliver('new')).toBe(202);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(3);
  });

  it('reads every page of the secrets path', async () => {
    const { deliver } = handlerWithClock(300);
    ssm
      .on(GetParametersByPathCommand, { NextToken: undefined })
      .resolves({ ...secretParameters('a', 'b'), NextToken: 'page-2' })
      .on(GetParametersByPathCommand, { NextToken: 'page-2' })
      .resolves(secretParameters('c'));
    expect(await deliver('c')).toBe(202);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });

  it('answers 500 when the secrets cannot be read or none exists, and keeps a known secret through an SSM outage', async () => {
    const { deliver, advance } = handlerWithClock(60);
    ssm.on(GetParametersByPathCommand).resolves({ Parameters: [] });
    expect(await deliver('s')).toBe(500);
    advance(61);
    ssm
      .on(GetParametersByPathCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(await deliver('s')).toBe(500);

    // After a failed refresh the previous answer is served for 30 s at most, then SSM is asked again.
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('s'));
    advance(31);
    expect(await deliver('s')).toBe(202);
    advance(61);
    ssm
      .on(GetParametersByPathCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(await deliver('s')).toBe(202); // the last known secrets keep working
  });
});

describe('a failed first read of the secrets', () => {
  it('is not cached: the next invocation reads SSM again', async () => {
    const secrets = new SsmSecrets({ ssm: new SSMClient({}), ttlMs: 300_000 });
    const read = webhookSecretsFrom(secrets, SECRETS_PATH);
    ssm
      .on(GetParametersByPathCommand)
      .rejectsOnce(new Error('AccessDeniedException'))
      .resolves(secretParameters('s'));
    await expect(read()).rejects.toThrow('AccessDeniedException');
    await expect(read()).resolves.toEqual(['s']);
    await expect(read()).resolves.toEqual(['s']);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(2);
  });
});

describe('claim check for events above the SQS message limit', () => {
  let logs: ReturnType<typeof captureLogs>;
  beforeEach(() => {
    logs = captureLogs();
  });
  afterEach(() => logs.restore());

  it('puts the body in S3 and queues only its key', async () => {
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('s3cr3t'));
    s3.on(PutObjectCommand).resolves({});
    const big = structuredClone(job) as Record<string, unknown> & { workflow_job: Record<string, unknown> };
    big.workflow_job.steps = Array.from({ length: 9000 }, (_, i) => ({
      name: `step ${i} ${'x'.repeat(100)}`,
      status: 'completed',
      conclusion: 'success',
      number: i + 1,
      started_at: '2021-08-23T18:12:29.000Z',
      completed_at: '2021-08-23T18:12:30.000Z',
    }));
    const delivery = await signedDelivery('workflow_job', big, 's3cr3t');
    expect(Buffer.byteLength(delivery.body)).toBeGreaterThan(MAX_INLINE_BYTES);

    const response = await handler(functionUrlEvent(delivery), lambdaContext('w'));
    expect(response.statusCode).toBe(202);
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put).toMatchObject({ Bucket: BUCKET, ContentType: 'application/json' });
    expect(put?.Key).toMatch(/^claim-checks\/\d{4}-\d{2}-\d{2}\/[0-9a-f-]+-[0-9a-f-]+\.json$/);
    expect(JSON.parse(String(put?.Body)).payload).toEqual(trimEnvelope(big));

    const message = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(Buffer.byteLength(message?.MessageBody ?? '')).toBeLessThan(1024);
    expect(JSON.parse(message?.MessageBody ?? '')).toEqual({
      telemetry: 1,
      claim_check: { bucket: BUCKET, key: put?.Key, bytes: expect.any(Number) },
      delivery_id: bodyOf(response).delivery_id,
      trigger: 'github::workflow_job.completed',
    });
  });

  it('answers 503 when S3 refuses the claim check, queueing nothing', async () => {
    ssm.on(GetParametersByPathCommand).resolves(secretParameters('s3cr3t'));
    s3.on(PutObjectCommand).rejects(new Error('SlowDown'));
    const big = { ...job, padding: 'x'.repeat(MAX_INLINE_BYTES) };
    const response = await handler(
      functionUrlEvent(await signedDelivery('workflow_job', big, 's3cr3t')),
      lambdaContext('w'),
    );
    expect(response.statusCode).toBe(503);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });
});

describe('custom pushes and sender secrets', () => {
  it('lists the parameters under a path by name (the push senders), from the same cached listing', async () => {
    const secrets = new SsmSecrets({ ssm: new SSMClient({}), ttlMs: 300_000 });
    ssm.on(GetParametersByPathCommand).resolves({
      Parameters: [
        { Name: '/telemetry/test/senders/jenkins', Type: 'SecureString', Value: 'j1' },
        { Name: '/telemetry/test/senders/gitlab-ci', Type: 'SecureString', Value: 'old,new' },
      ],
    });
    expect(await secrets.entriesByPath('/telemetry/test/senders')).toEqual({
      jenkins: 'j1',
      'gitlab-ci': 'old,new',
    });
    expect(await secrets.byPath('/telemetry/test/senders')).toEqual(['old,new', 'j1']);
    expect(ssm.commandCalls(GetParametersByPathCommand)).toHaveLength(1);
  });

  it('hands requests with X-Telemetry-Event to the push handler with the SQS enqueue', async () => {
    const enqueued: unknown[] = [];
    const webhook = createWebhookHandler({
      webhookSecrets: async () => ['unused'],
      enqueue: async (events) => {
        enqueued.push(...events);
      },
      collected: collectedTriggers(),
      maxBodyBytes: 1024 * 1024,
      logger: createLambdaLogger(new Logger({ logLevel: 'SILENT' })),
      push: async (request, enqueue) => {
        await enqueue([{ trigger: 'push::deployment' } as never]);
        return { status: 202, body: { sender: request.headers['x-telemetry-sender'] } };
      },
    });
    const event = functionUrlEvent(
      { headers: { 'content-type': 'application/json' }, body: '{"items":[]}' },
      { headers: { 'x-telemetry-event': 'deployment', 'x-telemetry-sender': 'jenkins' } },
    );
    const response = await webhook(event);
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body)).toEqual({ sender: 'jenkins' });
    expect(enqueued).toEqual([{ trigger: 'push::deployment' }]);
  });
});

describe('webhook Lambda: pushes from other systems', () => {
  it('verifies a push with the sender secret held in SSM, queues it, and lists the senders once', async () => {
    ssm.on(GetParametersByPathCommand, { Path: SENDERS_PATH }).resolves({
      Parameters: [
        { Name: `${SENDERS_PATH}/jenkins`, Type: 'SecureString', Value: 'old-secret,jenkins-secret' },
      ],
    });
    const deps = webhookDepsFromEnvironment();
    const push = createWebhookHandler({ ...deps, now: () => new Date('2026-11-01T12:00:00.000Z') });
    const item = {
      id: 'deploy-1',
      repository: 'octo-org/billing',
      environment: 'production',
      sha: 'a'.repeat(40),
      status: 'success',
      finished_at: '2026-11-01T11:59:00Z',
    };
    const nowSeconds = String(Math.floor(Date.now() / 1000));
    const signed = signedPush('deployment', item, { timestamp: nowSeconds });
    const event = functionUrlEvent({ headers: signed.headers, body: signed.body.toString() });
    const answer = await push(event);
    expect(answer.statusCode).toBe(202);
    expect(bodyOf(answer).results).toEqual([{ index: 0, id: 'deploy-1' }]);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);

    // A made-up sender is refused without another SSM call (one cached listing serves every sender).
    const stranger = signedPush('deployment', item, { sender: 'stranger', timestamp: nowSeconds });
    const refused = await push(
      functionUrlEvent({ headers: stranger.headers, body: stranger.body.toString() }),
    );
    expect(refused.statusCode).toBe(401);
    expect(ssm.commandCalls(GetParametersByPathCommand, { Path: SENDERS_PATH })).toHaveLength(1);
  });
});

describe('SQS messages', () => {
  const queue = () =>
    new SqsEventQueue({ sqs: new SQSClient({}), queueUrl: QUEUE_URL, claimCheck: new S3ClaimCheck(BUCKET) });
  const event = (deliveryId: string, message: string) => ({
    trigger: 'github::workflow_run.completed',
    source: 'github' as const,
    event: 'workflow_run',
    deliveryId,
    receivedAt: '2026-11-01T12:00:00.000Z',
    collectedBy: 'webhook' as const,
    payload: { head_commit: { message } },
  });

  it('escapes U+FFFE and U+FFFF, which SQS refuses raw, keeping the same JSON string', async () => {
    const message = 'fix: \uFFFF odd bytes \uFFFE in a commit message';
    await queue().send([event('d-1', message)]);
    const body = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input.MessageBody as string;
    expect(body).not.toMatch(/[\uFFFE\uFFFF]/);
    expect(JSON.parse(body).event.payload.head_commit.message).toBe(message);
  });

  it('sends a 500-item push with at most 25 requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    sqs.on(SendMessageCommand).callsFake(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return { MessageId: 'm' };
    });
    await queue().send(Array.from({ length: 500 }, (_, i) => event(`d-${i}`, 'ok')));
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(500);
    expect(most).toBe(25);
  });
});
