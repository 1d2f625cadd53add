import { createHash } from 'node:crypto';
import type * as z from 'zod/mini';
import { errorMessage, type Logger } from '../log/logger';
import type { SignedEvent } from '../pipeline/types';
import {
  loggedHeader,
  type TelemetryRequest,
  type TelemetryResponse,
  tooDeep,
  unavailable,
} from '../webhook/handle-request';
import { isPushKind, MAX_ITEM_BYTES, MAX_ITEMS, type PushKind, pushKinds, RESERVED_KEYS } from './kinds';
import { SENDER_NAME, type SenderSecrets } from './secrets';
import { verifyPushSignature } from './signature';

export interface PushHandlerDeps {
  /** The sender's current secrets (`[]`: unknown sender); throws when they cannot be read (500). */
  senderSecrets: SenderSecrets;
  /** Largest accepted distance between X-Telemetry-Timestamp and the collector's clock, in seconds. */
  maxSkewSeconds?: number;
  logger: Logger;
  now?: () => Date;
}

/** What the local server and the webhook Lambda call for requests with X-Telemetry-Event. */
export type PushHandler = (
  request: TelemetryRequest,
  enqueue: (events: SignedEvent[]) => Promise<void>,
) => Promise<TelemetryResponse>;

export interface ItemError {
  /** Dotted path inside the item ('' for the item itself). */
  path: string;
  message: string;
}

export type ItemResult = { index: number; id: string } | { index: number; errors: ItemError[] };

export const DEFAULT_MAX_SKEW_SECONDS = 300;
/** The one answer to an unknown sender and to a bad signature. */
export const UNAUTHENTICATED = 'unknown sender or invalid signature';
const MAX_ERRORS_PER_ITEM = 20;

/**
 * The push contract of docs/PUSH.md. Runs after handleTelemetryRequest's size (413) and content-type (415)
 * checks: authenticate (401: timestamp skew, then the v2 signature over `<timestamp>.<sender>.<kind>.<raw
 * body>`), then parse (400 / 413 above 500 items), validate every item on its own, enqueue the valid ones as
 * `push::<kind>` events and answer 202 with one result per item. Nothing is parsed before the signature holds.
 */
export function createPushHandler(deps: PushHandlerDeps): PushHandler {
  const maxSkew = deps.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  const now = deps.now ?? (() => new Date());

  return async (request, enqueue) => {
    const { headers, body } = request;
    const sender = headers['x-telemetry-sender'];
    const timestamp = headers['x-telemetry-timestamp'];
    const signature = headers['x-telemetry-signature-256'];
    if (!sender) return reject(401, 'missing X-Telemetry-Sender header');
    if (!timestamp) return reject(401, 'missing X-Telemetry-Timestamp header');
    if (!/^\d{1,12}$/.test(timestamp)) return reject(401, 'X-Telemetry-Timestamp must be unix seconds');
    const skew = Math.abs(now().getTime() / 1000 - Number(timestamp));
    if (skew > maxSkew) {
      return reject(
        401,
        `X-Telemetry-Timestamp is ${Math.round(skew)} s away from the collector's clock (at most ${maxSkew} s): sign each request when sending it`,
      );
    }
    if (!signature) return reject(401, 'missing X-Telemetry-Signature-256 header');

    let secrets: readonly string[] = [];
    if (SENDER_NAME.test(sender)) {
      try {
        secrets = await deps.senderSecrets(sender);
      } catch (error) {
        deps.logger.error('sender secrets unavailable', {
          sender: loggedHeader(sender),
          error: errorMessage(error),
        });
        return { status: 500, body: { error: 'sender secrets are unavailable', outcome: 'error' } };
      }
    }
    const kind = headers['x-telemetry-event'] ?? '';
    // An unknown sender and a bad signature get the same answer (and the same HMAC work), so sender names
    // cannot be enumerated.
    if (!verifyPushSignature(secrets, { timestamp, sender, kind }, body, signature)) {
      return reject(401, UNAUTHENTICATED);
    }

    if (!isPushKind(kind)) {
      return reject(
        400,
        `X-Telemetry-Event must be one of ${Object.keys(pushKinds).join(', ')}, got ${JSON.stringify(kind.slice(0, 64))}`,
      );
    }

    const deep = tooDeep(body);
    if (deep) return deep;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return reject(400, 'body is not valid JSON');
    }
    const items = itemsOf(parsed);
    if (!Array.isArray(items)) return items;

    const receivedAt = now().toISOString();
    const results: ItemResult[] = [];
    const events: SignedEvent[] = [];
    items.forEach((item, index) => {
      const checked = validateItem(kind, item);
      if (!checked.ok) {
        results.push({ index, errors: checked.errors });
        return;
      }
      const id = itemId(checked.item, receivedAt);
      results.push({ index, id });
      events.push({
        trigger: `push::${kind}`,
        source: 'push',
        event: kind,
        deliveryId: deliveryIdFor(sender, kind, id),
        receivedAt,
        collectedBy: 'push',
        sender,
        payload: checked.item,
      });
    });

    if (events.length === 0) {
      return {
        status: 400,
        body: { error: 'no valid item: see results', outcome: 'rejected', results },
      };
    }
    try {
      await enqueue(events);
    } catch (error) {
      deps.logger.error('enqueue failed', { sender, kind, items: events.length, error: errorMessage(error) });
      return unavailable(error, 'could not queue the items; send them again');
    }
    return { status: 202, body: { outcome: 'queued', results } };
  };
}

/** One item, or `{ "items": [...] }` with 1 to 500 items; anything else is the answer to send. */
function itemsOf(parsed: unknown): unknown[] | TelemetryResponse {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return reject(400, 'body must be one item (a JSON object) or {"items": [...]}');
  }
  if (!Object.hasOwn(parsed, 'items')) return [parsed];
  const items = (parsed as { items: unknown }).items;
  if (!Array.isArray(items)) return reject(400, '"items" must be an array of items');
  if (items.length === 0) return reject(400, '"items" is empty');
  if (items.length > MAX_ITEMS) {
    return reject(413, `"items" holds ${items.length} items; at most ${MAX_ITEMS} per request`);
  }
  return items;
}

/** Validates one item against its kind's schema, after refusing prototype-touching keys anywhere in it. */
export function validateItem(
  kind: PushKind,
  item: unknown,
): { ok: true; item: Record<string, unknown> } | { ok: false; errors: ItemError[] } {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    return { ok: false, errors: [{ path: '', message: 'must be a JSON object' }] };
  }
  const errors = reservedKeyErrors(item);
  const result = (pushKinds[kind] as z.ZodMiniType).safeParse(item);
  if (!result.success) {
    const reported = new Set(errors.map((e) => e.path));
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.');
      if (reported.has(path)) continue;
      // A bad map key is reported by zod as "Invalid key in record" with the key's own issues inside.
      const inner = issue.code === 'invalid_key' ? issue.issues.map((i) => i.message) : [];
      errors.push({ path, message: inner.length > 0 ? inner.join('; ') : issue.message });
    }
  }
  if (errors.length > 0) return { ok: false, errors: errors.slice(0, MAX_ERRORS_PER_ITEM) };
  const bytes = Buffer.byteLength(JSON.stringify(result.data));
  if (bytes > MAX_ITEM_BYTES) {
    return {
      ok: false,
      errors: [{ path: '', message: `item is ${bytes} bytes as JSON; at most ${MAX_ITEM_BYTES}` }],
    };
  }
  return { ok: true, item: result.data as Record<string, unknown> };
}

/**
 * JSON.parse makes `"__proto__"` an own property (it never pollutes a prototype), but such keys would be
 * dangerous for every JavaScript reader of the records, and zod silently drops `__proto__` from records.
 * They are refused wherever they appear, with a clear error, instead of being dropped or stored. Iterative,
 * so a deeply nested body cannot overflow the stack.
 */
function reservedKeyErrors(item: object): ItemError[] {
  // Each node points at its parent: a path is built only for an error, so the walk is linear in the size of
  // the item whatever its depth (copying the path at every level would be quadratic).
  interface Node {
    value: unknown;
    key: string;
    parent: Node | undefined;
  }
  const pathOf = (node: Node): string => {
    const keys: string[] = [];
    for (let at: Node | undefined = node; at?.parent; at = at.parent) keys.push(at.key);
    return keys.reverse().join('.');
  };
  const errors: ItemError[] = [];
  const stack: Node[] = [{ value: item, key: '', parent: undefined }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const value = node.value;
    if (value === null || typeof value !== 'object') continue;
    for (const key of Object.keys(value)) {
      const child: Node = { value: (value as Record<string, unknown>)[key], key, parent: node };
      if (RESERVED_KEYS.has(key)) {
        errors.push({ path: pathOf(child), message: `the key ${key} is not allowed` });
        if (errors.length >= MAX_ERRORS_PER_ITEM) return errors;
        continue;
      }
      stack.push(child);
    }
  }
  return errors;
}

/**
 * The id a result reports: the sender's own `id`, or for tooling-usage (which has none) a deterministic one
 * of repository and UTC day, the metric's natural key.
 */
function itemId(item: Record<string, unknown>, receivedAt: string): string {
  if (typeof item.id === 'string') return item.id;
  const day = (typeof item.observed_at === 'string' ? new Date(item.observed_at) : new Date(receivedAt))
    .toISOString()
    .slice(0, 10);
  return `${item.repository}@${day}`;
}

/**
 * The SignedEvent's delivery id (also written as the record's `delivery_id`): the item's id when it is a
 * plain token, else a deterministic hash of sender, kind and id, so no id can shape a file name.
 */
function deliveryIdFor(sender: string, kind: PushKind, id: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(id)) return id;
  return `push-${createHash('sha256').update(`${sender}\n${kind}\n${id}`).digest('hex').slice(0, 32)}`;
}

function reject(status: number, message: string): TelemetryResponse {
  return { status, body: { error: message, outcome: 'rejected' } };
}
