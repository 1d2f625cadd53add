import { z } from 'zod';

/** The retention periods CloudWatch Logs accepts, in days. */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const seconds = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * Where the worker and the jobs write records: the data repository and the lake (`both`), the lake alone
 * (`lake-only`: organisations past the data repository's limits), or the data repository alone (`repo-only`:
 * the lake stays deployed and queryable, nothing new is written to it).
 */
export const LAKE_WRITE_MODES = ['both', 'lake-only', 'repo-only'] as const;
export type LakeWriteMode = (typeof LAKE_WRITE_MODES)[number];

/** `aws.lake`: off by default; when off, the stack's template is exactly what it is without this section. */
export const lakeSettingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    write: z.enum(LAKE_WRITE_MODES).default('both'),
    /** Days a record file is kept under `records/`; absent: kept until the operator deletes it. */
    retentionDays: z.number().int().min(1).max(36500).optional(),
    /** Days a replaced object version (compaction, a rewritten batch) stays recoverable. */
    noncurrentVersionDays: z.number().int().min(1).max(365).default(30),
    /** Days the bucket's server access logs are kept. */
    accessLogDays: z.number().int().min(1).max(3650).default(365),
    athena: z
      .object({
        /** Per-query scan limit of the workgroup, in GB (Athena bills per TB scanned): a runaway query stops. */
        scanLimitGb: z.number().int().min(1).max(10000).default(10),
        /** Days query results stay in the results bucket. */
        resultsExpiryDays: z.number().int().min(1).max(365).default(30),
      })
      .strict()
      .prefault({}),
    compaction: z
      .object({
        /** When the compaction job merges each day's small files (EventBridge Scheduler, UTC). */
        cron: z
          .string()
          .regex(/^cron\(.+\)$|^rate\(.+\)$/, 'cron(...) or rate(...) as EventBridge Scheduler writes it')
          .default('cron(30 3 * * ? *)'),
        /** A partition (metric and day) is compacted once it holds at least this many files. */
        minFiles: z.number().int().min(2).max(10000).default(4),
        /** Partitions of the last days only: older ones were compacted already (backfills reopen them). */
        lookbackDays: z.number().int().min(1).max(3650).default(7),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((lake) => lake.enabled || lake.write !== 'lake-only', {
    message: 'lake-only needs the lake: set aws.lake.enabled to true',
    path: ['write'],
  });

export type LakeSettings = z.infer<typeof lakeSettingsSchema>;

/**
 * Settings of the AWS deployment (`aws` in the configuration file), read by the CDK app (bin/telemetry.ts).
 * Plain data only: the constructs in lib/ turn it into resources. Defaults are sized for an organisation of a
 * few hundred repositories: cheap at rest, batches big enough that one commit carries many records.
 */
export const awsSettingsSchema = z
  .object({
    api: z
      .object({
        /**
         * Callers the webhook serves (IPv4/IPv6 CIDRs, e.g. GitHub's `hooks` ranges from
         * `GET https://api.github.com/meta`), checked by the function before any work; others get 403.
         * Empty: anyone may call (the HMAC signature still guards every delivery).
         */
        allowedCidrs: z
          .array(z.union([z.cidrv4(), z.cidrv6()], { error: 'an IPv4 or IPv6 CIDR such as 192.30.252.0/22' }))
          .default([]),
      })
      .strict()
      .prefault({}),
    webhook: z
      .object({
        memoryMb: z.number().int().min(128).max(10240).default(512),
        /** GitHub waits 10 s for an answer; the webhook only verifies and enqueues. */
        timeoutSeconds: seconds(3, 28).default(10),
        /** How long webhook secrets read from SSM are reused before being read again. */
        secretCacheTtlSeconds: seconds(0, 3600).default(300),
        /**
         * The webhook function's reserved concurrency: the front door's throttle (a delivery takes about
         * 50 ms, so 10 serve about 200 a second); Lambda answers 429 beyond it and GitHub's redelivery
         * recovers those deliveries.
         */
        reservedConcurrency: z.number().int().min(1).max(1000).default(10),
      })
      .strict()
      .prefault({}),
    worker: z
      .object({
        /**
         * Messages per worker invocation (one store write, one commit, per batch; the 6 MB invocation payload
         * may cap a batch lower). 2,500 makes one commit carry about 2,500 events in 6 writes: 100,000 events
         * an hour need about 240 of the 450 writes an hour (docs/ARCHITECTURE.md, "The write budget").
         */
        batchSize: z.number().int().min(1).max(10000).default(2500),
        /** How long SQS gathers messages before invoking the worker with a smaller batch. */
        maxBatchingWindowSeconds: seconds(0, 300).default(300),
        /** Worker invocations at once (SQS event source maximumConcurrency, 2 to 1000). */
        maxConcurrency: z.number().int().min(2).max(1000).default(2),
        timeoutSeconds: seconds(30, 900).default(300),
        memoryMb: z.number().int().min(128).max(10240).default(1024),
        /** Receives before a message that keeps failing is parked in the dead-letter queue. */
        maxReceiveCount: z.number().int().min(1).max(100).default(5),
        /** How long an undelivered message waits in the queue (SQS allows 1 to 14 days). */
        queueRetentionDays: z.number().int().min(1).max(14).default(4),
      })
      .strict()
      .refine((w) => w.batchSize <= 10 || w.maxBatchingWindowSeconds >= 1, {
        message: 'a batchSize above 10 needs maxBatchingWindowSeconds of at least 1 (an SQS rule)',
        path: ['maxBatchingWindowSeconds'],
      })
      .prefault({}),
    schedule: z
      .object({
        timeoutSeconds: seconds(30, 900).default(900),
        memoryMb: z.number().int().min(128).max(10240).default(1024),
        /** Retries of a failed job run (Lambda asynchronous invocation, 0 to 2) before it is dead-lettered. */
        retryAttempts: z.number().int().min(0).max(2).default(2),
      })
      .strict()
      .prefault({}),
    /** Days large deliveries stay in the claim-check bucket; longer than the dead-letter queue keeps them. */
    claimCheckExpiryDays: z.number().int().min(15).max(365).default(30),
    /** CloudWatch Logs retention of every log group, in days. */
    logRetentionDays: z
      .number()
      .int()
      .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
        message: `one of ${LOG_RETENTION_DAYS.join(', ')}`,
      })
      .default(90),
    /** Alarms notify this address through SNS (the recipient confirms the subscription once). */
    alarmEmail: z.email().optional(),
    /** Oldest-message alarm threshold: the queue is not keeping up (or the worker is failing). */
    queueAgeAlarmSeconds: seconds(60, 1209600).default(3600),
    /** The S3 data lake (docs/DEPLOYMENT.md, "The data lake"): Parquet records, Glue tables, an Athena workgroup. */
    lake: lakeSettingsSchema.prefault({}),
  })
  .strict();

export type AwsSettings = z.infer<typeof awsSettingsSchema>;

/**
 * Every name an operator types or a tool derives from the instance: one place, read by the stack (lib/), the
 * Lambda shells (through environment variables the stack sets) and `telemetry redrive`.
 */
export function awsNames(instance: string) {
  const prefix = `telemetry-${instance}`;
  const parameters = `/telemetry/${instance}`;
  return {
    stack: `Telemetry-${instance}`,
    queue: `${prefix}-events`,
    deadLetterQueue: `${prefix}-events-dlq`,
    scheduleDeadLetterQueue: `${prefix}-schedule-dlq`,
    scheduleGroup: prefix,
    function: (name: 'webhook' | 'worker' | 'schedule') => `${prefix}-${name}`,
    /** SSM parameter path prefix; every secret lives below it. */
    parameterRoot: parameters,
    /** One SecureString per accepted webhook secret (several at once during a rotation). */
    webhookSecretsPath: `${parameters}/webhook-secrets`,
    /** Token that reads the source organisation's repositories (enrichment, backfill, redelivery). */
    sourceTokenParameter: `${parameters}/source-repository-token`,
    /** Token that commits records to the data repository. */
    dataTokenParameter: `${parameters}/data-repository-token`,
    /** The GitHub App (`githubAuth` "app"): its numeric id, and its PEM private key (SecureString). */
    githubAppIdParameter: `${parameters}/github-app/app-id`,
    githubAppKeyParameter: `${parameters}/github-app/private-key`,
    /** A second App that only writes the data repository (`githubAuth.data` "data-app"). */
    dataAppIdParameter: `${parameters}/data-github-app/app-id`,
    dataAppKeyParameter: `${parameters}/data-github-app/private-key`,
    /** One SecureString per push sender: `${parameters}/senders/<name>`. */
    sendersPath: `${parameters}/senders`,
    /** Glue database of the lake (Glue and Athena names take underscores, not dashes). */
    lakeDatabase: `telemetry_${instance.replace(/-/g, '_')}`,
    /** Athena workgroup analysts query the lake in. */
    lakeWorkgroup: prefix,
    /** The scheduled function that compacts the lake's small files. */
    lakeCompactFunction: `${prefix}-lake-compact`,
  };
}

export type AwsNames = ReturnType<typeof awsNames>;
