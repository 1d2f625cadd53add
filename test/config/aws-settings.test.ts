import { awsNames } from '../../src/config/aws-settings';
import { configSchema } from '../../src/config/config';

const problems = (raw: unknown) => {
  const result = configSchema.safeParse(raw);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('aws configuration section', () => {
  it('defaults to batching, two workers, a 5-minute secret cache and 90 days of logs', () => {
    const { aws } = configSchema.parse({});
    expect(aws.worker).toMatchObject({ batchSize: 1000, maxBatchingWindowSeconds: 300, maxConcurrency: 2 });
    expect(aws.webhook.secretCacheTtlSeconds).toBe(300);
    expect(aws.logRetentionDays).toBe(90);
    expect(aws.api.allowedCidrs).toEqual([]);
    expect(aws.alarmEmail).toBeUndefined();
  });

  it('names every bad setting', () => {
    expect(
      problems({
        aws: {
          api: { allowedCidrs: ['192.30.252.0/22', 'github'], rateLimit: 0 },
          worker: { maxConcurrency: 1, batchSize: 100, maxBatchingWindowSeconds: 0 },
          logRetentionDays: 10,
          alarmEmail: 'oncall',
          unknown: true,
        },
      }),
    ).toEqual([
      'aws.api.rateLimit: Too small: expected number to be >0',
      'aws.api.allowedCidrs.1: an IPv4 or IPv6 CIDR such as 192.30.252.0/22',
      'aws.worker.maxConcurrency: Too small: expected number to be >=2',
      'aws.worker.maxBatchingWindowSeconds: a batchSize above 10 needs maxBatchingWindowSeconds of at least 1 (an SQS rule)',
      'aws.logRetentionDays: one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653',
      'aws.alarmEmail: Invalid email address',
      'aws: Unrecognized key: "unknown"',
    ]);
    expect(problems({ aws: { worker: { batchSize: 100, maxBatchingWindowSeconds: 0 } } })).toEqual([
      'aws.worker.maxBatchingWindowSeconds: a batchSize above 10 needs maxBatchingWindowSeconds of at least 1 (an SQS rule)',
    ]);
    expect(problems({ aws: { api: { allowedCidrs: ['2a0a:a440::/29'] } } })).toEqual([]);
  });

  it('derives every AWS name from the instance', () => {
    const names = awsNames('acme');
    expect(names).toMatchObject({
      stack: 'Telemetry-acme',
      queue: 'telemetry-acme-events',
      deadLetterQueue: 'telemetry-acme-events-dlq',
      webhookSecretsPath: '/telemetry/acme/webhook-secrets',
      sourceTokenParameter: '/telemetry/acme/source-repository-token',
      dataTokenParameter: '/telemetry/acme/data-repository-token',
      sendersPath: '/telemetry/acme/senders',
    });
    expect(names.function('webhook')).toBe('telemetry-acme-webhook');
  });
});
