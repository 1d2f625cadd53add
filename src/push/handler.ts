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
import { refusedEvent, refusedRequest, UnauthenticatedCounter } from './activity';
import { RETRACT_EVENT } from './kind-names';
import {
  isPushKind,
  MAX_ITEM_BYTES,
  MAX_ITEMS,
  type PushKind,
  pushKinds,
  RESERVED_KEYS,
  type RetractPayload,
  retractedId,
} from './kinds';
import { SENDER_NAME, type SenderSecrets } from './secrets';
import { verifyPushSignature } from './signature';

export interface PushHandlerDeps {
  /** The sender's current secrets (`[]`: unknown sender); throws when they cannot be read (500). */
  senderSecrets: SenderSecrets;
  /** Largest accepted distance between X-Telemetry-Timestamp and the collector's clock, in seconds. */
  maxSkewSeconds?: number;
  logger: Logger;
  now?: () => Date;
  /**
   * Keep a log of refused requests per sender (docs/PUSH.md, "Refused requests"): each refusal after
   * authentication travels to the worker as a `sender::refused` event, unauthenticated requests only as a
   * count (`sender::unauthenticated`, at most one a minute). Default true.
   */
  senderLog?: boolean;
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

  const logging = deps.senderLog ?? true;
  const unauthenticatedCount = new UnauthenticatedCounter();

  return async (request, enqueue) => {
    const { headers, body } = request;
    const sender = headers['x-telemetry-sender'];
    const timestamp = headers['x-telemetry-timestamp'];
    const signature = headers['x-telemetry-signature-256'];

    // Counted, never stored: nothing of an unauthenticated request reaches the log.
    const unauthenticated = async (message: string): Promise<TelemetryResponse> => {
      if (logging) {
        unauthenticatedCount.add(now());
        const event = unauthenticatedCount.take(now());
        if (event) await enqueue([event]).catch(() => undefined);
      }
      return reject(401, message);
    };
    // A refusal after authentication: answered as before, and kept in the sender's log (best effort: the
    // answer never depends on the log).
    const refused = async (
      response: TelemetryResponse,
      detail: { total: number; refused: number; errors: ItemResult[]; kind: string },
      more: SignedEvent[] = [],
    ): Promise<SignedEvent[]> => {
      if (!logging || !sender) return more;
      const answer = (response.body as { error?: unknown }).error;
      const entry = refusedRequest({
        at: now().toISOString(),
        kind: detail.kind,
        status: response.status,
        answer: typeof answer === 'string' ? answer : 'some items refused',
        items: { total: detail.total, refused: detail.refused },
        errors: detail.errors.flatMap((r) => ('errors' in r ? [{ index: r.index, errors: r.errors }] : [])),
        body,
      });
      return [...more, refusedEvent(sender, entry)];
    };
    const refuse = async (
      response: TelemetryResponse,
      detail: { total: number; refused: number; errors: ItemResult[]; kind: string },
    ): Promise<TelemetryResponse> => {
      const events = await refused(response, detail);
      if (events.length > 0) {
        await enqueue(events).catch((error) =>
          deps.logger.warn('sender log: refusal not queued', {
            sender: loggedHeader(sender),
            error: errorMessage(error),
          }),
        );
      }
      return response;
    };

    if (!sender) return unauthenticated('missing X-Telemetry-Sender header');
    if (!timestamp) return unauthenticated('missing X-Telemetry-Timestamp header');
    if (!/^\d{1,12}$/.test(timestamp)) return unauthenticated('X-Telemetry-Timestamp must be unix seconds');
    const skew = Math.abs(now().getTime() / 1000 - Number(timestamp));
    if (skew > maxSkew) {
      return unauthenticated(
        `X-Telemetry-Timestamp is ${Math.round(skew)} s away from the collector's clock (at most ${maxSkew} s): sign each request when sending it`,
      );
    }
    if (!signature) return unauthenticated('missing X-Telemetry-Signature-256 header');

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
      return unauthenticated(UNAUTHENTICATED);
    }
    const whole = { total: 0, refused: 0, errors: [], kind };

    if (kind === RETRACT_EVENT) {
      const deep = tooDeep(body);
      if (deep) return refuse(deep, whole);
      const checked = retraction(body);
      if (!('ids' in checked)) return refuse(checked, whole);
      const receivedAt = now().toISOString();
      const results: ItemResult[] = [];
      const events: SignedEvent[] = [];
      checked.ids.forEach((id, index) => {
        const valid = retractedId.safeParse(id);
        if (!valid.success) {
          results.push({ index, errors: valid.error.issues.map((i) => ({ path: '', message: i.message })) });
          return;
        }
        results.push({ index, id: valid.data });
        const payload: RetractPayload = { kind: checked.kind, id: valid.data };
        events.push({
          trigger: `push::${RETRACT_EVENT}`,
          source: 'push',
          event: RETRACT_EVENT,
          deliveryId: `retract-${createHash('sha256').update(`${sender}\n${checked.kind}\n${valid.data}`).digest('hex').slice(0, 32)}`,
          receivedAt,
          collectedBy: 'push',
          sender,
          payload: payload as unknown as Record<string, unknown>,
        });
      });
      const detail = {
        total: checked.ids.length,
        refused: checked.ids.length - events.length,
        errors: results,
        kind,
      };
      if (events.length === 0) {
        return refuse(
          { status: 400, body: { error: 'no valid id: see results', outcome: 'rejected', results } },
          detail,
        );
      }
      const accepted = { status: 202, body: { outcome: 'queued', results } };
      try {
        await enqueue(detail.refused > 0 ? await refused(accepted, detail, events) : events);
      } catch (error) {
        deps.logger.error('enqueue failed', {
          sender,
          kind,
          items: events.length,
          error: errorMessage(error),
        });
        return unavailable(error, 'could not queue the retraction; send it again');
      }
      return accepted;
    }

    if (!isPushKind(kind)) {
      return refuse(
        reject(
          400,
          `X-Telemetry-Event must be one of ${[...Object.keys(pushKinds), RETRACT_EVENT].join(', ')}, got ${JSON.stringify(kind.slice(0, 64))}`,
        ),
        whole,
      );
    }

    const deep = tooDeep(body);
    if (deep) return refuse(deep, whole);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(reject(400, 'body is not valid JSON'), whole);
    }
    const items = itemsOf(parsed);
    if (!Array.isArray(items)) {
      const listed =
        parsed !== null && typeof parsed === 'object' ? (parsed as { items?: unknown }).items : [];
      const total = Array.isArray(listed) ? listed.length : 0;
      return refuse(items, { ...whole, total, refused: total });
    }

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

    const detail = { total: items.length, refused: items.length - events.length, errors: results, kind };
    if (events.length === 0) {
      return refuse(
        { status: 400, body: { error: 'no valid item: see results', outcome: 'rejected', results } },
        detail,
      );
    }
    const accepted = { status: 202, body: { outcome: 'queued', results } };
    try {
      // Some items refused: the refusal travels with the accepted items, in the same enqueue.
      await enqueue(detail.refused > 0 ? await refused(accepted, detail, events) : events);
    } catch (error) {
      deps.logger.error('enqueue failed', { sender, kind, items: events.length, error: errorMessage(error) });
      return unavailable(error, 'could not queue the items; send them again');
    }
    return accepted;
  };
}

/** `{ "kind": K, "ids": [...] }` with a push kind and 1 to 500 ids; anything else is the answer to send. */
function retraction(body: Buffer): { kind: PushKind; ids: unknown[] } | TelemetryResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return reject(400, 'body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return reject(400, 'a retraction is {"kind": "<kind>", "ids": ["<id>", ...]}');
  }
  const { kind, ids } = parsed as { kind?: unknown; ids?: unknown };
  if (typeof kind !== 'string' || !isPushKind(kind)) {
    return reject(400, `"kind" must be one of ${Object.keys(pushKinds).join(', ')}`);
  }
  if (!Array.isArray(ids) || ids.length === 0) return reject(400, '"ids" must be a non-empty array of ids');
  if (ids.length > MAX_ITEMS) {
    return reject(413, `"ids" holds ${ids.length} ids; at most ${MAX_ITEMS} per request`);
  }
  return { kind, ids };
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
