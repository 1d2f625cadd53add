import type { GitHubClient } from '../github/client';

type Headers = Record<string, string | number | undefined>;

/**
 * The share of a token's hourly request budget one job run may spend. It reads `x-ratelimit-remaining`,
 * `-limit` and `-reset` from every answer the job's client receives (listings and the metrics' enrichment
 * alike) and says `exhausted` once spending more would eat into what is left for everyone else (the webhook
 * worker enriches with the same token). Jobs check it between items, so they stop on a clean boundary,
 * save their cursors, and the next run resumes; a request is never cut off half way.
 */
export class RateBudget {
  /** Requests this job made (answers seen, 304s included). */
  requests = 0;
  remaining: number | null = null;
  limit: number | null = null;
  /** When the window resets, ms since the epoch. */
  resetAt: number | null = null;

  /**
   * @param share fraction of the hourly limit this job may use, 0 < share ≤ 1
   * @param margin requests kept back on top, so the item in flight when the check passed can finish
   */
  constructor(
    readonly share = 0.5,
    readonly margin = 25,
    private readonly now: () => number = Date.now,
  ) {
    if (!(share > 0 && share <= 1)) throw new Error(`budget share must be in (0, 1], got ${share}`);
  }

  observe(headers: Headers | undefined): void {
    this.requests += 1;
    if (!headers) return;
    const remaining = Number(headers['x-ratelimit-remaining']);
    const limit = Number(headers['x-ratelimit-limit']);
    const reset = Number(headers['x-ratelimit-reset']);
    if (headers['x-ratelimit-remaining'] !== undefined && Number.isFinite(remaining))
      this.remaining = remaining;
    if (headers['x-ratelimit-limit'] !== undefined && Number.isFinite(limit)) this.limit = limit;
    if (headers['x-ratelimit-reset'] !== undefined && Number.isFinite(reset)) this.resetAt = reset * 1000;
  }

  /** Requests the job may still make before it stops, or null before the first answer. */
  get left(): number | null {
    if (this.remaining === null) return null;
    if (this.resetAt !== null && this.now() >= this.resetAt) return null; // a fresh window: unknown again
    const reserve = Math.floor((this.limit ?? this.remaining) * (1 - this.share)) + this.margin;
    return Math.max(0, this.remaining - reserve);
  }

  get exhausted(): boolean {
    return this.left === 0;
  }

  /** Counts every answer `github` receives until the returned function is called. */
  attach(github: GitHubClient): () => void {
    const after = (response: { headers: Headers }) => this.observe(response.headers);
    const error = (err: unknown) => {
      this.observe((err as { response?: { headers?: Headers } }).response?.headers);
      throw err;
    };
    github.hook.after('request', after);
    github.hook.error('request', error);
    return () => {
      github.hook.remove('request', after);
      github.hook.remove('request', error);
    };
  }
}

/** Thrown by listings when the budget is spent or the job was aborted: the caller saves its cursor and stops. */
export class StopJob extends Error {
  override readonly name = 'StopJob';
}
