import type { z } from 'zod';
import type { GitHubClient } from '../github/client';
import { errorMessage, type Logger } from '../log/logger';
import { commitListAnswer } from './git-answers';
import { StoreUnavailableError } from './types';
import { type Clock, WriteBudgetExhausted, type WritePacer } from './write-pacer';

/** A write that could not be completed (the caller retries the batch; nothing was half-written). */
export class StoreWriteError extends Error {
  override readonly name = 'StoreWriteError';
}

export interface RequestPolicyOptions {
  github: GitHubClient;
  owner: string;
  repo: string;
  logger: Logger;
  pacer: WritePacer;
  clock: Clock;
  random: () => number;
  /** Attempts per request on 5xx, timeouts and rate limits before the request fails. */
  maxAttempts: number;
  /** Per-request timeout in ms. */
  requestTimeoutMs: number;
  /** Cap of the exponential backoff between attempts, in ms. */
  maxBackoffMs: number;
}

/**
 * The store's one rate-limit and retry policy, on its own clock and within a deadline: content-creating
 * requests wait for the pacer; rate limits (403/429 with `retry-after`, `x-ratelimit-reset`, or GitHub's
 * "secondary rate limit" message without either) wait for GitHub's time and pause the pacer for everyone;
 * 5xx, timeouts and network faults back off with jitter. Other 4xx answers are final and thrown as they
 * are. A wait that would end past the deadline is not taken: the request fails at once with
 * `StoreUnavailableError` saying when to try again, as it does when the attempts run out.
 */
export class RequestPolicy {
  /** Epoch ms (on the clock) past which nothing waits or starts; set by the store for each write. */
  deadline: number | undefined;
  /** Longest wait for the pacer in this write (undefined: up to the deadline). */
  maxBudgetWaitMs: number | undefined;
  /** Content-creating requests already taken from the pacer (`reserve`): the next ones do not wait. */
  private prepaid = 0;

  constructor(private readonly options: RequestPolicyOptions) {}

  /** One request to the data repository (`owner`/`repo` filled in), retried as the policy says. */
  async call(
    route: string,
    params: Record<string, unknown>,
    contentCreating: boolean,
  ): Promise<{ data: unknown }> {
    const o = this.options;
    for (let attempt = 1; ; attempt += 1) {
      if (contentCreating) {
        if (this.prepaid > 0) this.prepaid -= 1;
        else await this.acquire(1);
      }
      const left = this.timeLeft();
      if (left !== undefined && left < 1000)
        throw new StoreUnavailableError(`deadline reached before ${route}`, 0);
      try {
        return await o.github.request(route, {
          owner: o.owner,
          repo: o.repo,
          ...params,
          // The store retries on its own clock: the client's retry plugin would sleep on the wall clock.
          request: {
            retries: 0,
            signal: AbortSignal.timeout(Math.min(o.requestTimeoutMs, left ?? o.requestTimeoutMs)),
          },
        });
      } catch (error) {
        const wait = this.retryDelay(error, attempt);
        if (wait === undefined) throw error;
        if (attempt >= o.maxAttempts)
          throw new StoreUnavailableError(
            `GitHub did not answer ${route} after ${attempt} attempts: ${errorMessage(error)}`,
            // GitHub's own wait for a rate limit; after 5xx and timeouts nobody knows (the caller backs off).
            isRateLimited(error) ? wait : undefined,
          );
        const remaining = this.timeLeft();
        if (remaining !== undefined && wait >= remaining)
          throw new StoreUnavailableError(
            `GitHub asks to wait ${Math.ceil(wait / 1000)} s for ${route}, past the deadline: ${errorMessage(error)}`,
            wait,
          );
        o.logger.warn('github request failed: retrying', {
          route,
          status: statusOf(error),
          attempt,
          wait_ms: wait,
          error: errorMessage(error),
        });
        await o.clock.sleep(wait);
      }
    }
  }

  /** Milliseconds until the deadline (undefined: none). */
  private timeLeft(): number | undefined {
    return this.deadline === undefined ? undefined : this.deadline - this.options.clock.now();
  }

  /**
   * Takes `count` writes of the budget at once for the requests that follow (a commit's trees, the commit,
   * the ref update), waiting at most `maxBudgetWaitMs` (and never past the deadline); else fails at once
   * with `StoreUnavailableError` carrying the wait, nothing taken (at most the pacer's burst is taken ahead:
   * beyond it, requests wait one by one). Writes left unused when the commit ends are given back by
   * `release`.
   */
  async reserve(count: number): Promise<void> {
    // A budget whose burst is smaller than a commit (a few writes a minute) takes what it can at once; the
    // rest wait their turn one by one once the commit has started.
    const now = Math.min(count, this.options.pacer.burstSize);
    await this.acquire(now);
    this.prepaid = now;
  }

  /** Ends a reservation: writes it did not send (the commit stopped early) go back to the budget. */
  release(): void {
    this.options.pacer.refund(this.prepaid);
    this.prepaid = 0;
  }

  /** Slots of the write budget, or `StoreUnavailableError` when they come only after the deadline. */
  private async acquire(count: number): Promise<void> {
    try {
      const left = this.timeLeft();
      const limit =
        this.maxBudgetWaitMs === undefined
          ? left
          : Math.min(this.maxBudgetWaitMs, left ?? this.maxBudgetWaitMs);
      await this.options.pacer.reserve(count, limit);
    } catch (error) {
      if (error instanceof WriteBudgetExhausted) throw new StoreUnavailableError(error.message, error.waitMs);
      throw error;
    }
  }

  /** How long to wait before retrying after `error`, or undefined when retrying cannot help. */
  retryDelay(error: unknown, attempt: number): number | undefined {
    const status = statusOf(error);
    const headers = headersOf(error);
    if (status === 403 || status === 429) {
      const now = this.options.clock.now();
      let until: number | undefined;
      const retryAfter = Number(headers['retry-after']);
      if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter))
        until = now + retryAfter * 1000;
      else if (headers['x-ratelimit-remaining'] === '0' && headers['x-ratelimit-reset'])
        until = Number(headers['x-ratelimit-reset']) * 1000 + 1000;
      else if (/secondary rate limit/i.test(errorMessage(error))) until = now + 60_000;
      if (until === undefined) return undefined; // a plain 403: no permission
      this.options.pacer.pauseUntil(until);
      return Math.max(0, until - now) + Math.floor(this.options.random() * 1000);
    }
    if (status === undefined || status >= 500) return this.backoff(attempt, 1000);
    return undefined;
  }

  /** Exponential backoff with full jitter in [base/2, base·2^(n-1)], capped. */
  backoff(attempt: number, base: number): number {
    const ceiling = Math.min(this.options.maxBackoffMs, base * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (this.options.random() * ceiling) / 2);
  }
}

export interface BudgetLedgerOptions {
  requests: RequestPolicy;
  pacer: WritePacer;
  clock: Clock;
  logger: Logger;
  branch: string;
  /** Commits by this committer count as spending of the same token. */
  committerEmail: string;
  /** How often, at most, the ledger re-reads the last hour of commits. */
  syncMs: number;
}

/** The trailer naming how many content-creating requests a commit cost (its trees, itself, the ref update). */
export const WRITES_TRAILER = 'Telemetry-Writes';

/** Writes a commit of the store cost: its `Telemetry-Writes` trailer, else three (one tree, commit, ref). */
export function writesOfCommit(message: string | undefined): number {
  const match = new RegExp(`^${WRITES_TRAILER}: (\\d+)$`, 'm').exec(message ?? '');
  const writes = match ? Number(match[1]) : 3;
  return Number.isInteger(writes) && writes >= 1 && writes <= 100 ? writes : 3;
}

/**
 * The write budget every writer of the branch shares, read from its history: every commit of the last hour
 * by the same committer cost the writes its `Telemetry-Writes` trailer names (three without one). A restarted Lambda resumes the budget where
 * the previous one left it, and concurrent writers (a second worker, the scheduled jobs) see each other's
 * spending.
 */
export class BudgetLedger {
  /** Commits of the last hour already counted by the pacer (ours and other writers'), by sha. */
  private readonly seen = new Map<string, number>();
  private syncedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: BudgetLedgerOptions) {}

  /** True when the last sync is older than `syncMs`. */
  get due(): boolean {
    return this.options.clock.now() - this.syncedAt >= this.options.syncMs;
  }

  /** Our own commit: its writes are already counted by the pacer. */
  own(sha: string): void {
    this.seen.set(sha, this.options.clock.now());
  }

  /** Counts in the pacer the writes other processes made in the last hour. Returns how many it added. */
  async sync(): Promise<number> {
    const o = this.options;
    const now = o.clock.now();
    this.syncedAt = now;
    for (const [sha, at] of this.seen) if (at < now - 3_600_000) this.seen.delete(sha);
    const since = new Date(now - 3_600_000).toISOString();
    const times: number[] = [];
    for (let page = 1; page <= 10; page += 1) {
      const read = await o.requests.call(
        'GET /repos/{owner}/{repo}/commits',
        { sha: o.branch, since, committer: o.committerEmail, per_page: 100, page },
        false,
      );
      const commits = parseAnswer(commitListAnswer, read.data, 'GET /repos/{owner}/{repo}/commits');
      for (const c of commits) {
        const at = Date.parse(c.commit.committer?.date ?? '');
        if (Number.isNaN(at) || this.seen.has(c.sha)) continue;
        this.seen.set(c.sha, at);
        for (let i = writesOfCommit(c.commit.message); i > 0; i -= 1) times.push(at);
      }
      if (commits.length < 100) break;
    }
    if (times.length > 0) {
      o.pacer.seed(times);
      o.logger.info('write budget: writes of other processes counted', {
        writes: times.length,
        used_last_hour: o.pacer.usedLastHour,
      });
    }
    return times.length;
  }
}

/** Parses a GitHub answer, or fails the write (retriable) naming the call and what was wrong. */
export function parseAnswer<T extends z.ZodType>(schema: T, data: unknown, call: string): z.infer<T> {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new StoreWriteError(`unexpected answer to ${call}: ${problems}`);
}

function isRateLimited(error: unknown): boolean {
  const status = statusOf(error);
  return status === 403 || status === 429;
}

export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

export function headersOf(error: unknown): Record<string, string | undefined> {
  return ((error as { response?: { headers?: Record<string, string> } } | null)?.response?.headers ??
    {}) as Record<string, string | undefined>;
}
