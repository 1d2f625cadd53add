import { z } from 'zod';
import type { SignedEvent } from '../../src/pipeline/types';
import { ClaimCheckMissingError, type ClaimCheckStore } from './s3-claim-check';
import { MESSAGE_FORMAT } from './sqs-queue';

const signedEventSchema = z.object({
  trigger: z.string().min(1),
  source: z.enum(['github', 'push', 'schedule']),
  event: z.string().min(1),
  action: z.string().optional(),
  deliveryId: z.string().min(1),
  receivedAt: z.string().min(1),
  collectedBy: z.enum(['webhook', 'backfill', 'push', 'schedule']),
  sender: z.string().optional(),
  payload: z.record(z.string(), z.unknown()),
});

const messageSchema = z.union([
  z.object({ telemetry: z.literal(MESSAGE_FORMAT), event: signedEventSchema }),
  z.object({
    telemetry: z.literal(MESSAGE_FORMAT),
    claim_check: z.object({ bucket: z.string().min(1), key: z.string().min(1), bytes: z.number() }),
    delivery_id: z.string(),
    trigger: z.string(),
  }),
]);

/** A message that can never become an event (not ours, corrupted, claim check gone): retrying cannot help. */
export class UndecodableMessageError extends Error {
  override readonly name = 'UndecodableMessageError';
}

/**
 * Turns a queue message body back into the SignedEvent the webhook sent, fetching a claim-checked body from
 * S3. Throws `UndecodableMessageError` for permanent faults; anything else (S3 unreachable) is transient.
 */
export async function decodeQueueMessage(body: string, claimCheck: ClaimCheckStore): Promise<SignedEvent> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new UndecodableMessageError('message body is not JSON');
  }
  const message = messageSchema.safeParse(parsed);
  if (!message.success) {
    const where = message.error.issues[0]?.path.join('.') || '(root)';
    throw new UndecodableMessageError(
      `message is not a telemetry event: ${where}: ${message.error.issues[0]?.message}`,
    );
  }
  if ('event' in message.data) return message.data.event as SignedEvent;

  const { key, bucket } = message.data.claim_check;
  if (bucket !== claimCheck.bucket) {
    throw new UndecodableMessageError(`claim check names bucket ${bucket}, not ${claimCheck.bucket}`);
  }
  let stored: string;
  try {
    stored = await claimCheck.get(key);
  } catch (error) {
    if (error instanceof ClaimCheckMissingError) throw new UndecodableMessageError(error.message);
    throw error;
  }
  let event: unknown;
  try {
    event = JSON.parse(stored);
  } catch {
    throw new UndecodableMessageError(`claim check ${key} is not JSON`);
  }
  const checked = signedEventSchema.safeParse(event);
  if (!checked.success) throw new UndecodableMessageError(`claim check ${key} does not hold an event`);
  return checked.data as SignedEvent;
}
