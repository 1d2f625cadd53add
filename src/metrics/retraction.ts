import type { MetricDraft } from '../pipeline/record';
import { safeSegment } from '../pipeline/record';
import type { SignedEvent } from '../pipeline/types';
import { RETRACT_EVENT } from '../push/kind-names';
import { isPushKind, type RetractPayload } from '../push/kinds';

/** The trigger of a retraction (`X-Telemetry-Event: retract`, one event per retracted id). */
export const RETRACT_TRIGGER = `push::${RETRACT_EVENT}`;

/** The `owner` of a tombstone (its `repo` is the sender); tombstones are filed under `tombstones/` (recordPath). */
export const RETRACTED_OWNER = '_retracted';

/** The output of a tombstone: who retracted what, and when (the audit trail). */
export interface TombstoneOutput {
  retracted: true;
  sender: string;
  /** The sender's id of the retracted item. */
  id: string;
  /** The push kind it was sent as. */
  kind: string;
  retracted_at: string;
}

/** True for a retraction of `kind` (a push metric's `matches` for its retract trigger). */
export function retracts(event: SignedEvent, kind: string): boolean {
  return event.trigger === RETRACT_TRIGGER && (event.payload as Partial<RetractPayload>).kind === kind;
}

/**
 * Tombstones for one retracted item: one per natural key the item's records can have (a deployment has one
 * record per status it was reported with, an incident `opened` and `resolved`), each with the id its record
 * has, so "better record wins" (retracted beats every other version) removes them from every reader. Keys
 * start with the retracting sender's name: a sender can only ever retract its own items. A key that matches
 * no record retracts nothing. Filed by when the retraction was made, under `tombstones/<metric>/`.
 */
export function tombstones<O>(event: SignedEvent, naturalKeys: (id: string) => string[]): MetricDraft<O>[] {
  const sender = event.sender;
  const payload = event.payload as Partial<RetractPayload>;
  if (
    !sender ||
    typeof payload.id !== 'string' ||
    typeof payload.kind !== 'string' ||
    !isPushKind(payload.kind)
  ) {
    throw new Error('retraction without a sender, kind or id');
  }
  const output: TombstoneOutput = {
    retracted: true,
    sender,
    id: payload.id,
    kind: payload.kind,
    retracted_at: event.receivedAt,
  };
  return naturalKeys(payload.id).map((naturalKey) => ({
    naturalKey,
    owner: RETRACTED_OWNER,
    repo: safeSegment(sender),
    occurredAt: event.receivedAt,
    tombstone: true,
    output: output as unknown as O,
  }));
}
