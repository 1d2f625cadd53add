import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { configSchema } from '../../src/config/config';
import { packRecords } from '../../src/data/packs';
import { trimEnvelope } from '../../src/pipeline/add-signature';
import { recordPath } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { pushHeaders } from '../../src/push/signature';
import { gitRoutes } from '../fake-github/routes/git';
import { FakeGitHub } from '../fake-github/server';
import { recordsIn } from '../store/support';
import { functionUrlEvent, sqsRecord } from '../support/aws';
import { bundleLambda } from '../support/lambda-bundle';
import { tempDir } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';

describe('Lambda bundles (esbuild with the stack options)', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir('telemetry-bundle-');
  });
  afterAll(() => dir.remove());

  it('keeps Octokit, the AWS SDK and classic zod out of the webhook, within 150 KB (issue 4)', async () => {
    const webhook = await bundleLambda('webhook', dir.path);
    expect(webhook.bytes).toBeLessThanOrEqual(150 * 1024);
    // The push contract is written with zod/mini: classic zod does not tree-shake (~440 KB).
    expect(webhook.inputs.filter((p) => p.includes('node_modules/zod/v4/classic/'))).toEqual([]);
    expect(webhook.inputs.filter((p) => p.includes('node_modules/zod/v4/mini/')).length).toBeGreaterThan(0);
    expect(
      webhook.inputs.filter((p) => /node_modules\/@octokit\/(rest|core|request|plugin)/.test(p)),
    ).toEqual([]);
    expect(webhook.inputs.filter((p) => p.includes('node_modules/@aws-sdk/'))).toEqual([]);
    // What it does need: the signature check, the shared HTTP contract and the push contract (zod/mini).
    expect(webhook.inputs).toEqual(
      expect.arrayContaining([
        'src/webhook/handle-request.ts',
        'src/webhook/verify.ts',
        'src/push/handler.ts',
      ]),
    );
    expect(webhook.inputs.some((p) => p.includes('node_modules/@octokit/webhooks-methods/'))).toBe(true);
  });

  it('bundles the worker with the metrics, Octokit and the data repository store', async () => {
    const worker = await bundleLambda('worker', dir.path);
    expect(worker.inputs).toEqual(
      expect.arrayContaining([
        'src/metrics/registry.ts',
        'src/store/github-repo-store.ts',
        'src/worker/process-batch.ts',
      ]),
    );
    expect(worker.inputs.some((p) => p.includes('node_modules/@octokit/rest/'))).toBe(true);
    expect(worker.inputs.filter((p) => p.includes('node_modules/@aws-sdk/'))).toEqual([]);
  });

  it('keeps the worker with the lake writer within 1.5 MB, and DuckDB out of every function (issue 12)', async () => {
    const worker = await bundleLambda('worker', dir.path);
    expect(worker.bytes).toBeLessThanOrEqual(1.5 * 1024 * 1024);
    expect(worker.inputs).toEqual(
      expect.arrayContaining(['src/lake/store.ts', 'src/data/parquet.ts', 'lambda/adapters/lake-objects.ts']),
    );
    const compact = await bundleLambda('lake-compact', dir.path);
    expect(compact.bytes).toBeLessThanOrEqual(1.5 * 1024 * 1024);
    expect(compact.inputs).toEqual(
      expect.arrayContaining(['src/lake/compact.ts', 'src/lake/parquet-read.ts']),
    );
    for (const bundle of [worker, compact]) {
      expect(bundle.inputs.filter((p) => p.includes('node_modules/@duckdb/'))).toEqual([]);
      expect(bundle.inputs.filter((p) => p.includes('node_modules/@aws-sdk/'))).toEqual([]);
    }
  });
});

/** SSM and SQS on loopback, speaking the AWS JSON protocols the SDK clients use. */
async function fakeAws(parameters: Record<string, string>) {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const body = JSON.parse(text || '{}');
      calls.push({ target, body });
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      const reply = (status: number, value: unknown) => {
        res.statusCode = status;
        res.end(JSON.stringify(value));
      };
      if (target === 'AmazonSSM.GetParametersByPath') {
        const below = Object.entries(parameters).filter(([name]) => name.startsWith(`${body.Path}/`));
        return reply(200, {
          Parameters: below.map(([Name, Value]) => ({ Name, Type: 'SecureString', Value })),
        });
      }
      if (target === 'AmazonSSM.GetParameter') {
        const value = parameters[body.Name];
        if (value === undefined) return reply(400, { __type: 'ParameterNotFound', message: body.Name });
        return reply(200, { Parameter: { Name: body.Name, Type: 'SecureString', Value: value } });
      }
      if (target === 'AmazonSQS.SendMessage') {
        return reply(200, {
          MessageId: 'm-1',
          MD5OfMessageBody: createHash('md5').update(body.MessageBody).digest('hex'),
        });
      }
      reply(400, { __type: 'UnknownOperationException' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { calls, url, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** Runs `handler(event)` of a bundle in a fresh Node process, as the Lambda runtime would. */
async function invokeBundle(file: string, event: unknown, dir: string, env: Record<string, string>) {
  const eventFile = join(dir, `event-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(eventFile, JSON.stringify(event));
  const script = `require(${JSON.stringify(file)}).handler(require(${JSON.stringify(eventFile)}), { awsRequestId: 'r', getRemainingTimeInMillis: () => 60000 }).then((r) => process.stdout.write('RESULT' + JSON.stringify(r)), (e) => { console.error(e); process.exit(3); });`;
  const child = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, ['--enable-source-maps', '-e', script], {
      env: {
        PATH: process.env.PATH,
        NODE_PATH: join(__dirname, '..', '..', 'node_modules'),
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'secret',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        ...env,
      },
    });
    let out = '';
    p.stdout.on('data', (c) => {
      out += c;
    });
    p.stderr.on('data', (c) => {
      out += c;
    });
    p.on('exit', (code) => resolve({ code, out }));
  });
  if (child.code !== 0 || !child.out.includes('RESULT'))
    throw new Error(`bundle failed (${child.code}): ${child.out}`);
  return JSON.parse(child.out.slice(child.out.indexOf('RESULT') + 6));
}

/** The environment lib/webhook-api.ts gives the webhook function, pointed at the fake AWS. */
function webhookEnvironment(awsUrl: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: awsUrl,
    QUEUE_URL: `${awsUrl}/123456789012/telemetry-test-events`,
    CLAIM_CHECK_BUCKET: 'bucket',
    WEBHOOK_SECRETS_PATH: '/telemetry/test/webhook-secrets',
    SECRET_CACHE_TTL_SECONDS: '300',
    MAX_BODY_BYTES: '26214400',
    SENDERS_PATH: '/telemetry/test/senders',
    PUSH_MAX_SKEW_SECONDS: '300',
    COLLECTED_TRIGGERS: 'github::workflow_job.completed',
  };
}

describe('the bundles in fresh Node processes (as deployed)', () => {
  it('webhook: a mixed push batch gets per-item results with the English zod messages', async () => {
    // Only zod/mini is in this bundle, and zod/mini loads no locale by itself: this proves the messages
    // senders rely on survive bundling (a bare "Invalid input" would not tell them what is wrong).
    const dir = await tempDir('telemetry-bundle-push-');
    const aws = await fakeAws({ '/telemetry/test/senders/jenkins': 'jenkins-secret' });
    try {
      const webhook = await bundleLambda('webhook', dir.path);
      const valid = {
        id: 'deploy-7',
        repository: 'octo-org/billing',
        environment: 'production',
        sha: 'a'.repeat(40),
        status: 'success',
        finished_at: '2026-11-01T11:59:00Z',
      };
      const { environment: _e, ...noEnvironment } = valid;
      const body = JSON.stringify({
        items: [valid, { ...noEnvironment, id: 'deploy-8', sha: 'xyz', constructor: 'x' }],
      });
      const event = functionUrlEvent({
        headers: pushHeaders('deployment', 'jenkins', 'jenkins-secret', body),
        body,
      });
      const answer = await invokeBundle(webhook.file, event, dir.path, webhookEnvironment(aws.url));
      expect(answer.statusCode).toBe(202);
      expect(JSON.parse(answer.body).results).toEqual([
        { index: 0, id: 'deploy-7' },
        {
          index: 1,
          errors: [
            { path: 'constructor', message: 'the key constructor is not allowed' },
            { path: 'environment', message: 'Invalid input: expected string, received undefined' },
            { path: 'sha', message: 'must be a commit sha (7 to 64 hexadecimal characters)' },
          ],
        },
      ]);
      const sent = aws.calls
        .filter((c) => c.target === 'AmazonSQS.SendMessage')
        .map((c) => JSON.parse(String(c.body.MessageBody)).event);
      expect(sent.map((e) => e.trigger).sort()).toEqual(['push::deployment', 'sender::refused']);
      const item = sent.find((e) => e.trigger === 'push::deployment');
      const refusal = sent.find((e) => e.trigger === 'sender::refused');
      expect(item.payload).toEqual({ schema_version: 1, ...valid });
      // The refusal travels to the worker's sender log: per-item errors, no header (no signature).
      expect(refusal).toMatchObject({
        sender: 'jenkins',
        payload: { status: 202, items: { total: 2, refused: 1 } },
      });
      expect(JSON.stringify(refusal)).not.toContain('sha256=');
    } finally {
      await aws.close();
      await dir.remove();
    }
  });

  it('webhook → queue message → worker → one commit in the data repository', async () => {
    const dir = await tempDir('telemetry-bundle-run-');
    const aws = await fakeAws({
      '/telemetry/test/webhook-secrets/one': 'bundle-secret',
      '/telemetry/test/data-repository-token': 'ghp_data',
    });
    const fake = new FakeGitHub();
    const git = gitRoutes(fake);
    const repo = await git.createRepo('acme', 'telemetry-data');
    await fake.start();
    try {
      const [webhook, worker] = [
        await bundleLambda('webhook', dir.path),
        await bundleLambda('worker', dir.path),
      ];
      const payload = example('workflow_job', 'completed');
      const event = functionUrlEvent(await signedDelivery('workflow_job', payload, 'bundle-secret'));
      const answer = await invokeBundle(webhook.file, event, dir.path, webhookEnvironment(aws.url));
      expect(answer.statusCode).toBe(202);
      const sent = aws.calls.find((c) => c.target === 'AmazonSQS.SendMessage')?.body as {
        MessageBody: string;
        MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
      };
      expect(JSON.parse(sent.MessageBody).event.payload).toEqual(trimEnvelope(payload));

      const config = configSchema.parse({
        instance: 'test',
        github: { apiUrl: fake.baseUrl },
        dataRepository: { owner: 'acme', name: 'telemetry-data' },
      });
      const { server: _s, aws: _a, ...needed } = config;
      const batch = await invokeBundle(
        worker.file,
        { Records: [sqsRecord(sent.MessageBody, sent.MessageAttributes)] },
        dir.path,
        {
          AWS_ENDPOINT_URL: aws.url,
          TELEMETRY_CONFIG_JSON: JSON.stringify(needed),
          DEAD_LETTER_QUEUE_URL: `${aws.url}/123456789012/telemetry-test-events-dlq`,
          QUEUE_URL: `${aws.url}/123456789012/telemetry-test-events`,
          MAX_RECEIVE_COUNT: '5',
          QUEUE_RETENTION_SECONDS: '345600',
          CLAIM_CHECK_BUCKET: 'bucket',
          SOURCE_TOKEN_PARAMETER: '/telemetry/test/source-repository-token',
          DATA_TOKEN_PARAMETER: '/telemetry/test/data-repository-token',
          SECRET_CACHE_TTL_SECONDS: '300',
          STORE_MAX_WAIT_MS: '240000',
        },
      );
      expect(batch).toEqual({ batchItemFailures: [] });
      // One record, in one pack beside its index entry (one commit: the queue message's batch).
      const files = await git.dataFiles(repo);
      const records = [...recordsIn(files, '').values()];
      expect(records.map((r) => [r.metric, r.status])).toEqual([['workflow-job', 'complete']]);
      expect([...files.keys()].filter((f) => f.startsWith('hot/workflow-job/')).sort()).toEqual(
        [...packRecords(records).map((p) => p.path), recordPath(records[0] as MetricRecord)].sort(),
      );
    } finally {
      await fake.stop();
      await aws.close();
      await dir.remove();
    }
  });
});
