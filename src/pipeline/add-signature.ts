import { parseJsonExact } from '../json/exact';
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
    // Ids beyond 2^53 sent as JSON numbers stay exact (as decimal strings) instead of being rounded.
    payload = parseJsonExact(raw.body.toString('utf8'));
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
      payload: trimEnvelope(body),
    },
  };
}

/** The repository fields any metric reads (the rest of GitHub's ~5 KB repository object is never used). */
const REPOSITORY_FIELDS = ['id', 'node_id', 'name', 'full_name', 'private', 'html_url', 'default_branch'];

/**
 * Drops the parts of a delivery no metric reads before it is queued: who triggered it (`sender`), the
 * organisation, enterprise and app installation, and all but the identity of `repository`. That is about
 * 60% of a `workflow_job` delivery, and the queue (SQS: 256 KB-1 MB a message, a Lambda batch at most 6 MB)
 * then carries about 2.5 times as many events per worker batch, hence per commit.
 */
export function trimEnvelope(payload: Record<string, unknown>): Record<string, unknown> {
  const {
    sender: _sender,
    organization: _organization,
    enterprise: _enterprise,
    installation: _installation,
    ...rest
  } = payload;
  const repository = payload.repository;
  if (repository && typeof repository === 'object' && !Array.isArray(repository)) {
    const full = repository as Record<string, unknown>;
    const owner = full.owner as Record<string, unknown> | undefined;
    const kept: Record<string, unknown> = {};
    for (const field of REPOSITORY_FIELDS) if (field in full) kept[field] = full[field];
    if (owner && typeof owner === 'object')
      kept.owner = { login: owner.login, id: owner.id, type: owner.type };
    rest.repository = kept;
  }
  return rest;
}
