import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { TelemetryConfig } from '../../src/config/config';
import { createGitHubClient, type GitHubClient } from '../../src/github/client';
import type { LakeObjects } from '../../src/lake/objects';
import { LakeStore } from '../../src/lake/store';
import type { Logger } from '../../src/log/logger';
import type { Store } from '../../src/store/types';
import { createDataStore } from './data-store';
import { ENV, intEnv, requireEnv } from './environment';
import { S3LakeObjects } from './lake-objects';
import { SsmSecrets } from './ssm-secrets';

export interface PipelineResources {
  /** Reads the source organisation (enrichment, jobs); undefined without a source-repository token. */
  github?: GitHubClient;
  store: Store;
}

export interface PipelineResourcesOptions {
  config: TelemetryConfig;
  secrets: SsmSecrets;
  sourceTokenParameter: string;
  dataTokenParameter: string;
  logger: Logger;
  /** See `DataStoreOptions.maxWaitMs`. */
  storeMaxWaitMs?: number;
  /** The lake (`aws.lake`), when records go there: with the data repository (`both`) or instead of it. */
  lake?: { objects: LakeObjects; write: 'both' | 'lake-only' };
}

/**
 * The GitHub client and the store of the worker and schedule functions, built from the tokens in SSM and
 * rebuilt only when a token changes (rotation), so throttling state and the store's write pacer and tree
 * cache survive across invocations. A store that fails its start-up check is not kept: the next batch
 * tries again (the failed batch is retried by SQS).
 */
export function pipelineResources(options: PipelineResourcesOptions): () => Promise<PipelineResources> {
  let built: { source: string | undefined; data: string | undefined; value: PipelineResources } | undefined;
  return async () => {
    const [source, data] = await Promise.all([
      options.secrets.parameter(options.sourceTokenParameter),
      options.secrets.parameter(options.dataTokenParameter),
    ]);
    const lakeOnly = options.lake?.write === 'lake-only';
    if (!data && !lakeOnly) {
      throw new Error(`SSM parameter ${options.dataTokenParameter} does not exist (see docs/DEPLOYMENT.md)`);
    }
    if (built && built.source === source && built.data === data) return built.value;
    if (!source) {
      options.logger.warn(
        'no source-repository token: records that need the GitHub API are stored as partial',
        {
          parameter: options.sourceTokenParameter,
        },
      );
    }
    const github = source
      ? createGitHubClient({ token: source, baseUrl: options.config.github.apiUrl, logger: options.logger })
      : undefined;
    const repository =
      lakeOnly || !data
        ? undefined
        : await createDataStore({
            config: options.config,
            token: data,
            logger: options.logger,
            ...(options.storeMaxWaitMs !== undefined ? { maxWaitMs: options.storeMaxWaitMs } : {}),
          });
    const store: Store = options.lake
      ? new LakeStore({ objects: options.lake.objects, ...(repository ? { repository } : {}) })
      : (repository as Store);
    built = { source, data, value: { ...(github ? { github } : {}), store } };
    return built.value;
  };
}

/** The worker's and the schedule's resources, from the environment the stack sets (tokens from SSM, cached). */
export function pipelineResourcesFromEnvironment(
  config: TelemetryConfig,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<PipelineResources> {
  return pipelineResources({
    config,
    secrets: new SsmSecrets({ ssm: new SSMClient({}), ttlMs: intEnv(ENV.secretCacheTtlSeconds, env) * 1000 }),
    sourceTokenParameter: requireEnv(ENV.sourceTokenParameter, env),
    dataTokenParameter: requireEnv(ENV.dataTokenParameter, env),
    storeMaxWaitMs: intEnv(ENV.storeMaxWaitMs, env),
    logger,
    ...lakeFromEnvironment(env),
  });
}

/** The lake the stack wires in (lib/lake.ts sets `LAKE_BUCKET` and `LAKE_WRITE`), or nothing. */
export function lakeFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
): Pick<PipelineResourcesOptions, 'lake'> {
  const bucket = env[ENV.lakeBucket];
  if (!bucket) return {};
  const write = requireEnv(ENV.lakeWrite, env);
  if (write !== 'both' && write !== 'lake-only') {
    throw new Error(`environment variable ${ENV.lakeWrite} must be both or lake-only`);
  }
  return { lake: { objects: new S3LakeObjects(new S3Client({}), bucket), write } };
}
