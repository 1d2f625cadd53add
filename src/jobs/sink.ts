import type { Logger } from '../log/logger';
import type { Metric, MetricContext } from '../metrics/types';
import { addSignature } from '../pipeline/add-signature';
import { collectMetrics, collects as metricCollects } from '../pipeline/collect-metrics';
import type { CollectedBy, MetricRecord, SignedEvent } from '../pipeline/types';
import type { Store } from '../store/types';

export interface SinkCounts {
  /** Events handed in (one per payload a webhook would have delivered). */
  events: number;
  /** Events no metric collects (acknowledged and dropped, as the webhook does). */
  ignored: number;
  records: number;
  /** Records written (new, or repairing a partial one). */
  written: number;
  /** Records whose file already held an equal or better record: the entity was already known. */
  unchanged: number;
  /** Events whose metrics failed: parked under `_dead-letter/`, never dropped. */
  failed: number;
}

export interface SinkOptions {
  store: Store;
  metrics: readonly Metric<unknown>[];
  context: MetricContext;
  logger: Logger;
  collectedBy: CollectedBy;
  /** Records per store write (one commit in the data repository). */
  batchSize?: number;
  /** Collect and count, write nothing. */
  dryRun?: boolean;
}

/**
 * Where a job's reconstructed deliveries go: each payload goes through the same `addSignature` and
 * `collectMetrics` as a live delivery, so the same metric code yields the same natural keys and ids, and
 * the records are stored in batches through the Store, whose write is idempotent by path.
 */
export class RecordSink {
  readonly counts: SinkCounts = { events: 0, ignored: 0, records: 0, written: 0, unchanged: 0, failed: 0 };
  private buffer: MetricRecord[] = [];
  private writing: Promise<void> = Promise.resolve();
  private readonly collected: Set<string>;
  private readonly batchSize: number;

  constructor(private readonly options: SinkOptions) {
    this.collected = new Set(options.metrics.flatMap((m) => m.triggers));
    this.batchSize = options.batchSize ?? 500;
  }

  /** True when some metric listens to `github::<event>[.<action>]`: a job skips listings nobody collects. */
  collects(trigger: string): boolean {
    const event = trigger.split('.')[0] as string;
    return this.collected.has(trigger) || this.collected.has(event);
  }

  /**
   * True when some metric would collect this delivery (its full condition, not just the trigger): lets a job
   * skip the extra requests an item needs (e.g. a tag's date) when nothing would be recorded from it.
   */
  wants(event: string, payload: Record<string, unknown>): boolean {
    const signed = this.sign(event, payload, 'probe', new Date(0).toISOString());
    if (signed.kind !== 'accepted') return false;
    return this.options.metrics.some((m) => metricCollects(m, signed.event, this.options.context.settings));
  }

  /**
   * Collects one reconstructed delivery. `deliveryId` names where it came from (`backfill-<kind>-<id>`);
   * `receivedAt` defaults to now.
   */
  async emit(
    event: string,
    payload: Record<string, unknown>,
    deliveryId: string,
    receivedAt?: string,
  ): Promise<void> {
    this.counts.events += 1;
    const signed = this.sign(
      event,
      payload,
      deliveryId,
      receivedAt ?? this.options.context.now().toISOString(),
    );
    if (signed.kind === 'invalid') throw new Error(`${deliveryId}: ${signed.message}`);
    if (signed.kind === 'ignored') {
      this.counts.ignored += 1;
      return;
    }
    await this.collect(signed.event);
  }

  /** Collects an event built by the job itself (e.g. `schedule::tooling-usage`). */
  async collect(event: SignedEvent): Promise<void> {
    const result = await collectMetrics(event, this.options.metrics, this.options.context);
    this.counts.records += result.records.length;
    this.buffer.push(...result.records);
    if (result.failures.length > 0) {
      this.counts.failed += 1;
      const reason = result.failures.map((f) => `${f.metric}: ${f.message}`).join('; ');
      this.options.logger.warn('collect failed', {
        delivery_id: event.deliveryId,
        trigger: event.trigger,
        reason,
      });
      if (!this.options.dryRun) await this.park(event, reason);
    }
    if (this.buffer.length >= this.batchSize) await this.flush();
  }

  /** Writes what is buffered. Writes are serialised: one commit at a time on the data repository. */
  flush(): Promise<void> {
    const batch = this.buffer;
    this.buffer = [];
    if (batch.length === 0) return this.writing;
    this.writing = this.writing.then(async () => {
      if (this.options.dryRun) return;
      const result = await this.options.store.write(batch);
      this.counts.written += result.written.length;
      this.counts.unchanged += result.unchanged.length;
    });
    return this.writing;
  }

  /** The same identification a live delivery gets: the raw bytes through `addSignature`. */
  private sign(event: string, payload: Record<string, unknown>, deliveryId: string, receivedAt: string) {
    return addSignature(
      {
        headers: { 'x-github-event': event, 'x-github-delivery': deliveryId },
        // Octokit parses numbers past 2^53 as BigInt: they go on as exact decimal strings (GitHub ids).
        body: Buffer.from(
          JSON.stringify(payload, (_key, value) => (typeof value === 'bigint' ? String(value) : value)),
        ),
        receivedAt,
      },
      this.collected,
      this.options.collectedBy,
    );
  }

  private async park(event: SignedEvent, reason: string): Promise<void> {
    const name = `${event.deliveryId}-${event.trigger.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
    const letter = { reason, attempts: 1, failed_at: this.options.context.now().toISOString(), event };
    await this.options.store.writeFile(`_dead-letter/${name}`, `${JSON.stringify(letter, null, 2)}\n`);
  }
}
