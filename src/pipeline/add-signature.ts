import type { CollectedBy, RawEvent, SignedEvent } from './types';

export type SignatureResult =
  | { kind: 'accepted'; event: SignedEvent }
  | { kind: 'ignored'; reason: string; event: string; action?: string }
  | { kind: 'invalid'; message: string };

/**
 * Identifies a verified GitHub delivery: `github::<event>` plus `.<action>` when the payload has one.
 * Deliveries no metric listens to are `ignored` (acknowledged, never errors). The signature has already
 * been checked: this is the first place the body is parsed.
 */
export function addSignature(
  raw: RawEvent,
  collected: ReadonlySet<string>,
  collectedBy: CollectedBy = 'webhook',
): SignatureResult {
  const event = raw.headers['x-github-event'];
  const deliveryId = raw.headers['x-github-delivery'];
  if (!event) return { kind: 'invalid', message: 'missing X-GitHub-Event header' };
  if (!/^[a-z_]{1,64}$/.test(event))
    return { kind: 'invalid', message: 'X-GitHub-Event header is not an event name' };
  if (!deliveryId) return { kind: 'invalid', message: 'missing X-GitHub-Delivery header' };
  if (!/^[A-Za-z0-9-]{1,100}$/.test(deliveryId)) {
    return { kind: 'invalid', message: 'X-GitHub-Delivery header is not a delivery id' };
  }

  let payload: unknown;
  try {
    payload = JSON.parse(raw.body.toString('utf8'));
  } catch {
    return { kind: 'invalid', message: 'body is not valid JSON' };
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return { kind: 'invalid', message: 'body must be a JSON object' };
  }
  const body = payload as Record<string, unknown>;
  const action = typeof body.action === 'string' ? body.action : undefined;

  if (event === 'ping') return { kind: 'ignored', reason: 'pong', event };
  const trigger = action ? `github::${event}.${action}` : `github::${event}`;
  if (!collected.has(trigger) && !collected.has(`github::${event}`)) {
    return { kind: 'ignored', reason: `${trigger.slice('github::'.length)} is not collected`, event, action };
  }
  return {
    kind: 'accepted',
    event: {
      trigger,
      source: 'github',
      event,
      ...(action ? { action } : {}),
      deliveryId,
      receivedAt: raw.receivedAt,
      collectedBy,
      payload: body,
    },
  };
}
