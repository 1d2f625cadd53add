import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { PARKING_ATTRIBUTES } from '../adapters/sqs-queue';

export interface RedriveOptions {
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  queueUrl: string;
  /** Count only; move nothing. */
  dryRun?: boolean;
  /** Move at most this many messages. */
  max?: number;
  /** Seconds a received message stays hidden while it is copied (it reappears in the DLQ if copying fails). */
  visibilityTimeoutSeconds?: number;
  onProgress?: (moved: number) => void;
}

export interface RedriveResult {
  /** Messages waiting in the dead-letter queue before the run (SQS's approximate count). */
  waiting: number;
  moved: number;
  /** Messages that could not be copied or deleted: they stay in (or return to) the dead-letter queue. */
  failed: number;
}

/**
 * Moves parked events from the dead-letter queue back to the event queue, unchanged (body and attributes,
 * minus the worker's parking notes), each deleted from the DLQ only after it was sent. A duplicate (send
 * succeeded, delete failed) is harmless: storing is idempotent.
 */
export async function redrive(options: RedriveOptions): Promise<RedriveResult> {
  const { sqs } = options;
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: options.deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const waiting = Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
  const result: RedriveResult = { waiting, moved: 0, failed: 0 };
  if (options.dryRun) return result;

  const max = options.max ?? Number.POSITIVE_INFINITY;
  while (result.moved + result.failed < max) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        MaxNumberOfMessages: Math.min(10, max - result.moved - result.failed),
        WaitTimeSeconds: 1,
        VisibilityTimeout: options.visibilityTimeoutSeconds ?? 60,
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;

    const sent = await Promise.all(
      messages.map(async (message) => {
        try {
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: options.queueUrl,
              MessageBody: message.Body ?? '',
              MessageAttributes: withoutParkingNotes(message.MessageAttributes),
            }),
          );
          return message;
        } catch {
          result.failed += 1;
          return undefined;
        }
      }),
    );
    const done = sent.filter((m) => m !== undefined);
    if (done.length > 0) {
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.deadLetterQueueUrl,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      const notDeleted = deleted.Failed?.length ?? 0;
      result.moved += done.length - notDeleted;
      result.failed += notDeleted;
    }
    options.onProgress?.(result.moved);
  }
  return result;
}

function withoutParkingNotes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (!attributes) return undefined;
  const kept = Object.entries(attributes).filter(
    ([name]) => !(PARKING_ATTRIBUTES as readonly string[]).includes(name),
  );
  return kept.length > 0 ? Object.fromEntries(kept) : undefined;
}

/** The URL of a queue by name; throws (QueueDoesNotExist) when this account and region have none. */
export async function findQueueUrl(sqs: SQSClient, name: string): Promise<string> {
  return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
}

export async function createSqsClient(region?: string): Promise<SQSClient> {
  const { SQSClient } = await import('@aws-sdk/client-sqs');
  return new SQSClient(region ? { region } : {});
}
