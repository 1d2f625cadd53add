import { SSMClient } from '@aws-sdk/client-ssm';
import type { TelemetryConfig } from '../../src/config/config';
import { createGitHubClient, type GitHubClient } from '../../src/github/client';
import type { Logger } from '../../src/log/logger';
import type { Store } from '../../src/store/types';
import { createDataStore } from './data-store';
import { ENV, intEnv, requireEnv } from './environment';
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
  /** The current invocation's deadline (epoch ms): the source client takes no rate-limit wait past it. */
  deadline?: () => number;
}

/**
 * The GitHub client and the store of the worker and schedule functions, built from the tokens in SSM and
 * rebuilt only when a token changes (rotation), so throttling state and the store's write pacer and tree
 * cache survive across invocations. A store that fails its start-up check is not kept: the next batch
 * tries again (the failed batch is retried by SQS).
 */
export function pipelineResources(options: PipelineResourcesOptions): () => Promise<PipelineResources> {
  let built: { source: string | undefined; data: string; value: PipelineResources } | undefined;
  return async () => {
    const [source, data] = await Promise.all([
      options.secrets.parameter(options.sourceTokenParameter),
      options.secrets.parameter(options.dataTokenParameter),
    ]);
    if (!data) {
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
      ? createGitHubClient({
          token: source,
          baseUrl: options.config.github.apiUrl,
          logger: options.logger,
          ...(options.deadline ? { deadline: options.deadline } : {}),
        })
      : undefined;
    const store = await createDataStore({
      config: options.config,
      token: data,
      logger: options.logger,
      ...(options.storeMaxWaitMs !== undefined ? { maxWaitMs: options.storeMaxWaitMs } : {}),
    });
    built = { source, data, value: { ...(github ? { github } : {}), store } };
    return built.value;
  };
}

/** The worker's and the schedule's resources, from the environment the stack sets (tokens from SSM, cached). */
export function pipelineResourcesFromEnvironment(
  config: TelemetryConfig,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
  deadline?: () => number,
): () => Promise<PipelineResources> {
  return pipelineResources({
    config,
    secrets: new SsmSecrets({ ssm: new SSMClient({}), ttlMs: intEnv(ENV.secretCacheTtlSeconds, env) * 1000 }),
    sourceTokenParameter: requireEnv(ENV.sourceTokenParameter, env),
    dataTokenParameter: requireEnv(ENV.dataTokenParameter, env),
    storeMaxWaitMs: intEnv(ENV.storeMaxWaitMs, env),
    logger,
    ...(deadline ? { deadline } : {}),
  });
}
