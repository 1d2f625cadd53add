import { createHash } from 'node:crypto';
import type { SignedEvent } from '../pipeline/types';

/**
 * What the push handler tells the worker about senders, through the same queue as the items: a refused
 * request (after authentication) and a count of unauthenticated ones. The worker keeps them in the sender
 * log under `_state/senders/` (src/senders/log.ts); they are never records. Built here, in the webhook's
 * import graph, so this module stays small: node:crypto only.
 */
export const REFUSED_TRIGGER = 'sender::refused';
export const UNAUTHENTICATED_TRIGGER = 'sender::unauthenticated';

/** Bodies under this many bytes are kept in the log with their refusal; larger ones by size and hash only. */
export const MAX_LOGGED_BODY_BYTES = 64 * 1024;
/** Per-item errors of at most this many items are kept per refusal (the answer had them all). */
const MAX_LOGGED_ITEMS = 100;

export interface LoggedItemErrors {
  index: number;
  errors: { path: string; message: string }[];
}

/** One refused request as the sender log keeps it: never a header, so never a signature or a secret. */
export interface RefusedRequest {
  /** Unique per request (also the queue event's delivery id), so a retried queue message is kept once. */
  id: string;
  /** When the collector received the request. */
  at: string;
  /** X-Telemetry-Event as sent (at most 64 characters). */
  kind: string;
  /** The HTTP status answered: 400, 413, or 202 when only some items were refused. */
  status: number;
  /** The answer's error, or `some items refused` for a 202. */
  answer: string;
  items: { total: number; refused: number };
  /** Per-item errors, as answered (the first 100 refused items). */
  errors: LoggedItemErrors[];
  body_bytes: number;
  body_sha256: string;
  /** The body as received (UTF-8) when it is under 64 KiB. */
  body?: string;
}

export interface UnauthenticatedCount {
  /** Unauthenticated requests in [from, to]. */
  count: number;
  from: string;
  to: string;
}

export function refusedRequest(input: {
  at: string;
  kind: string;
  status: number;
  answer: string;
  items: { total: number; refused: number };
  errors: LoggedItemErrors[];
  body: Buffer;
}): RefusedRequest {
  const sha = createHash('sha256').update(input.body).digest('hex');
  const entry: RefusedRequest = {
    id: `refused-${Date.parse(input.at).toString(36)}-${sha.slice(0, 16)}`,
    at: input.at,
    kind: input.kind.slice(0, 64),
    status: input.status,
    answer: input.answer,
    items: input.items,
    errors: input.errors.slice(0, MAX_LOGGED_ITEMS),
    body_bytes: input.body.length,
    body_sha256: sha,
  };
  if (input.body.length < MAX_LOGGED_BODY_BYTES) entry.body = input.body.toString('utf8');
  return entry;
}

/** The queue event that carries a refusal to the worker's sender log. */
export function refusedEvent(sender: string, entry: RefusedRequest): SignedEvent {
  return {
    trigger: REFUSED_TRIGGER,
    source: 'push',
    event: 'refused',
    deliveryId: entry.id,
    receivedAt: entry.at,
    collectedBy: 'push',
    sender,
    payload: entry as unknown as Record<string, unknown>,
  };
}

/**
 * Counts unauthenticated requests in memory and hands out at most one event per `intervalMs` with the count
 * since the last one, so a flood of bad requests costs the queue one small message a minute, never one each.
 */
export class UnauthenticatedCounter {
  private count = 0;
  private from: string | undefined;
  private lastFlush = 0;

  constructor(private readonly intervalMs = 60_000) {}

  add(at: Date): void {
    this.count += 1;
    this.from ??= at.toISOString();
  }

  /** The event to enqueue now, if any (and then the count starts again). */
  take(at: Date): SignedEvent | undefined {
    if (this.count === 0 || at.getTime() - this.lastFlush < this.intervalMs) return undefined;
    const payload: UnauthenticatedCount = {
      count: this.count,
      from: this.from ?? at.toISOString(),
      to: at.toISOString(),
    };
    this.count = 0;
    this.from = undefined;
    this.lastFlush = at.getTime();
    return {
      trigger: UNAUTHENTICATED_TRIGGER,
      source: 'push',
      event: 'unauthenticated',
      deliveryId: `unauthenticated-${at.getTime().toString(36)}`,
      receivedAt: payload.to,
      collectedBy: 'push',
      payload: payload as unknown as Record<string, unknown>,
    };
  }
}
