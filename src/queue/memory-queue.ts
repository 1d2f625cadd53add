import { errorMessage, type Logger } from '../log/logger';
import type { SignedEvent } from '../pipeline/types';
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
  /** Events per batch handed to `process` (one store write each). */
  batchSize?: number;
  /** Attempts before an event is dead-lettered (the local stand-in for SQS maxReceiveCount). */
  maxAttempts?: number;
  /** First retry delay in ms, doubled per attempt. */
  retryDelayMs?: number;
  /** Events held at most; beyond it `send` refuses (the HTTP answer is 503 and GitHub's redelivery recovers). */
  maxPending?: number;
}

/** Thrown by `send` when the queue is full: a fault of ours, answered 5xx, never a silent drop. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

interface Entry {
  event: SignedEvent;
  attempts: number;
}

/**
 * The local stand-in for SQS: accepts events at once, processes them in batches in the background, retries
 * failures with backoff and dead-letters what keeps failing. `drain()` resolves when everything accepted so
 * far is stored or parked, which is what a clean shutdown waits for.
 */
export class MemoryQueue {
  private readonly pending: Entry[] = [];
  private readonly waiting = new Set<NodeJS.Timeout>();
  private readonly idle: (() => void)[] = [];
  private running = false;
  private inFlight = 0;
  private readonly options: Required<MemoryQueueOptions>;

  constructor(options: MemoryQueueOptions) {
    this.options = { batchSize: 100, maxAttempts: 3, retryDelayMs: 200, maxPending: 100_000, ...options };
  }

  /** Events accepted and not yet stored or parked. */
  get size(): number {
    return this.pending.length + this.waiting.size + this.inFlight;
  }

  async send(events: SignedEvent[]): Promise<void> {
    if (this.size + events.length > this.options.maxPending) {
      throw new QueueFullError(`queue full (${this.options.maxPending} events waiting)`);
    }
    for (const event of events) this.pending.push({ event, attempts: 0 });
    this.kick();
  }

  /** Resolves once nothing is pending, in flight or waiting for a retry. */
  drain(): Promise<void> {
    if (this.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private kick(): void {
    if (this.running || this.pending.length === 0) return;
    this.running = true;
    // setImmediate lets concurrent deliveries pile up into one batch.
    setImmediate(() => void this.loop());
  }

  private async loop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.batchSize);
      for (const entry of batch) entry.attempts += 1;
      this.inFlight = batch.length;
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
      this.inFlight = 0;
      for (const failure of outcome.failed) {
        const entry = batch[failure.index];
        if (!entry) continue;
        if (failure.permanent || entry.attempts >= this.options.maxAttempts) {
          await this.park(entry, failure.reason);
        } else {
          this.retryLater(entry);
        }
      }
    }
    this.running = false;
    this.settle();
  }

  private retryLater(entry: Entry): void {
    const delay = this.options.retryDelayMs * 2 ** (entry.attempts - 1);
    const timer = setTimeout(() => {
      this.waiting.delete(timer);
      this.pending.push(entry);
      this.kick();
    }, delay);
    this.waiting.add(timer);
  }

  private async park(entry: Entry, reason: string): Promise<void> {
    const letter = { event: entry.event, reason, attempts: entry.attempts };
    try {
      await this.options.deadLetter(letter);
      this.options.logger.warn('dead-lettered', {
        delivery_id: entry.event.deliveryId,
        reason,
        attempts: entry.attempts,
      });
    } catch (error) {
      // Parking itself failed (disk full?): keep it in memory and try again later rather than lose it.
      this.options.logger.error('dead-letter failed', {
        delivery_id: entry.event.deliveryId,
        error: errorMessage(error),
      });
      this.retryLater(entry);
    }
  }

  private settle(): void {
    if (this.size > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}
