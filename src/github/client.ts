import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from '../log/logger';
import { USER_AGENT } from '../version';
import { conditionalRequests, type EtagCache } from './etag-cache';

// conditionalRequests first: its hook then runs inside throttling and retry, so a 304 is already a response
// when they see it (plugin-retry would otherwise retry it as a failure).
const TelemetryOctokit = Octokit.plugin(conditionalRequests, throttling, retry);

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
   * Conditional requests (ETag / If-None-Match) for GETs read again: a 304 costs no rate limit. Pass one
   * `new EtagCache({ maxEntries })` per client and keep it to read its hit counts. Off by default: it only
   * pays for resources that are read more than once (listings walked by scheduled jobs).
   */
  etagCache?: EtagCache;
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
    request: { retries: options.retries ?? 3 },
    // Octokit logs every failed request (a 304 too) on the console by default; callers report failures
    // themselves (partial records), so request failures are debug lines here.
    log: {
      debug: (message: string) => options.logger?.debug(message),
      info: (message: string) => options.logger?.debug(message),
      warn: (message: string) => options.logger?.warn(message),
      error: (message: string) => options.logger?.debug(message),
    },
    throttle: {
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
    ...(options.etagCache ? { etagCache: options.etagCache } : {}),
  });
}
