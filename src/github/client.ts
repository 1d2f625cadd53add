import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from '../log/logger';
import { USER_AGENT } from '../version';
import type { GitHubApp } from './auth';
import { conditionalRequests, type EtagCache } from './etag-cache';

// conditionalRequests first: its hook then runs inside throttling and retry, so a 304 is already a response
// when they see it (plugin-retry would otherwise retry it as a failure).
const TelemetryOctokit = Octokit.plugin(conditionalRequests, throttling, retry);

/** The one GitHub client type the project uses (REST + pagination + rate-limit answers + retry). */
export type GitHubClient = InstanceType<typeof TelemetryOctokit>;

export interface GitHubClientOptions {
  /** A personal access token (or any token GitHub accepts); exactly one of `token` and `app`. */
  token?: string;
  /** Authenticate as a GitHub App: each request with the installation of its owner (src/github/auth.ts). */
  app?: GitHubApp;
  /** API root; tests point it at the local fake server. */
  baseUrl?: string;
  logger?: Logger;
  /**
   * How many times a rate-limited request is retried before it fails (then the record is partial), each
   * only when GitHub's wait ends before `deadline`.
   */
  rateLimitRetries?: number;
  /** Retries for 5xx and network faults (plugin-retry). */
  retries?: number;
  /**
   * Epoch milliseconds after which the caller can no longer wait (a Lambda's remaining time minus a
   * margin), read at every rate-limit answer: a wait that would end later is not taken inside Octokit; the
   * request fails with GitHub's answer and the caller decides. Default: no deadline.
   */
  deadline?: () => number;
  /**
   * Conditional requests (ETag / If-None-Match) for GETs read again: a 304 costs no rate limit. Pass one
   * `new EtagCache({ maxEntries })` per client and keep it to read its hit counts. Off by default: it only
   * pays for resources that are read more than once (listings walked by scheduled jobs).
   */
  etagCache?: EtagCache;
  /**
   * Client-side throttling (plugin-throttling: one write a second, waits on rate limits), default on. Tests
   * and benchmarks on an accelerated clock turn it off: the GitHubRepoStore paces its own writes.
   */
  throttle?: boolean;
}

/**
 * The client a `GitHubRepoStore` writes through, in production, the CLI, tests and benchmarks alike: it never
 * waits or retries inside Octokit (no throttling, no 5xx retry), so every rate-limit and 5xx answer reaches the
 * store's one policy (`RequestPolicy`), which decides on its clock and within the invocation's deadline.
 */
export function createStoreClient(
  options: Pick<GitHubClientOptions, 'token' | 'app' | 'baseUrl' | 'logger'>,
): GitHubClient {
  return buildClient({ ...options, rateLimitRetries: 0, retries: 0 }, UNPACED, false);
}

/**
 * Builds the shared client. Metrics, stores and jobs never construct Octokit themselves: one place decides
 * the User-Agent, the rate-limit policy and the retries, and every caller (production, tests, benchmarks)
 * gets the same one. A rate-limit wait inside Octokit is taken only when it ends before `deadline`; the
 * store's own client is `createStoreClient`. Throttling state is per process (facts.md).
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const client = buildClient(options);
  // plugin-throttling paces every GraphQL request like a content-creating write: one a second per process,
  // all clients together, which made each closed pull request (one GraphQL query) cost a second of the
  // worker's time. Queries are reads (GitHub limits them by points and concurrency, not by the 80 writes a
  // minute), so they go through a twin client whose write pacing is a pass-through; its global limit of 10
  // concurrent requests, its rate-limit handling and its retries are the same. Mutations stay paced.
  const queries = buildClient({ ...options, etagCache: undefined }, UNPACED);
  const paced = client.graphql;
  const routed = (query: Parameters<typeof paced>[0], parameters?: Parameters<typeof paced>[1]) => {
    const text = typeof query === 'string' ? query : String((query as { query?: unknown }).query ?? '');
    return (/^\s*mutation\b/.test(text) ? paced : queries.graphql)(query, parameters);
  };
  client.graphql = Object.assign(routed, {
    defaults: paced.defaults,
    endpoint: paced.endpoint,
  }) as typeof paced;
  return client;
}

type ThrottleOptions = NonNullable<ConstructorParameters<typeof TelemetryOctokit>[0]>['throttle'];

/** A stand-in for plugin-throttling's `write` limiter group that schedules at once. */
const UNPACED = {
  key: () => ({ schedule: (_options: unknown, task: () => unknown) => task() }),
} as unknown as NonNullable<ThrottleOptions>['write'];

function buildClient(
  options: GitHubClientOptions,
  write?: NonNullable<ThrottleOptions>['write'],
  throttle = options.throttle ?? true,
): GitHubClient {
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  /** True: plugin-throttling waits `retryAfter` seconds and retries; false: the request fails now. */
  const waitForRateLimit = (
    limit: 'primary' | 'secondary',
    retryAfter: number,
    requestOptions: { method?: string; url?: string },
    retryCount: number,
  ): boolean => {
    const endsAt = Date.now() + retryAfter * 1000;
    const wait = retryCount < rateLimitRetries && (!options.deadline || endsAt <= options.deadline());
    options.logger?.warn(`github ${limit} rate limit`, {
      method: requestOptions.method,
      url: requestOptions.url,
      retry_after_s: retryAfter,
      retry_count: retryCount,
      waiting: wait,
    });
    return wait;
  };
  return new TelemetryOctokit({
    ...(options.app ? options.app.octokitAuth() : { auth: options.token }),
    baseUrl: options.baseUrl ?? 'https://api.github.com',
    userAgent: USER_AGENT,
    // plugin-retry's own option: a client-wide `request.retries` would make it retry every failure, 403/404/422
    // included, at once (its limiter reads `request.retries` whatever the status).
    retry: { retries: options.retries ?? 3 },
    // Octokit logs every failed request (a 304 too) on the console by default; callers report failures
    // themselves (partial records), so request failures are debug lines here.
    log: {
      debug: (message: string) => options.logger?.debug(message),
      info: (message: string) => options.logger?.debug(message),
      warn: (message: string) => options.logger?.warn(message),
      error: (message: string) => options.logger?.debug(message),
    },
    throttle: {
      enabled: throttle,
      ...(write ? { write } : {}),
      onRateLimit: (retryAfter, requestOptions, _octokit, retryCount) =>
        waitForRateLimit('primary', retryAfter, requestOptions, retryCount),
      onSecondaryRateLimit: (retryAfter, requestOptions, _octokit, retryCount) =>
        waitForRateLimit('secondary', retryAfter, requestOptions, retryCount),
    },
    ...(options.etagCache ? { etagCache: options.etagCache } : {}),
  });
}
