import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { isIgnoredRepository, type MetricSettings, metricSettingsSchema } from '../metrics/settings';
import { reportSettingsSchema } from '../report/settings';
import { UserError } from '../user-error';
import { awsSettingsSchema } from './aws-settings';

const gitIdentity = z
  .object({
    name: z.string().min(1).max(200),
    email: z.string().regex(/^[^\s<>@]+@[^\s<>@]+$/, 'an e-mail address'),
  })
  .strict();

/**
 * The one configuration, read by the local server, the CLI and the CDK app. Secrets never live here
 * (environment variables locally, SSM SecureString parameters in AWS). Unknown keys are errors.
 */
export const configSchema = z
  .object({
    /** Suffixes AWS resource names and SSM paths (`/telemetry/<instance>/...`). */
    instance: z
      .string()
      .regex(
        /^[a-z][a-z0-9-]{0,23}$/,
        'lower-case letters, digits and dashes, starting with a letter, at most 24',
      )
      .default('default'),
    server: z
      .object({
        port: z.number().int().min(0).max(65535).default(3000),
        host: z.string().min(1).default('0.0.0.0'),
        dataDir: z.string().min(1).default('./telemetry-data'),
        /** Largest accepted body (GitHub sends up to 25 MB). */
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(25 * 1024 * 1024),
        /**
         * Durable acknowledgement: a delivery is answered 2xx only once it is fsync'd to the spool in
         * `<dataDir>/_spool/` (docs/ARCHITECTURE.md, "The spool"). Off: memory only, a crash loses the queue.
         */
        spool: z.boolean().default(true),
        /** Bytes of queued events held in memory at most; beyond it new deliveries get 503 + Retry-After. */
        maxQueuedBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024 * 1024),
        /** Bytes of request bodies read but not yet authenticated, across all connections (beyond: 503). */
        maxUnauthenticatedBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
        /** How long SIGTERM/SIGINT waits for the queue; what is left stays in the spool for the next start. */
        drainTimeoutSeconds: z.number().int().min(0).default(10),
        /** A client must send all request headers within this time. */
        headersTimeoutMs: z.number().int().positive().default(10_000),
        /** A client must send the whole request (headers and body) within this time. */
        requestTimeoutMs: z.number().int().positive().default(60_000),
      })
      .strict()
      .prefault({}),
    github: z
      .object({
        /** GitHub REST API root (GitHub Enterprise Server: https://HOST/api/v3). */
        apiUrl: z.url().default('https://api.github.com'),
      })
      .strict()
      .prefault({}),
    /**
     * How the collector authenticates to GitHub, per role: a token (PAT) or a GitHub App (docs/DEPLOYMENT.md,
     * "GitHub App"). Credentials are secrets: environment variables locally, SSM parameters in AWS.
     */
    githubAuth: z
      .object({
        /** Reading the source repositories (enrichment, backfill, redelivery): "token" or "app". */
        source: z.enum(['token', 'app']).default('token'),
        /** Writing the data repository: "token", the same App ("app"), or a second App ("data-app"). */
        data: z.enum(['token', 'app', 'data-app']).default('token'),
        /**
         * Owners (organisations or users) the App must be installed on; `config check` verifies each. The
         * first also answers requests that name no owner (GraphQL queries by node id).
         */
        owners: z
          .array(z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'a GitHub user or organisation name'))
          .default([]),
      })
      .strict()
      .prefault({}),
    /** The GitHub repository records are committed to (AWS, or locally with `--store github`). */
    dataRepository: z
      .object({
        owner: z.string().regex(/^[A-Za-z0-9-]{1,39}$/, 'a GitHub user or organisation name'),
        name: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a GitHub repository name'),
        branch: z.string().min(1).default('main'),
        /** Folder inside the repository that holds the records ('' = the root). */
        path: z
          .string()
          .regex(
            /^([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/,
            'a relative folder path without leading or trailing slash',
          )
          .default(''),
      })
      .strict()
      .optional(),
    /** How the GitHubRepoStore writes to the data repository (docs/ARCHITECTURE.md, "The write budget"). */
    store: z
      .object({
        /** Content-creating requests per minute for the token (GitHub allows 80). */
        writesPerMinute: z.number().int().min(1).max(80).default(60),
        /** Content-creating requests per hour for the token (GitHub allows 500). */
        writesPerHour: z.number().int().min(1).max(500).default(450),
        /**
         * Writes that may go out back to back before the hourly rate spreads them (the pacer's token bucket;
         * at most `writesPerMinute`). Sized to hold the writes of the batches one batching window brings at
         * 100,000 events an hour, so that they never wait (docs/ARCHITECTURE.md, "The write budget").
         */
        writeBurst: z.number().int().min(1).max(80).default(45),
        /** Largest tree request; bigger batches are split across commits (GitHub: about 2 MB). */
        maxTreeBytes: z.number().int().min(10_000).max(2_000_000).default(1_800_000),
        /** Commit author (default github-telemetry <github-telemetry@users.noreply.github.com>). */
        author: gitIdentity.optional(),
        /** Commit committer (default the author). */
        committer: gitIdentity.optional(),
        /** Create the branch (or an empty repository's first commit) at start-up instead of failing. */
        createBranch: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    metrics: metricSettingsSchema.prefault({}),
    /** Pushes from other systems (X-Telemetry-Event, docs/PUSH.md); sender secrets are not configuration. */
    push: z
      .object({
        /** Largest distance between X-Telemetry-Timestamp and the collector's clock: older requests are replays. */
        maxSkewSeconds: z.number().int().min(1).max(86400).default(300),
      })
      .strict()
      .prefault({}),
    /**
     * Sender operations (docs/PUSH.md, "Sender health"): bounds of the refused-request log, and in AWS one
     * alarm per listed sender on its refused items.
     */
    senders: z
      .object({
        /** The refused-request log keeps the last `maxEntries` refusals and none older than `maxDays`. */
        refusedLog: z
          .object({
            maxEntries: z.number().int().min(1).max(10_000).default(1000),
            maxDays: z.number().int().min(1).max(90).default(7),
          })
          .strict()
          .prefault({}),
        /** Senders that get a CloudWatch alarm on refused items (names as in `/telemetry/<instance>/senders/`). */
        watch: z
          .array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'a sender name'))
          .max(50)
          .default([]),
        alarm: z
          .object({
            /** Refused items within `periodMinutes` that raise a sender's alarm. */
            refusedItems: z.number().int().min(1).default(1),
            periodMinutes: z.number().int().min(1).max(1440).default(60),
            /** Email the alarms to this address (its own SNS topic); absent: the alarms only show in CloudWatch. */
            email: z.email().optional(),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** `telemetry report`: what counts as production, the change-failure window (docs/REPORTS.md). */
    report: reportSettingsSchema.prefault({}),
    /** Compaction of closed days into Parquet partitions (docs/DATA.md, "Compaction"). */
    data: z
      .object({
        /** A UTC day is compacted once it ended this many hours ago (late records still merge later). */
        compactGraceHours: z
          .number()
          .int()
          .min(0)
          .max(24 * 90)
          .default(48),
      })
      .strict()
      .prefault({}),
    /** Scheduled jobs (EventBridge Scheduler in AWS): cron expression, time zone, job name and its input. */
    schedules: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9-]{1,40}$/, 'letters, digits and dashes, at most 40'),
            /** EventBridge Scheduler cron: `cron(minutes hours day-of-month month day-of-week year)`. */
            cron: z
              .string()
              .regex(
                /^cron\(.+\)$|^rate\(.+\)$/,
                'cron(...) or rate(...) as EventBridge Scheduler writes it',
              ),
            timezone: z.string().min(1).default('UTC'),
            job: z.string().min(1),
            input: z.record(z.string(), z.unknown()).default({}),
          })
          .strict(),
      )
      .default([]),
    /** The AWS deployment (CDK app): API throttling, callers, worker batching, alarms, log retention. */
    aws: awsSettingsSchema.prefault({}),
  })
  .strict()
  .transform(ignoreDataRepository);

/**
 * The data repository's own events are never telemetry (issue #16, R9): its name joins
 * `metrics.ignoredRepositories`, so every path that collects (server, worker, backfill, scheduled jobs), whatever
 * the store, skips it. Idempotent, as the functions parse the parsed configuration again.
 */
function ignoreDataRepository<
  C extends { dataRepository?: { owner: string; name: string } | undefined; metrics: MetricSettings },
>(config: C): C {
  if (!config.dataRepository) return config;
  const { owner, name } = config.dataRepository;
  if (isIgnoredRepository(config.metrics, owner, name)) return config;
  return {
    ...config,
    metrics: {
      ...config.metrics,
      ignoredRepositories: [...config.metrics.ignoredRepositories, `${owner}/${name}`],
    },
  };
}

export type TelemetryConfig = z.infer<typeof configSchema>;

export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions {
  env?: Readonly<Record<string, string | undefined>>;
  /** Configuration file; default `TELEMETRY_CONFIG`, else `telemetry.config.json` when it exists. */
  file?: string;
  cwd?: string;
}

/** Environment variables that override settings (documented in the README's configuration table). */
const ENV_OVERRIDES: { variable: string; path: [string, string]; kind: 'int' | 'string' | 'boolean' }[] = [
  { variable: 'PORT', path: ['server', 'port'], kind: 'int' },
  { variable: 'HOST', path: ['server', 'host'], kind: 'string' },
  { variable: 'TELEMETRY_DATA_DIR', path: ['server', 'dataDir'], kind: 'string' },
  { variable: 'TELEMETRY_MAX_BODY_BYTES', path: ['server', 'maxBodyBytes'], kind: 'int' },
  { variable: 'TELEMETRY_SPOOL', path: ['server', 'spool'], kind: 'boolean' },
  { variable: 'TELEMETRY_MAX_QUEUED_BYTES', path: ['server', 'maxQueuedBytes'], kind: 'int' },
  { variable: 'TELEMETRY_DRAIN_TIMEOUT_SECONDS', path: ['server', 'drainTimeoutSeconds'], kind: 'int' },
  { variable: 'GITHUB_API_URL', path: ['github', 'apiUrl'], kind: 'string' },
  { variable: 'TELEMETRY_PUSH_MAX_SKEW_SECONDS', path: ['push', 'maxSkewSeconds'], kind: 'int' },
];

/** Reads, merges and validates the configuration once; throws ConfigError naming every bad setting. */
export function loadConfig(options: LoadConfigOptions = {}): TelemetryConfig {
  const env = options.env ?? process.env;
  const explicit = options.file ?? env.TELEMETRY_CONFIG;
  const file = configFilePath(options);

  let raw: Record<string, unknown> = {};
  if (explicit || existsSync(file)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read configuration file ${file}: ${(error as Error).message}`);
    }
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`configuration file ${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(`configuration file ${file} must hold a JSON object`);
    }
  }

  for (const { variable, path, kind } of ENV_OVERRIDES) {
    const value = env[variable];
    if (value === undefined || value === '') continue;
    let parsed: string | number | boolean = value;
    if (kind === 'int') {
      if (!/^\d+$/.test(value))
        throw new ConfigError(`${variable} must be a whole number, got ${JSON.stringify(value)}`);
      parsed = Number(value);
    }
    if (kind === 'boolean') {
      if (!/^(true|false|on|off|1|0)$/.test(value))
        throw new ConfigError(`${variable} must be on or off, got ${JSON.stringify(value)}`);
      parsed = /^(true|on|1)$/.test(value);
    }
    const [section, key] = path;
    const current = (raw[section] ?? {}) as Record<string, unknown>;
    raw[section] = { ...current, [key]: parsed };
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const where = issue.path.join('.') || '(root)';
      const keys = 'keys' in issue && Array.isArray(issue.keys) ? ` ${issue.keys.join(', ')}` : '';
      return `  ${where}:${keys} ${issue.message}`;
    });
    throw new ConfigError(
      `invalid configuration${explicit || existsSync(file) ? ` in ${file}` : ''}:\n${problems.join('\n')}`,
    );
  }
  return result.data;
}

/**
 * The configuration file `loadConfig` reads with these options: `--file`, else TELEMETRY_CONFIG, else
 * ./telemetry.config.json; undefined when there is none (defaults and environment only).
 */
export function configFile(options: LoadConfigOptions = {}): string | undefined {
  const env = options.env ?? process.env;
  const file = configFilePath(options);
  return options.file || env.TELEMETRY_CONFIG || existsSync(file) ? file : undefined;
}

function configFilePath(options: LoadConfigOptions): string {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env.TELEMETRY_CONFIG;
  return explicit ? resolve(cwd, explicit) : resolve(cwd, 'telemetry.config.json');
}
