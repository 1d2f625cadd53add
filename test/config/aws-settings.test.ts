import { awsNames } from '../../src/config/aws-settings';
import { configSchema } from '../../src/config/config';

const problems = (raw: unknown) => {
  const result = configSchema.safeParse(raw);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('aws configuration section', () => {
  it('defaults to batching, two workers, a 5-minute secret cache and 90 days of logs', () => {
    const { aws } = configSchema.parse({});
    expect(aws.worker).toMatchObject({ batchSize: 2500, maxBatchingWindowSeconds: 300, maxConcurrency: 2 });
    expect(aws.webhook.secretCacheTtlSeconds).toBe(300);
    expect(aws.webhook.reservedConcurrency).toBe(10);
    expect(aws.logRetentionDays).toBe(90);
    expect(aws.api.allowedCidrs).toEqual([]);
    expect(aws.alarmEmail).toBeUndefined();
  });

  it('names every bad setting', () => {
    expect(
      problems({
        aws: {
          // rateLimit was the REST API's stage throttle: the function URL has none (reservedConcurrency).
          api: { allowedCidrs: ['192.30.252.0/22', 'github'], rateLimit: 20 },
          webhook: { reservedConcurrency: 0 },
          worker: { maxConcurrency: 1, batchSize: 100, maxBatchingWindowSeconds: 0 },
          logRetentionDays: 10,
          alarmEmail: 'oncall',
          unknown: true,
        },
      }),
    ).toEqual([
      'aws.api.allowedCidrs.1: an IPv4 or IPv6 CIDR such as 192.30.252.0/22',
      'aws.api: Unrecognized key: "rateLimit"',
      'aws.webhook.reservedConcurrency: Too small: expected number to be >=1',
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

describe('aws.lake', () => {
  it('is off by default, and writes both the data repository and the lake once enabled', () => {
    const { lake } = configSchema.parse({}).aws;
    expect(lake).toMatchObject({ enabled: false, write: 'both', noncurrentVersionDays: 30 });
    expect(lake.retentionDays).toBeUndefined();
    expect(lake.athena).toEqual({ scanLimitGb: 10, resultsExpiryDays: 30 });
    expect(lake.compaction).toEqual({ cron: 'cron(30 3 * * ? *)', minFiles: 4, lookbackDays: 7 });
    expect(configSchema.parse({ aws: { lake: { enabled: true, write: 'lake-only' } } }).aws.lake.write).toBe(
      'lake-only',
    );
  });

  it('names every bad lake setting', () => {
    expect(
      problems({
        aws: {
          lake: {
            retentionDays: 0,
            athena: { scanLimitGb: 0 },
            compaction: { cron: 'daily', minFiles: 1 },
            crawler: true,
          },
        },
      }),
    ).toEqual([
      'aws.lake.retentionDays: Too small: expected number to be >=1',
      'aws.lake.athena.scanLimitGb: Too small: expected number to be >=1',
      'aws.lake.compaction.cron: cron(...) or rate(...) as EventBridge Scheduler writes it',
      'aws.lake.compaction.minFiles: Too small: expected number to be >=2',
      'aws.lake: Unrecognized key: "crawler"',
    ]);
    expect(problems({ aws: { lake: { write: 'lake-only' } } })).toEqual([
      'aws.lake.write: lake-only needs the lake: set aws.lake.enabled to true',
    ]);
    expect(problems({ aws: { lake: { enabled: true, write: 'lake' } } })).toEqual([
      'aws.lake.write: Invalid option: expected one of "both"|"lake-only"|"repo-only"',
    ]);
  });

  it('names the Glue database, the Athena workgroup and the compaction function after the instance', () => {
    expect(awsNames('acme-prod')).toMatchObject({
      lakeDatabase: 'telemetry_acme_prod',
      lakeWorkgroup: 'telemetry-acme-prod',
      lakeCompactFunction: 'telemetry-acme-prod-lake-compact',
    });
  });
});
