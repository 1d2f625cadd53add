import type { TelemetryConfig } from '../../src/config/config';
import { createStoreClient } from '../../src/github/client';
import type { RoleAuth } from '../../src/github/credentials';
import type { Logger } from '../../src/log/logger';
import { githubRepoStoreFromConfig } from '../../src/store/github-repo-store';
import type { Store } from '../../src/store/types';

export interface DataStoreOptions {
  config: TelemetryConfig;
  /** The data-repository token (SSM `/telemetry/<instance>/data-repository-token`) or the GitHub App. */
  auth: RoleAuth;
  logger: Logger;
  /**
   * Longest the write pacer may hold a commit back (GitHub's write budget) before the write fails as
   * retriable: shorter than the function's timeout, so a held batch is retried by SQS instead of timing out.
   */
  maxWaitMs?: number;
}

/**
 * The one place the AWS functions build their store: the GitHub data repository named by `dataRepository`,
 * written through the Git Data API with the data-repository token or App, checked once when it is built (the
 * repository exists, the token can push, the branch exists). Everything else sees only `Store`.
 */
export async function createDataStore(options: DataStoreOptions): Promise<Store> {
  const { config, logger } = options;
  const github = createStoreClient({ ...options.auth, baseUrl: config.github.apiUrl, logger });
  const store = githubRepoStoreFromConfig(config, {
    github,
    logger,
    ...(options.maxWaitMs !== undefined ? { maxWaitMs: options.maxWaitMs } : {}),
  });
  await store.verify({ createBranch: config.store.createBranch });
  return store;
}
