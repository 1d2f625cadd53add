/** Time as the store sees it: injectable so tests and benchmarks run an hour of traffic in seconds. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface WritePacerOptions {
  /** Content-creating requests allowed in any 60 s window (GitHub: 80). */
  perMinute: number;
  /** Content-creating requests allowed in any 3,600 s window (GitHub: 500). */
  perHour: number;
  /**
   * Requests that may go out back to back before the pacer spreads them at the hourly rate. A small burst
   * keeps a quiet collector prompt; the hourly rate keeps a busy one from spending its hour in minutes.
   */
  burst?: number;
  clock?: Clock;
  /**
   * Longest wait the pacer accepts before it refuses with `WriteBudgetExhausted` (a retriable error): a
   * Lambda cannot wait longer than its timeout, the queue can. Default: wait as long as it takes.
   */
  maxWaitMs?: number;
}

/** The write budget would make the caller wait longer than `maxWaitMs`: retry the batch later. */
export class WriteBudgetExhausted extends Error {
  override readonly name = 'WriteBudgetExhausted';
  constructor(readonly waitMs: number) {
    super(
      `write budget exhausted: the next content-creating request is allowed in ${Math.ceil(waitMs / 1000)} s`,
    );
  }
}

const MINUTE = 60_000;
const HOUR = 3_600_000;

/**
 * Keeps content-creating requests (POST/PATCH/PUT/DELETE) under GitHub's secondary limits, which are per
 * token: a sliding one-minute and one-hour window, exactly as strict as GitHub's, plus a token bucket that
 * refills at the hourly rate so that a steady flow is spread evenly over the hour. Callers wait for their
 * turn (batches are held back, never failed); the queue keeps accumulating meanwhile, so the next batch
 * is larger and the budget buys more records per commit. `pauseUntil` lets a 403/429 from GitHub
 * stop every writer sharing this pacer. One pacer per token per process.
 */
export class WritePacer {
  private readonly sent: number[] = [];
  private readonly clock: Clock;
  private readonly burst: number;
  private tokens: number;
  private refilledAt: number;
  private pausedUntil = 0;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: WritePacerOptions) {
    if (!(options.perMinute >= 1) || !(options.perHour >= 1))
      throw new Error('write budgets must allow at least one request per minute and per hour');
    this.clock = options.clock ?? systemClock;
    this.burst = Math.max(1, Math.min(options.burst ?? 30, options.perMinute, options.perHour));
    this.tokens = this.burst;
    this.refilledAt = this.clock.now();
  }

  /** Content-creating requests sent in the last hour (what GitHub's hourly window counts). */
  get usedLastHour(): number {
    this.forget(this.clock.now());
    return this.sent.length;
  }

  /** Requests that may go out back to back: the most one `reserve` can take. */
  get burstSize(): number {
    return this.burst;
  }

  /**
   * Waits until one more content-creating request fits every budget, then counts it as sent. Refuses with
   * `WriteBudgetExhausted` at once when the wait would exceed `maxWaitMs` (this call's, else the pacer's).
   */
  acquire(maxWaitMs?: number): Promise<void> {
    return this.reserve(1, maxWaitMs);
  }

  /**
   * Waits until `count` content-creating requests fit every budget together, then counts them all as sent
   * now: a commit takes every write it needs (its trees, the commit, the ref update) in one turn, so that once
   * it starts it never waits for the budget. Refuses with `WriteBudgetExhausted` at once (nothing taken) when
   * the wait would exceed `maxWaitMs`. `count` is at most the burst (`burstSize`).
   */
  reserve(count: number, maxWaitMs?: number): Promise<void> {
    if (!(count >= 1) || count > this.burst)
      throw new Error(`a reservation takes 1 to ${this.burst} requests (the burst), not ${count}`);
    // One waiter at a time: the order of requests is the order of calls.
    const limit =
      maxWaitMs === undefined
        ? this.options.maxWaitMs
        : Math.min(maxWaitMs, this.options.maxWaitMs ?? maxWaitMs);
    const turn = this.queue.then(() => this.waitForSlots(count, limit));
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  /**
   * Gives back `count` writes of a reservation that were never sent (a commit stopped before its commit and
   * ref update): they no longer count in the windows, and the bucket has them again.
   */
  refund(count: number): void {
    const n = Math.max(0, Math.min(count, this.sent.length));
    if (n === 0) return;
    this.sent.splice(this.sent.length - n, n);
    this.tokens = Math.min(this.burst, this.tokens + n);
  }

  /**
   * Counts requests sent before this pacer existed (a previous process, a restarted Lambda), as if it had
   * sent them: the windows and the token bucket resume where they were instead of starting full.
   */
  seed(times: readonly number[]): void {
    const now = this.clock.now();
    const replay = [...this.sent, ...times.filter((t) => t > now - HOUR && t <= now)].sort((a, b) => a - b);
    this.sent.length = 0;
    this.tokens = this.burst;
    this.refilledAt = replay[0] ?? now;
    for (const t of replay) {
      this.refill(t);
      // The bucket only smooths: writers that together spent past it leave no debt (a wait of minutes that
      // failed every batch), while GitHub's own windows (per minute, per hour) still count every write.
      this.tokens = Math.max(0, this.tokens - 1);
      this.sent.push(t);
    }
    this.refill(now);
  }

  /** GitHub said "not before `at`" (retry-after / x-ratelimit-reset): every writer waits. */
  pauseUntil(at: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, at);
  }

  private async waitForSlots(count: number, maxWaitMs: number | undefined): Promise<void> {
    let waited = 0;
    for (;;) {
      const now = this.clock.now();
      const wait = this.delay(now, count);
      if (wait <= 0) {
        this.tokens -= count;
        for (let i = 0; i < count; i += 1) this.sent.push(now);
        return;
      }
      if (maxWaitMs !== undefined && waited + wait > maxWaitMs) throw new WriteBudgetExhausted(wait);
      await this.clock.sleep(wait);
      waited += wait;
    }
  }

  /** Milliseconds until `count` requests are allowed at `now` (0: now). */
  private delay(now: number, count: number): number {
    this.forget(now);
    this.refill(now);
    let wait = this.pausedUntil - now;
    const firstInMinute = this.sent.findIndex((t) => t > now - MINUTE);
    const minuteCount = firstInMinute < 0 ? 0 : this.sent.length - firstInMinute;
    // The window must drop its oldest sends until `count` more fit: wait for the last of those to age out.
    if (minuteCount + count > this.options.perMinute) {
      const last = this.sent[this.sent.length - this.options.perMinute + count - 1] as number;
      wait = Math.max(wait, last + MINUTE - now);
    }
    if (this.sent.length + count > this.options.perHour) {
      const last = this.sent[this.sent.length - this.options.perHour + count - 1] as number;
      wait = Math.max(wait, last + HOUR - now);
    }
    if (this.tokens < count)
      wait = Math.max(wait, Math.ceil(((count - this.tokens) * HOUR) / this.options.perHour));
    return wait;
  }

  private refill(now: number): void {
    const elapsed = now - this.refilledAt;
    if (elapsed <= 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.options.perHour) / HOUR);
    this.refilledAt = now;
  }

  /** Drops send times older than an hour: nothing counts them any more. */
  private forget(now: number): void {
    let drop = 0;
    while (drop < this.sent.length && (this.sent[drop] as number) <= now - HOUR) drop += 1;
    if (drop > 0) this.sent.splice(0, drop);
  }
}
