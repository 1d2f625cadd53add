import { errorMessage, type Logger } from '../log/logger';
import type { SignedEvent } from '../pipeline/types';
import type { Spool, SpoolEntry } from '../spool/spool';
import type { BatchOutcome } from '../worker/process-batch';

export interface DeadLetter {
  event: SignedEvent;
  reason: string;
  attempts: number;
}

export interface MemoryQueueOptions {
  process: (events: SignedEvent[]) => Promise<BatchOutcome>;
  /** Parks an event that failed permanently or too often; must not lose it (the FileStore writes a file). */
  deadLetter: (letter: DeadLetter) => Promise<void>;
  logger: Logger;
  /**
   * Makes `send` durable: events are appended to the spool (fsync'd) before `send` resolves, and marked done
   * there once stored or dead-lettered. Without it the queue is memory only (a crash loses what it holds).
   */
  spool?: Spool;
  /** Events per batch handed to `process` (one store write each). */
  batchSize?: number;
  /**
   * Batches processed at once (default 1). Two batches in flight never hold the same delivery id, so a
   * redelivery is never written concurrently with its first copy.
   */
  concurrency?: number;
  /** Attempts before an event is dead-lettered (the local stand-in for SQS maxReceiveCount). */
  maxAttempts?: number;
  /** First retry delay in ms, doubled per attempt up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /** Events held at most; beyond it `send` refuses with QueueFullError (answered 503 + Retry-After). */
  maxPending?: number;
  /** Bytes of queued events held in memory at most (their JSON size); beyond it `send` refuses. */
  maxBytes?: number;
  /**
   * Share of `maxPending` / `maxBytes` one push sender may hold, and all push senders together may hold at
   * most twice that, so pushes can never take more than that from GitHub deliveries.
   */
  senderShare?: number;
  /**
   * The reason the store cannot write right now (undefined when it can). While there is one, failures are
   * retried without using up attempts: an outage of ours never dead-letters good deliveries.
   */
  outage?: () => string | undefined;
}

/** Thrown by `send` when the queue (or the sender's share of it) is full: answered 503 with Retry-After. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  readonly retryAfterSeconds: number = 10;
}

/** Thrown by `send` while the store cannot write: answered 503 with Retry-After. */
export class StoreOutageError extends Error {
  override readonly name = 'StoreOutageError';
  readonly retryAfterSeconds: number = 30;
}

interface Entry {
  event: SignedEvent;
  attempts: number;
  /** Retries during an outage of ours (they do not use up attempts, but do back off). */
  outageRetries?: number;
  key: string;
  bytes: number;
  /** Spool sequence number (durable queues only). */
  seq?: number;
}

/** The fair-share key of an event: one per push sender, one for everything GitHub sends. */
export function shareKey(event: SignedEvent): string {
  return event.source === 'push' ? `push:${event.sender ?? ''}` : event.source;
}

interface Usage {
  count: number;
  bytes: number;
}

/**
 * The local stand-in for SQS: accepts events, processes them in batches in the background, retries failures
 * with backoff and dead-letters what keeps failing. With a spool, `send` resolves only once the events are on
 * disk, and an event leaves the spool only once it is stored or parked. Memory held is bounded in events and
 * in bytes, with a per-sender fair share. `drain()` resolves when everything accepted so far is stored or
 * parked, which is what a clean shutdown waits for (bounded by a timeout: the rest stays in the spool).
 */
export class MemoryQueue {
  private readonly pending: Entry[] = [];
  private readonly waiting = new Map<NodeJS.Timeout, Entry>();
  private readonly idle: (() => void)[] = [];
  private readonly usage = new Map<string, Usage>();
  private readonly total: Usage = { count: 0, bytes: 0 };
  private readonly pushTotal: Usage = { count: 0, bytes: 0 };
  private workers = 0;
  private readonly inFlight = new Map<string, number>();
  private stopped = false;
  private deadLetterFailure: string | undefined;
  private readonly options: Required<Omit<MemoryQueueOptions, 'spool' | 'outage'>> &
    Pick<MemoryQueueOptions, 'spool' | 'outage'>;
  /** Counters for the periodic summary. */
  readonly counters = { accepted: 0, stored: 0, deadLettered: 0, retried: 0, refused: 0 };

  constructor(options: MemoryQueueOptions) {
    this.options = {
      batchSize: 100,
      concurrency: 1,
      maxAttempts: 3,
      retryDelayMs: 200,
      maxRetryDelayMs: 30_000,
      maxPending: 100_000,
      maxBytes: 256 * 1024 * 1024,
      senderShare: 0.25,
      ...options,
    };
  }

  /** Events accepted and not yet stored or parked (pending, in flight or waiting for a retry). */
  get size(): number {
    return this.total.count;
  }

  /** Bytes of the events `size` counts. */
  get bytes(): number {
    return this.total.bytes;
  }

  /** Why parking an event in the dead-letter folder fails right now, if it does. */
  get deadLetterProblem(): string | undefined {
    return this.deadLetterFailure;
  }

  /**
   * Accepts events: checks the bounds (QueueFullError), appends them to the spool when there is one (rejects
   * with its SpoolWriteError when the disk refuses), then queues them. Resolves once they are durable.
   */
  async send(events: SignedEvent[]): Promise<void> {
    if (this.stopped) throw new QueueFullError('the collector is shutting down');
    const outage = this.options.outage?.();
    if (outage) {
      this.counters.refused += events.length;
      throw new StoreOutageError(outage);
    }
    const items = events.map((event) => ({ key: shareKey(event), event }));
    // With a spool the events are serialised once, into their frames, whose size is what they count.
    const prepared = this.options.spool?.prepare(items);
    const sized =
      prepared ?? items.map((item) => ({ ...item, bytes: Buffer.byteLength(JSON.stringify(item.event)) }));
    this.checkRoom(sized);
    for (const item of sized) this.account(item.key, 1, item.bytes);
    let entries: Entry[];
    if (this.options.spool && prepared) {
      let written: SpoolEntry[];
      try {
        written = await this.options.spool.write(prepared);
      } catch (error) {
        for (const item of sized) this.account(item.key, -1, -item.bytes);
        this.settle();
        throw error;
      }
      entries = written.map((w) => ({ event: w.event, attempts: 0, key: w.key, bytes: w.bytes, seq: w.seq }));
    } else {
      entries = sized.map((s) => ({ event: s.event, attempts: 0, key: s.key, bytes: s.bytes }));
    }
    this.counters.accepted += entries.length;
    for (const entry of entries) this.pending.push(entry);
    this.kick();
  }

  /** Queues entries replayed from the spool at start-up (already durable, never refused). */
  restore(entries: readonly SpoolEntry[]): void {
    for (const e of entries) {
      this.account(e.key, 1, e.bytes);
      this.pending.push({ event: e.event, attempts: 0, key: e.key, bytes: e.bytes, seq: e.seq });
    }
    this.kick();
  }

  /**
   * Resolves true once nothing is pending, in flight or waiting for a retry; with `timeoutMs`, resolves false
   * when that time passes first (and stops processing: what is left stays in the spool for the next start).
   */
  drain(timeoutMs?: number): Promise<boolean> {
    if (this.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve(true);
      };
      this.idle.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          const index = this.idle.indexOf(done);
          if (index >= 0) this.idle.splice(index, 1);
          this.stop();
          resolve(false);
        }, timeoutMs);
        timer.unref();
      }
    });
  }

  /** Stops processing and refuses new events; what is queued is left to the spool. */
  stop(): void {
    this.stopped = true;
    for (const timer of this.waiting.keys()) clearTimeout(timer);
    this.waiting.clear();
  }

  private checkRoom(items: readonly { key: string; bytes: number }[]): void {
    const { maxPending, maxBytes, senderShare } = this.options;
    const add = (filter: (key: string) => boolean): Usage => {
      const usage = { count: 0, bytes: 0 };
      for (const item of items) {
        if (!filter(item.key)) continue;
        usage.count += 1;
        usage.bytes += item.bytes;
      }
      return usage;
    };
    const all = add(() => true);
    const refuse = (message: string): never => {
      this.counters.refused += items.length;
      throw new QueueFullError(message);
    };
    if (this.total.count + all.count > maxPending || this.total.bytes + all.bytes > maxBytes) {
      refuse(`queue full (${this.total.count} events, ${this.total.bytes} bytes waiting)`);
    }
    const keys = new Set(items.map((i) => i.key).filter((k) => k.startsWith('push:')));
    if (keys.size === 0) return;
    const pushes = add((k) => k.startsWith('push:'));
    if (
      this.pushTotal.count + pushes.count > maxPending * senderShare * 2 ||
      this.pushTotal.bytes + pushes.bytes > maxBytes * senderShare * 2
    ) {
      refuse('the queue share of pushes is full');
    }
    for (const key of keys) {
      const own = this.usage.get(key) ?? { count: 0, bytes: 0 };
      const more = add((k) => k === key);
      if (
        own.count + more.count > maxPending * senderShare ||
        own.bytes + more.bytes > maxBytes * senderShare
      ) {
        refuse(`the queue share of sender ${key.slice('push:'.length)} is full`);
      }
    }
  }

  private account(key: string, count: number, bytes: number): void {
    const usage = this.usage.get(key) ?? { count: 0, bytes: 0 };
    usage.count += count;
    usage.bytes += bytes;
    if (usage.count === 0) this.usage.delete(key);
    else this.usage.set(key, usage);
    this.total.count += count;
    this.total.bytes += bytes;
    if (key.startsWith('push:')) {
      this.pushTotal.count += count;
      this.pushTotal.bytes += bytes;
    }
  }

  private kick(): void {
    while (!this.stopped && this.workers < this.options.concurrency && this.workers < this.pending.length) {
      this.workers += 1;
      // setImmediate lets concurrent deliveries pile up into one batch.
      setImmediate(() => void this.loop());
    }
  }

  /** Up to batchSize pending entries, skipping (and keeping in order) those whose delivery is in flight. */
  private takeBatch(): Entry[] {
    const batch: Entry[] = [];
    const skipped: Entry[] = [];
    let scanned = 0;
    for (const entry of this.pending) {
      if (batch.length >= this.options.batchSize) break;
      scanned += 1;
      if (this.inFlight.has(entry.event.deliveryId)) skipped.push(entry);
      else batch.push(entry);
    }
    this.pending.splice(0, scanned, ...skipped);
    for (const entry of batch) {
      const id = entry.event.deliveryId;
      this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    }
    return batch;
  }

  private release(batch: readonly Entry[]): void {
    for (const entry of batch) {
      const id = entry.event.deliveryId;
      const count = (this.inFlight.get(id) ?? 1) - 1;
      if (count <= 0) this.inFlight.delete(id);
      else this.inFlight.set(id, count);
    }
  }

  private async loop(): Promise<void> {
    let blocked = false;
    while (this.pending.length > 0 && !this.stopped) {
      const batch = this.takeBatch();
      if (batch.length === 0) {
        // Everything pending belongs to deliveries in flight: their worker kicks again when it is done.
        blocked = true;
        break;
      }
      for (const entry of batch) entry.attempts += 1;
      let outcome: BatchOutcome;
      try {
        outcome = await this.options.process(batch.map((e) => e.event));
      } catch (error) {
        const reason = errorMessage(error);
        outcome = {
          records: 0,
          written: 0,
          unchanged: 0,
          failed: batch.map((e, index) => ({
            index,
            deliveryId: e.event.deliveryId,
            reason,
            permanent: false,
          })),
        };
      }
      const failedIndexes = new Set(outcome.failed.map((f) => f.index));
      const finished = batch.filter((_, index) => !failedIndexes.has(index));
      this.counters.stored += finished.length;
      const outage = this.options.outage?.();
      for (const failure of outcome.failed) {
        const entry = batch[failure.index];
        if (!entry) continue;
        if (outage && !failure.permanent) {
          // Our fault, not the event's: keep trying, without using up its attempts.
          entry.attempts -= 1;
          this.retryLater(entry, true);
        } else if (failure.permanent || entry.attempts >= this.options.maxAttempts) {
          if (await this.park(entry, failure.reason)) finished.push(entry);
        } else {
          this.retryLater(entry, false);
        }
      }
      await this.finish(finished);
      this.release(batch);
      // An entry counts until finished or re-queued (its dead letter written), so drain() never resolves early.
      this.settle();
    }
    this.workers -= 1;
    // Entries skipped because their delivery was in flight may be waiting for a worker.
    if (!blocked) this.kick();
    this.settle();
  }

  private async finish(entries: readonly Entry[]): Promise<void> {
    if (entries.length === 0) return;
    const seqs = entries.map((e) => e.seq).filter((s): s is number => s !== undefined);
    if (this.options.spool && seqs.length > 0) await this.options.spool.complete(seqs).catch(() => undefined);
    for (const entry of entries) this.account(entry.key, -1, -entry.bytes);
  }

  private retryLater(entry: Entry, outage: boolean): void {
    this.counters.retried += 1;
    if (this.stopped) return;
    if (outage) entry.outageRetries = (entry.outageRetries ?? 0) + 1;
    const exponent = Math.min(
      Math.max(entry.attempts - 1, 0) + (outage ? 2 + (entry.outageRetries ?? 0) : 0),
      20,
    );
    const delay = Math.min(this.options.retryDelayMs * 2 ** exponent, this.options.maxRetryDelayMs);
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      this.pending.push(entry);
      this.kick();
    }, delay);
    this.waiting.set(timer, entry);
  }

  /** Writes the dead letter; true once parked. On failure the event is kept and retried later. */
  private async park(entry: Entry, reason: string): Promise<boolean> {
    const letter = { event: entry.event, reason, attempts: entry.attempts };
    try {
      await this.options.deadLetter(letter);
      this.options.logger.warn('dead-lettered', {
        delivery_id: entry.event.deliveryId,
        reason,
        attempts: entry.attempts,
      });
      this.counters.deadLettered += 1;
      if (this.deadLetterFailure) {
        this.deadLetterFailure = undefined;
        this.options.logger.info('dead-letter writes work again');
      }
      return true;
    } catch (error) {
      // Parking itself failed (disk full?): keep it and try again later rather than lose it. One log line
      // when this starts, not one per retry.
      const message = errorMessage(error);
      if (!this.deadLetterFailure) {
        this.options.logger.error('dead-letter failed', {
          delivery_id: entry.event.deliveryId,
          error: message,
        });
      }
      this.deadLetterFailure = `dead-letter write failed: ${message}`;
      entry.attempts -= 1;
      this.retryLater(entry, true);
      return false;
    }
  }

  private settle(): void {
    if (this.size > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
