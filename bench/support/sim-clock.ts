import type { Clock } from '../../src/store/write-pacer';

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Discrete-event virtual time for the soak simulation. Every task (webhook arrivals, SQS pollers, Lambda
 * invocations, the store's pacer and backoff, GitHub's response times) waits through `sleep`; time jumps to
 * the earliest waiting task only when nothing else can run: no request in flight (`track`) and the event
 * loop drained. So concurrent tasks overlap in simulated time as they would in real time, and every cost
 * charged with `sleep` is paid by exactly the task that waits for it.
 */
export class SimClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers: Timer[] = [];
  private inFlight = 0;

  constructor(start: number) {
    this.time = start;
  }

  now = (): number => this.time;

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.push({ at: this.time + Math.max(0, ms), seq: this.seq++, resolve });
    });

  /** Runs `fn` (real I/O: the fake GitHub over loopback) while holding time still. */
  async track<T>(fn: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    try {
      return await fn();
    } finally {
      this.inFlight -= 1;
    }
  }

  /** Advances time until `done()` holds or nothing waits any more; false when it stopped for lack of work. */
  async run(done: () => boolean, limit = Number.POSITIVE_INFINITY): Promise<boolean> {
    for (;;) {
      await this.quiesce();
      if (done()) return true;
      const next = this.pop();
      if (!next || next.at > limit) {
        if (next) this.push(next);
        return false;
      }
      this.time = Math.max(this.time, next.at);
      next.resolve();
      // Every timer due at the same instant runs in the same step.
      while (this.timers.length > 0 && (this.timers[0] as Timer).at <= this.time)
        (this.pop() as Timer).resolve();
    }
  }

  private async quiesce(): Promise<void> {
    let idle = 0;
    while (idle < 4) {
      await new Promise((resolve) => setImmediate(resolve));
      idle = this.inFlight > 0 ? 0 : idle + 1;
    }
  }

  // A binary heap ordered by (at, seq).
  private push(timer: Timer): void {
    const h = this.timers;
    h.push(timer);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i] as Timer, h[parent] as Timer)) break;
      [h[i], h[parent]] = [h[parent] as Timer, h[i] as Timer];
      i = parent;
    }
  }

  private pop(): Timer | undefined {
    const h = this.timers;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l] as Timer, h[m] as Timer)) m = l;
        if (r < h.length && before(h[r] as Timer, h[m] as Timer)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as Timer, h[i] as Timer];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
