import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { createLambdaLogger } from '../lambda/adapters/logger';
import { S3ClaimCheck } from '../lambda/adapters/s3-claim-check';
import { SqsEventQueue } from '../lambda/adapters/sqs-queue';
import { SsmSecrets, webhookSecretsFrom } from '../lambda/adapters/ssm-secrets';
import { createWebhookHandler } from '../lambda/webhook';
import { collectedTriggers } from '../src/metrics/registry';
import { functionUrlEvent } from '../test/support/aws';
import { bundleLambda } from '../test/support/lambda-bundle';
import { example, signedDelivery } from '../test/support/webhooks';
import { percentile, round } from './stats';

/**
 * `lambda`: per function, the deployed bundle's size (esbuild with the stack's options) and its cold
 * module-load time: the median over fresh Node processes of `require(bundle)`, with the deployed
 * NODE_OPTIONS (--enable-source-maps) and the AWS SDK resolved from node_modules as the runtime provides it.
 * For the webhook also the time per delivery of verify + addSignature + enqueue (SQS mocked), through the
 * real handler on API Gateway REST proxy events.
 */
const FUNCTIONS = ['webhook', 'worker', 'schedule'] as const;
const COLD_RUNS = Number(process.env.BENCH_LAMBDA_COLD_RUNS ?? 15);
const DELIVERIES = Number(process.env.BENCH_LAMBDA_DELIVERIES ?? 3000);
const ROOT = join(__dirname, '..');

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(ROOT, 'node_modules', '.bench-lambda-'));
  const out: Record<string, Record<string, number>> = {};
  const load = loadAverage();
  try {
    for (const name of FUNCTIONS) {
      const bundle = await bundleLambda(name, dir);
      const figures = { bundle_kb: round(bundle.bytes / 1024, 1), ...coldLoad(bundle.file) };
      out[name] = figures;
      process.stdout.write(
        `${name}: ${figures.bundle_kb} KB, cold load ${figures.cold_load_ms} ms (${figures.cold_load_cpu_ms} ms CPU)\n`,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  // What the runtime's AWS SDK clients cost to load on their own (the webhook loads these two at init).
  const sdk = coldLoad(require.resolve('@aws-sdk/client-ssm'), [require.resolve('@aws-sdk/client-sqs')]);
  const timing = await webhookPerDelivery();
  out.webhook = {
    ...out.webhook,
    sdk_clients_cold_load_ms: sdk.cold_load_ms,
    sdk_clients_cold_load_cpu_ms: sdk.cold_load_cpu_ms,
    ...timing,
  };
  return {
    load_average_1m: load,
    cold_runs: COLD_RUNS,
    deliveries: DELIVERIES,
    targets: { webhook: { bundle_kb: 150, cold_load_ms: 60, p99_ms: 2 } },
    ...out,
  };
}

/**
 * Median of `COLD_RUNS` fresh processes, each timing its own `require` of the bundle: wall time, and the CPU
 * time it took (user + system), which a busy shared machine disturbs far less than wall time.
 */
function coldLoad(file: string, also: string[] = []): { cold_load_ms: number; cold_load_cpu_ms: number } {
  const requires = [file, ...also].map((f) => `require(${JSON.stringify(f)});`).join('');
  const script = `const c=process.cpuUsage(),t=process.hrtime.bigint();${requires}const u=process.cpuUsage(c);process.stdout.write(JSON.stringify([Number(process.hrtime.bigint()-t)/1e6,(u.user+u.system)/1e3]));`;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const child = spawnSync(process.execPath, ['--enable-source-maps', '-e', script], {
      env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules'), AWS_REGION: 'eu-west-1' },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`loading ${file} failed: ${child.stderr}`);
    const [w, c] = JSON.parse(child.stdout) as [number, number];
    wall.push(w);
    cpu.push(c);
  }
  return { cold_load_ms: round(percentile(wall, 50)), cold_load_cpu_ms: round(percentile(cpu, 50)) };
}

async function webhookPerDelivery(): Promise<Record<string, number>> {
  const ssm = mockClient(SSMClient);
  const sqs = mockClient(SQSClient);
  ssm.on(GetParametersByPathCommand).resolves({
    Parameters: [
      { Name: '/telemetry/bench/webhook-secrets/a', Value: 'previous-secret' },
      { Name: '/telemetry/bench/webhook-secrets/b', Value: 'bench-secret' },
    ],
  });
  sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  const secrets = new SsmSecrets({ ssm: new SSMClient({ region: 'eu-west-1' }), ttlMs: 300_000 });
  const queue = new SqsEventQueue({
    sqs: new SQSClient({ region: 'eu-west-1' }),
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/telemetry-bench-events',
    claimCheck: new S3ClaimCheck('bench-bucket'),
  });
  const handler = createWebhookHandler({
    webhookSecrets: webhookSecretsFrom(secrets, '/telemetry/bench/webhook-secrets'),
    enqueue: queue.send,
    collected: collectedTriggers(),
    maxBodyBytes: 25 * 1024 * 1024,
    logger: createLambdaLogger(new Logger({ logLevel: 'SILENT' })),
  });
  const payload = example('workflow_job', 'completed');
  const samples: number[] = [];
  const cpuSamples: number[] = [];
  for (let i = 0; i < DELIVERIES + 200; i++) {
    // Signed outside the timed section, one at a time: a heap full of pre-built events would time the GC.
    const event = functionUrlEvent(await signedDelivery('workflow_job', payload, 'bench-secret'));
    const cpu = process.cpuUsage();
    const started = performance.now();
    const response = await handler(event);
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    if (response.statusCode !== 202)
      throw new Error(`delivery ${i} answered ${response.statusCode}: ${response.body}`);
    if (i < 200) continue; // the first 200 warm the JIT and the secret cache
    samples.push(ms);
    cpuSamples.push((used.user + used.system) / 1000);
  }
  ssm.restore();
  sqs.restore();
  return {
    body_bytes: Buffer.byteLength(JSON.stringify(payload)),
    p50_ms: round(percentile(samples, 50), 3),
    p99_ms: round(percentile(samples, 99), 3),
    p99_cpu_ms: round(percentile(cpuSamples, 99), 3),
  };
}

/** The machine's 1-minute load average when the run started: the figures are only as quiet as the machine. */
function loadAverage(): number {
  return round((require('node:os') as typeof import('node:os')).loadavg()[0] ?? 0, 2);
}
