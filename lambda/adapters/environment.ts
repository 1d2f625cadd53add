/**
 * Reads the settings the stack (lib/) hands every function as environment variables. A missing one is a
 * deployment fault: the message names it.
 */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

export function intEnv(name: string, env: NodeJS.ProcessEnv = process.env): number {
  const value = requireEnv(name, env);
  if (!/^\d+$/.test(value)) throw new Error(`environment variable ${name} must be a whole number`);
  return Number(value);
}

/** The webhook's one route on its function URL (the stack's `WebhookUrl` ends with it). */
export const WEBHOOK_PATH = '/telemetry';

/** Environment variable names, shared by the stack that sets them and the functions that read them. */
export const ENV = {
  queueUrl: 'QUEUE_URL',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  claimCheckBucket: 'CLAIM_CHECK_BUCKET',
  webhookSecretsPath: 'WEBHOOK_SECRETS_PATH',
  /** SSM path of the push senders' secrets (one parameter per sender). */
  sendersPath: 'SENDERS_PATH',
  secretCacheTtlSeconds: 'SECRET_CACHE_TTL_SECONDS',
  maxBodyBytes: 'MAX_BODY_BYTES',
  /** `push.maxSkewSeconds`: the timestamp window of pushes. */
  pushMaxSkewSeconds: 'PUSH_MAX_SKEW_SECONDS',
  collectedTriggers: 'COLLECTED_TRIGGERS',
  /** `aws.api.allowedCidrs`, comma-separated: the webhook serves only these callers (empty: anyone). */
  allowedCidrs: 'ALLOWED_CIDRS',
  sourceTokenParameter: 'SOURCE_TOKEN_PARAMETER',
  dataTokenParameter: 'DATA_TOKEN_PARAMETER',
  /** SSM parameters of the GitHub App (`githubAuth`), set only when the configuration uses it. */
  githubAppIdParameter: 'GITHUB_APP_ID_PARAMETER',
  githubAppKeyParameter: 'GITHUB_APP_PRIVATE_KEY_PARAMETER',
  dataAppIdParameter: 'DATA_APP_ID_PARAMETER',
  dataAppKeyParameter: 'DATA_APP_PRIVATE_KEY_PARAMETER',
  /** Longest the store's write pacer may hold a commit back: the function's timeout less a minute. */
  storeMaxWaitMs: 'STORE_MAX_WAIT_MS',
  /** The event queue's redrive `maxReceiveCount` (the worker requeues a transient failure before it). */
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  /** The event queue's message retention in seconds (a transient failure older than this is parked). */
  queueRetentionSeconds: 'QUEUE_RETENTION_SECONDS',
  /** The validated configuration as JSON (worker and schedule: metric settings, data repository, jobs). */
  config: 'TELEMETRY_CONFIG_JSON',
  /** The lake bucket the worker and the jobs write records to (set only when `aws.lake` writes). */
  lakeBucket: 'LAKE_BUCKET',
  /** `aws.lake.write` where the lake is written: `both` or `lake-only`. */
  lakeWrite: 'LAKE_WRITE',
  /** `aws.lake.compaction.minFiles` and `.lookbackDays`, for the compaction function. */
  lakeCompactMinFiles: 'LAKE_COMPACT_MIN_FILES',
  lakeCompactLookbackDays: 'LAKE_COMPACT_LOOKBACK_DAYS',
} as const;

/**
 * The CloudWatch metric of refused push items (Powertools Metrics, EMF), shared by the webhook that publishes
 * it and the stack's per-sender alarms (lib/sender-alarms.ts): the same namespace, name and dimensions.
 */
export const SENDER_METRICS = {
  namespace: 'GithubTelemetry',
  /** Powertools adds a `service` dimension to every metric; the alarms name it too. */
  service: 'telemetry-webhook',
  refusedItems: 'RefusedItems',
  senderDimension: 'Sender',
} as const;
