import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { forEachLimited } from '../../src/concurrency';
import type { SignedEvent } from '../../src/pipeline/types';
import type { ClaimCheckStore } from './s3-claim-check';

/** Version of the queue message format, so a later format can still read messages queued before it. */
export const MESSAGE_FORMAT = 1;

/** SQS takes at most 1 MiB per message, attributes included: bodies above this go through the claim check. */
export const MAX_INLINE_BYTES = 1024 * 1024 - 4 * 1024;

/** The body of a queue message: the event itself, or where its body waits in S3. */
export type QueueMessage =
  | { telemetry: typeof MESSAGE_FORMAT; event: SignedEvent }
  | {
      telemetry: typeof MESSAGE_FORMAT;
      claim_check: { bucket: string; key: string; bytes: number };
      delivery_id: string;
      trigger: string;
    };

/** Attributes every message carries, so an operator can see what a parked message is without decoding it. */
export function eventAttributes(event: Pick<SignedEvent, 'deliveryId' | 'trigger'>) {
  return {
    delivery_id: { DataType: 'String', StringValue: event.deliveryId },
    trigger: { DataType: 'String', StringValue: event.trigger },
  } satisfies Record<string, MessageAttributeValue>;
}

export interface SqsEventQueueOptions {
  sqs: SQSClient;
  queueUrl: string;
  claimCheck: ClaimCheckStore;
  now?: () => Date;
}

/** SendMessage calls in flight at once for one request. */
const SEND_CONCURRENCY = 25;

/** Characters SQS refuses in a message (it accepts #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF). */
const NOT_SQS_TEXT = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * JSON that SQS accepts. JSON.stringify already escapes control characters and lone surrogates; U+FFFE and
 * U+FFFF, which can stand in any GitHub text (a commit message), it leaves raw and SQS refuses the message:
 * as `\ufffe` escapes they are still the same JSON string.
 */
export function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

/**
 * The webhook's `enqueue`: one SQS message per event, with the claim check for events above the SQS limit.
 * Throws when SQS or S3 refuse, which the webhook answers with 503 (GitHub marks the delivery failed and the
 * redelivery job recovers it).
 */
export class SqsEventQueue {
  constructor(private readonly options: SqsEventQueueOptions) {}

  readonly send = async (events: readonly SignedEvent[]): Promise<void> => {
    // A 500-item push must not open 500 requests at once (they would time out into a false 503).
    await forEachLimited(events, SEND_CONCURRENCY, (event) => this.sendOne(event));
  };

  private async sendOne(event: SignedEvent): Promise<void> {
    let body = sqsSafeJson({ telemetry: MESSAGE_FORMAT, event } satisfies QueueMessage);
    const bytes = Buffer.byteLength(body);
    if (bytes > MAX_INLINE_BYTES) {
      const day = (this.options.now?.() ?? new Date()).toISOString().slice(0, 10);
      const key = `claim-checks/${day}/${event.deliveryId}-${randomUUID()}.json`;
      await this.options.claimCheck.put(key, JSON.stringify(event));
      body = sqsSafeJson({
        telemetry: MESSAGE_FORMAT,
        claim_check: { bucket: this.options.claimCheck.bucket, key, bytes },
        delivery_id: event.deliveryId,
        trigger: event.trigger,
      } satisfies QueueMessage);
    }
    await this.options.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: body,
        MessageAttributes: eventAttributes(event),
      }),
    );
  }
}

/** A message as the worker received it, enough to park it unchanged. */
export interface ReceivedMessage {
  body: string;
  attributes: Record<string, MessageAttributeValue>;
}

/** Attributes the worker adds when it parks a message; `telemetry redrive` drops them again. */
export const PARKING_ATTRIBUTES = ['failure_reason', 'failed_at'] as const;

/**
 * Parks a message that can never succeed in the dead-letter queue at once (instead of letting SQS retry it
 * `maxReceiveCount` times), unchanged, with the reason as an attribute.
 */
export async function parkMessage(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  message: ReceivedMessage,
  reason: string,
  now: Date = new Date(),
): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MessageBody: message.body,
      MessageAttributes: {
        ...message.attributes,
        failure_reason: {
          DataType: 'String',
          StringValue: reason.slice(0, 1000).replace(NOT_SQS_TEXT, '\uFFFD') || 'unknown',
        },
        failed_at: { DataType: 'String', StringValue: now.toISOString() },
      },
    }),
  );
}

/** Attribute counting how often a message was sent again after transient failures (`requeueMessage`). */
export const REQUEUE_ATTRIBUTE = 'requeues';

/**
 * Sends a transiently failing message again, unchanged but for the `requeues` count, as a new message: its
 * receive count starts over, so SQS's redrive never dead-letters it for an outage. Visible after `delayMs`
 * (SQS allows at most 15 minutes).
 */
export async function requeueMessage(
  sqs: SQSClient,
  queueUrl: string,
  message: ReceivedMessage,
  delayMs: number,
): Promise<void> {
  const requeues = Number(message.attributes[REQUEUE_ATTRIBUTE]?.StringValue ?? 0) + 1;
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: message.body,
      DelaySeconds: Math.min(900, Math.max(0, Math.round(delayMs / 1000))),
      MessageAttributes: {
        ...message.attributes,
        [REQUEUE_ATTRIBUTE]: { DataType: 'Number', StringValue: String(requeues) },
      },
    }),
  );
}

/**
 * Makes failed messages visible again only after their delay (SQS keeps a message invisible at most 12 hours
 * from its receive), ten per request as SQS allows. Throws when SQS refuses any of them.
 */
export async function delayMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly { receiptHandle: string; delayMs: number }[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const chunk = messages.slice(i, i + 10);
    const answer = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((m, n) => ({
          Id: String(n),
          ReceiptHandle: m.receiptHandle,
          VisibilityTimeout: Math.min(43_200, Math.max(0, Math.round(m.delayMs / 1000))),
        })),
      }),
    );
    if (answer.Failed && answer.Failed.length > 0)
      throw new Error(`SQS refused ${answer.Failed.length} visibility changes: ${answer.Failed[0]?.Message}`);
  }
}
