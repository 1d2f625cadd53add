import { randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

/** A message attribute as SendMessage takes it. */
export interface Attribute {
  DataType: string;
  StringValue?: string;
}

interface Message {
  id: string;
  body: string;
  attributes: Record<string, Attribute>;
  sentAt: number;
  visibleAt: number;
  receives: number;
  receipt?: string;
}

export interface SqsModelOptions {
  now: () => number;
  /** The queue's visibility timeout (the stack: 6 × the worker's timeout). */
  visibilityTimeoutMs: number;
  /** Redrive: a message received this many times is moved to the DLQ at its next receive. */
  maxReceiveCount: number;
  /** Messages older than this are deleted by SQS (lost). */
  retentionMs: number;
}

/**
 * An SQS standard queue as the Lambda event source sees it (test infrastructure, never shipped): visibility
 * timeout, `ApproximateReceiveCount`, redrive to a dead-letter queue at `maxReceiveCount`, `DelaySeconds`,
 * `ChangeMessageVisibility`, retention, partial batch responses. Time is the caller's clock.
 */
export class SqsModel {
  readonly deadLettered: Message[] = [];
  /** Messages SQS dropped because they outlived the retention. */
  readonly expired: Message[] = [];
  /** Requests the queue served, by API action (for costs). */
  readonly requests = { send: 0, receive: 0, delete: 0, changeVisibility: 0 };
  private readonly messages = new Map<string, Message>();
  private readonly byReceipt = new Map<string, Message>();
  /** No message is visible before this (a lower bound kept up to date; -∞ when unknown). */
  private earliest = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: SqsModelOptions) {}

  get size(): number {
    return this.messages.size;
  }

  /** Messages that are visible now. */
  visible(): number {
    const now = this.options.now();
    let n = 0;
    for (const m of this.messages.values()) if (m.visibleAt <= now) n += 1;
    return n;
  }

  /** When the next invisible message becomes visible (undefined: none waits). */
  nextVisibleAt(): number | undefined {
    let next: number | undefined;
    for (const m of this.messages.values()) if (next === undefined || m.visibleAt < next) next = m.visibleAt;
    return next;
  }

  send(body: string, attributes: Record<string, Attribute> = {}, delayMs = 0): string {
    this.requests.send += 1;
    const now = this.options.now();
    const id = randomUUID();
    this.messages.set(id, { id, body, attributes, sentAt: now, visibleAt: now + delayMs, receives: 0 });
    this.earliest = Math.min(this.earliest, now + delayMs);
    return id;
  }

  /**
   * Up to `max` visible messages (and at most `maxBytes` of bodies), oldest first, as the event source hands
   * them to Lambda; a message already received `maxReceiveCount` times goes to the DLQ instead.
   */
  receive(max: number, maxBytes = Number.POSITIVE_INFINITY): SQSRecord[] {
    this.requests.receive += Math.max(1, Math.ceil(max / 10));
    const now = this.options.now();
    const out: SQSRecord[] = [];
    if (now < this.earliest) return out;
    let bytes = 0;
    let complete = true;
    let nextVisible = Number.POSITIVE_INFINITY;
    for (const m of this.messages.values()) {
      if (out.length >= max) {
        complete = false;
        break;
      }
      if (now - m.sentAt > this.options.retentionMs) {
        this.messages.delete(m.id);
        this.expired.push(m);
        continue;
      }
      if (m.visibleAt > now) {
        nextVisible = Math.min(nextVisible, m.visibleAt);
        continue;
      }
      if (m.receives >= this.options.maxReceiveCount) {
        this.messages.delete(m.id);
        this.deadLettered.push(m);
        continue;
      }
      const size = Buffer.byteLength(m.body);
      if (out.length > 0 && bytes + size > maxBytes) {
        complete = false;
        break;
      }
      bytes += size;
      m.receives += 1;
      m.visibleAt = now + this.options.visibilityTimeoutMs;
      if (m.receipt) this.byReceipt.delete(m.receipt);
      m.receipt = `AQEB${randomUUID()}`;
      this.byReceipt.set(m.receipt, m);
      out.push(record(m, now));
      nextVisible = Math.min(nextVisible, m.visibleAt);
    }
    this.earliest = complete ? nextVisible : Number.NEGATIVE_INFINITY;
    return out;
  }

  changeVisibility(receiptHandle: string, timeoutMs: number): void {
    this.requests.changeVisibility += 1;
    const m = this.byReceipt.get(receiptHandle);
    if (!m) throw new Error('ReceiptHandleIsInvalid');
    m.visibleAt = this.options.now() + timeoutMs;
    this.earliest = Math.min(this.earliest, m.visibleAt);
  }

  /** What the event source does with the handler's answer: deletes every message not reported as failed. */
  settle(records: readonly SQSRecord[], response: SQSBatchResponse | undefined): void {
    const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
    for (const r of records) {
      if (failed.has(r.messageId)) continue;
      this.requests.delete += 1;
      const m = this.messages.get(r.messageId);
      if (m && m.receipt === r.receiptHandle) {
        this.messages.delete(m.id);
        this.byReceipt.delete(r.receiptHandle);
      }
    }
  }
}

function record(m: Message, now: number): SQSRecord {
  return {
    messageId: m.id,
    receiptHandle: m.receipt as string,
    body: m.body,
    attributes: {
      ApproximateReceiveCount: String(m.receives),
      SentTimestamp: String(m.sentAt),
      SenderId: 'AROAEXAMPLE:telemetry-default-webhook',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(m.attributes).map(([name, a]) => [
        name,
        { dataType: a.DataType, stringValue: a.StringValue, stringListValues: [], binaryListValues: [] },
      ]),
    ),
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:telemetry-default-events',
    awsRegion: 'eu-west-1',
  };
}
