import type { TelemetryConfig } from '../../src/config/config';
import type { Logger } from '../../src/log/logger';
import type { Store } from '../../src/store/types';

export interface DataStoreOptions {
  config: TelemetryConfig;
  /** The data-repository token (SSM `/telemetry/<instance>/data-repository-token`). */
  token: string;
  logger: Logger;
}

/**
 * The one place the AWS functions build their store: the GitHub data repository named by
 * `dataRepository` in the configuration. Everything else sees only the `Store` interface.
 */
export function createDataStore(options: DataStoreOptions): Store {
  const repository = options.config.dataRepository;
  if (!repository) {
    throw new Error(
      'dataRepository is not configured: the AWS deployment commits records to a GitHub repository',
    );
  }
  // GitHubRepoStore (src/store/github-repo-store.ts) is built by the store issue; until it is merged the
  // worker fails its batches, which SQS retries and then parks in the dead-letter queue: nothing is lost.
  throw new Error(
    `the GitHub data repository store is not available in this build (${repository.owner}/${repository.name})`,
  );
}
