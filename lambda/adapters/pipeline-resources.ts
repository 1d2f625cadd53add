import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { TelemetryConfig } from '../../src/config/config';
import { createGitHubClient, type GitHubClient } from '../../src/github/client';
import { type GitHubSecrets, roleAuths } from '../../src/github/credentials';
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

/** SSM parameter names of the GitHub credentials, as the stack hands them over (only those `githubAuth` uses). */
export interface GitHubParameterNames {
  sourceToken?: string;
  dataToken?: string;
  appId?: string;
  appKey?: string;
  dataAppId?: string;
  dataAppKey?: string;
}

export interface PipelineResourcesOptions {
  config: TelemetryConfig;
  secrets: SsmSecrets;
  parameters: GitHubParameterNames;
  logger: Logger;
  /** See `DataStoreOptions.maxWaitMs`. */
  storeMaxWaitMs?: number;
  /** The lake (`aws.lake`), when records go there: with the data repository (`both`) or instead of it. */
  lake?: { objects: LakeObjects; write: 'both' | 'lake-only' };
  /** The current invocation's deadline (epoch ms): the source client takes no rate-limit wait past it. */
  deadline?: () => number;
}

/**
 * The GitHub client and the store of the worker and schedule functions, built from the credentials in SSM
 * that `githubAuth` names (a token or the GitHub App, per role) and rebuilt only when one changes
 * (rotation), so throttling state, the App's installations and tokens, and the store's write pacer and tree
 * cache survive across invocations. A store that fails its start-up check is not kept: the next batch
 * tries again (the failed batch is retried by SQS).
 */
export function pipelineResources(options: PipelineResourcesOptions): () => Promise<PipelineResources> {
  const { config, parameters: names } = options;
  let built: { key: string; value: PipelineResources } | undefined;
  const read = (name: string | undefined) =>
    name ? options.secrets.parameter(name) : Promise.resolve(undefined);
  return async () => {
    const values = await Promise.all(
      [names.sourceToken, names.dataToken, names.appId, names.appKey, names.dataAppId, names.dataAppKey].map(
        read,
      ),
    );
    const [token, dataToken, appId, appKey, dataAppId, dataAppKey] = values;
    const lakeOnly = options.lake?.write === 'lake-only';
    if (config.githubAuth.data === 'token' && !dataToken && !lakeOnly) {
      throw new Error(`SSM parameter ${names.dataToken} does not exist (see docs/DEPLOYMENT.md)`);
    }
    // Compared in memory only, never logged: a rotated credential rebuilds the clients.
    const key = JSON.stringify(values);
    if (built && built.key === key) return built.value;
    const secrets: GitHubSecrets = {
      ...(token ? { token } : {}),
      ...(dataToken ? { dataToken } : {}),
      ...(appId && appKey ? { app: { appId: appId.trim(), privateKey: appKey } } : {}),
      ...(dataAppId && dataAppKey ? { dataApp: { appId: dataAppId.trim(), privateKey: dataAppKey } } : {}),
    };
    const auths = roleAuths(config, secrets, {
      token: `the SSM parameter ${names.sourceToken}`,
      dataToken: `the SSM parameter ${names.dataToken}`,
      app: `the SSM parameters ${names.appId} and ${names.appKey}`,
      dataApp: `the SSM parameters ${names.dataAppId} and ${names.dataAppKey}`,
    });
    if (!auths.source) {
      options.logger.warn(
        'no source-repository token: records that need the GitHub API are stored as partial',
        { parameter: names.sourceToken },
      );
    }
    if (!auths.data && !lakeOnly)
      throw new Error('no credential for the data repository (see docs/DEPLOYMENT.md)');
    const github = auths.source
      ? createGitHubClient({
          ...auths.source,
          baseUrl: config.github.apiUrl,
          logger: options.logger,
          ...(options.deadline ? { deadline: options.deadline } : {}),
        })
      : undefined;
    const repository =
      lakeOnly || !auths.data
        ? undefined
        : await createDataStore({
            config,
            auth: auths.data,
            logger: options.logger,
            ...(options.storeMaxWaitMs !== undefined ? { maxWaitMs: options.storeMaxWaitMs } : {}),
          });
    const store: Store = options.lake
      ? new LakeStore({ objects: options.lake.objects, ...(repository ? { repository } : {}) })
      : (repository as Store);
    built = { key, value: { ...(github ? { github } : {}), store } };
    return built.value;
  };
}

const optionalEnv = (name: string, env: NodeJS.ProcessEnv) => (env[name] ? env[name] : undefined);

/** The worker's and the schedule's resources, from the environment the stack sets (credentials from SSM, cached). */
export function pipelineResourcesFromEnvironment(
  config: TelemetryConfig,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
  deadline?: () => number,
): () => Promise<PipelineResources> {
  const parameters: GitHubParameterNames = {};
  const set = (key: keyof GitHubParameterNames, variable: string) => {
    const value = optionalEnv(variable, env);
    if (value) parameters[key] = value;
  };
  set('sourceToken', ENV.sourceTokenParameter);
  set('dataToken', ENV.dataTokenParameter);
  set('appId', ENV.githubAppIdParameter);
  set('appKey', ENV.githubAppKeyParameter);
  set('dataAppId', ENV.dataAppIdParameter);
  set('dataAppKey', ENV.dataAppKeyParameter);
  if (config.githubAuth.data === 'token' && !parameters.dataToken) requireEnv(ENV.dataTokenParameter, env);
  return pipelineResources({
    config,
    secrets: new SsmSecrets({ ssm: new SSMClient({}), ttlMs: intEnv(ENV.secretCacheTtlSeconds, env) * 1000 }),
    parameters,
    storeMaxWaitMs: intEnv(ENV.storeMaxWaitMs, env),
    logger,
    ...lakeFromEnvironment(env),
    ...(deadline ? { deadline } : {}),
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
