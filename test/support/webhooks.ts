import { randomUUID } from 'node:crypto';
import examples from '@octokit/webhooks-examples';
import { addSignature } from '../../src/pipeline/add-signature';
import type { CollectedBy, SignedEvent } from '../../src/pipeline/types';

type ExampleGroup = { name: string; examples: Record<string, unknown>[] };
const groups = examples as unknown as ExampleGroup[];

/** Every real payload of `event` (optionally only `action`), deep-copied so tests may edit them. */
export function examplesOf(event: string, action?: string): Record<string, unknown>[] {
  const group = groups.find((g) => g.name === event);
  if (!group) throw new Error(`no @octokit/webhooks-examples payloads for ${event}`);
  const list = group.examples.filter((p) => (action ? p.action === action : true));
  if (list.length === 0) throw new Error(`no @octokit/webhooks-examples payload for ${event}.${action}`);
  return list.map((p) => structuredClone(p));
}

/** The first real payload of `event[.action]`. */
export function example(event: string, action?: string): Record<string, unknown> {
  return examplesOf(event, action)[0] as Record<string, unknown>;
}

export interface SignedDelivery {
  headers: Record<string, string>;
  body: string;
}

/** A delivery exactly as GitHub sends it, signed by @octokit/webhooks-methods (independent of our verifier). */
export async function signedDelivery(
  event: string,
  payload: unknown,
  secret: string,
  deliveryId: string = randomUUID(),
): Promise<SignedDelivery> {
  const body = typeof payload === 'string' ? payload : JSON.stringify(payload);
  // Loaded on use, as src/webhook/verify.ts does: the package has only an `import` condition, so a static
  // import would break every tsx (bench) script that uses this module.
  const { sign } = await import('@octokit/webhooks-methods');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': deliveryId,
      'x-hub-signature-256': await sign(secret, body),
    },
  };
}

/** Runs a real payload through addSignature, as the webhook would, for metric tests. */
export function signedEventFrom(
  event: string,
  payload: Record<string, unknown>,
  options: { deliveryId?: string; receivedAt?: string; collectedBy?: CollectedBy } = {},
): SignedEvent {
  const action = typeof payload.action === 'string' ? payload.action : undefined;
  const trigger = action ? `github::${event}.${action}` : `github::${event}`;
  const result = addSignature(
    {
      headers: {
        'x-github-event': event,
        'x-github-delivery': options.deliveryId ?? '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      },
      body: Buffer.from(JSON.stringify(payload)),
      receivedAt: options.receivedAt ?? '2026-11-01T12:00:00.000Z',
    },
    new Set([trigger]),
    options.collectedBy,
  );
  if (result.kind !== 'accepted') throw new Error(`example not accepted: ${JSON.stringify(result)}`);
  return result.event;
}
