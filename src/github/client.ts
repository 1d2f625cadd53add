import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from '../log/logger';
import { USER_AGENT } from '../version';

const TelemetryOctokit = Octokit.plugin(throttling, retry);

/** The one GitHub client type the project uses (REST + pagination + throttling + retry). */
export type GitHubClient = InstanceType<typeof TelemetryOctokit>;

export interface GitHubClientOptions {
  token: string;
  /** API root; tests point it at the local fake server. */
  baseUrl?: string;
  logger?: Logger;
  /** How many times a rate-limited request is retried before it fails (then the record is partial). */
  rateLimitRetries?: number;
  /** Retries for 5xx and network faults (plugin-retry). */
  retries?: number;
  /**
   * Client-side throttling (plugin-throttling: one write a second, waits on rate limits), default on. Tests
   * and benchmarks on an accelerated clock turn it off: the GitHubRepoStore paces its own writes.
   */
  throttle?: boolean;
}

/**
 * Builds the shared client. Metrics, stores and jobs never construct Octokit themselves: one place decides
 * the User-Agent, the throttling policy and the retries. Throttling state is per process (facts.md).
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  return new TelemetryOctokit({
    auth: options.token,
    baseUrl: options.baseUrl ?? 'https://api.github.com',
    userAgent: USER_AGENT,
    // Octokit logs every failed request at error level; callers handle (and log) their own failures.
    ...(options.logger ? { log: octokitLog(options.logger) } : {}),
    request: { retries: options.retries ?? 3 },
    throttle: {
      enabled: options.throttle ?? true,
      onRateLimit: (retryAfter, requestOptions, _octokit, retryCount) => {
        options.logger?.warn('github primary rate limit', {
          method: requestOptions.method,
          url: requestOptions.url,
          retry_after_s: retryAfter,
          retry_count: retryCount,
        });
        return retryCount < rateLimitRetries;
      },
      onSecondaryRateLimit: (retryAfter, requestOptions, _octokit, retryCount) => {
        options.logger?.warn('github secondary rate limit', {
          method: requestOptions.method,
          url: requestOptions.url,
          retry_after_s: retryAfter,
          retry_count: retryCount,
        });
        return retryCount < rateLimitRetries;
      },
    },
  });
}

function octokitLog(logger: Logger) {
  const quiet = () => {};
  return {
    debug: quiet,
    info: quiet,
    warn: (message: string) => logger.warn(message),
    error: (message: string) => logger.debug(message),
  };
}
