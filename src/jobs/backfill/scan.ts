import { StopJob } from '../budget';
import { emptyState, type KindResult, type KindState, type Window } from './types';

/** How long an entity may stay pending before it is given up on (it will never complete). */
export const PENDING_MAX_AGE_MS = 7 * 86_400_000;

/**
 * Entities seen but not final yet (a run in progress, a deployment without a final status). They are kept in
 * the kind's state (through `onChange`), so the next run reads them again by id, even after a stop.
 */
export class PendingEntities {
  private readonly entries: Map<string, { id: string; created_at: string }>;

  constructor(
    saved: readonly { id: string; created_at: string }[],
    private readonly onChange: (list: { id: string; created_at: string }[]) => void,
  ) {
    this.entries = new Map(saved.map((p) => [p.id, p]));
    onChange(this.list());
  }

  keep(id: string, createdAt: string): void {
    this.entries.set(id, { id, created_at: createdAt });
    this.onChange(this.list());
  }

  drop(id: string): void {
    this.entries.delete(id);
    this.onChange(this.list());
  }

  list(): { id: string; created_at: string }[] {
    return [...this.entries.values()];
  }

  /** Pending for longer than PENDING_MAX_AGE_MS. */
  static expired(createdAt: string, now: Date): boolean {
    return now.getTime() - Date.parse(createdAt) > PENDING_MAX_AGE_MS;
  }
}

/**
 * Bookkeeping for a listing read newest first (GitHub lists pull requests by `updated`, runs and deployments
 * by `created`, newest first). Reading stops at the cursor. When a run has to stop half way (budget), the
 * items it did collect, all newer than the point where it stopped, become a `done` interval the next run
 * skips, and the cursor stays where it was: nothing is lost and nothing is read twice.
 */
export class NewestFirstScan {
  readonly state: KindState;
  /** True when the saved state covers the window, so reading may stop at its cursor. */
  readonly resuming: boolean;
  private readonly cursor: number;
  private high = Number.NEGATIVE_INFINITY;
  private lowestCollected: number | null = null;

  constructor(
    saved: KindState | undefined,
    private readonly window: Window,
  ) {
    this.resuming = window.openEnded && saved !== undefined && Date.parse(saved.since) <= window.since;
    this.state =
      this.resuming && saved
        ? saved
        : {
            ...emptyState(window.since),
            ...(saved ? { pending: saved.pending, tags: saved.tags, labels: saved.labels } : {}),
          };
    this.cursor = Date.parse(this.state.cursor);
    this.pending = new PendingEntities(this.state.pending, (list) => {
      this.pendingExtra = { ...this.pendingExtra, pending: list };
    });
  }

  /** Entities to read again next run (runs in progress, deployments without a final status). */
  readonly pending: PendingEntities;

  /** The ETag saved for `url` by the last run, to read that listing conditionally (a 304 costs nothing). */
  savedEtag(url: string | null): string | null {
    return this.resuming && this.state.etag_url === url ? (this.state.etag ?? null) : null;
  }

  /** The listing is read down to here; anything at or below it was collected by an earlier run. */
  isBelow(time: number): boolean {
    return time <= this.cursor || time < this.window.since;
  }

  /** Collected by an earlier run that stopped early. */
  isDone(time: number): boolean {
    return this.state.done.some((d) => time > Date.parse(d.after) && time <= Date.parse(d.up_to));
  }

  seen(time: number): void {
    if (time > this.high) this.high = time;
  }

  collected(time: number): void {
    this.seen(time);
    this.lowestCollected = time;
  }

  /** The state after the whole listing down to the cursor was read. */
  finished(extra: Partial<KindState> = {}): KindResult {
    const tops = [this.cursor, this.high, ...this.state.done.map((d) => Date.parse(d.up_to))];
    return {
      stopped: false,
      state: { ...this.state, ...extra, cursor: new Date(Math.max(...tops)).toISOString(), done: [] },
    };
  }

  /** The state after a stop: what was collected above the stopping point is remembered as done. */
  stopped(extra: Partial<KindState> = {}): KindResult {
    const done = [...this.state.done];
    if (this.lowestCollected !== null && this.high >= this.lowestCollected) {
      // Items at exactly the stopping time may not all have been collected: the interval excludes it.
      done.push({
        after: new Date(this.lowestCollected).toISOString(),
        up_to: new Date(this.high).toISOString(),
      });
    }
    // No ETag after a stop: the unread rest must be read next time even if the first page did not change.
    return {
      stopped: true,
      state: { ...this.state, ...extra, done: mergeIntervals(done), etag: null, etag_url: null },
    };
  }

  /** Runs `body`; a StopJob inside it turns into `stopped()`, anything else propagates. */
  async run(body: () => Promise<Partial<KindState> | undefined>): Promise<KindResult> {
    let extra: Partial<KindState> | undefined;
    try {
      extra = await body();
    } catch (error) {
      if (error instanceof StopJob) return this.stopped(this.pendingExtra);
      throw error;
    }
    return this.finished(extra ?? this.pendingExtra);
  }

  /** Kinds record their pending entities here as they go, so a stop keeps them too. */
  pendingExtra: Partial<KindState> = {};
}

function mergeIntervals(list: { after: string; up_to: string }[]): { after: string; up_to: string }[] {
  const sorted = list
    .map((d) => ({ after: Date.parse(d.after), upTo: Date.parse(d.up_to) }))
    .sort((a, b) => a.after - b.after);
  const out: { after: number; upTo: number }[] = [];
  for (const d of sorted) {
    const last = out[out.length - 1];
    if (last && d.after <= last.upTo) last.upTo = Math.max(last.upTo, d.upTo);
    else out.push({ ...d });
  }
  return out.map((d) => ({ after: new Date(d.after).toISOString(), up_to: new Date(d.upTo).toISOString() }));
}
