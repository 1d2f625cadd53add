import { errorMessage, type Logger } from '../log/logger';
import { addSignature } from '../pipeline/add-signature';
import type { SignedEvent } from '../pipeline/types';
import { verifyGitHubSignature } from './verify';

/** An HTTP request to `POST /telemetry`, as any shell (local server, Lambda) hands it over. */
export interface TelemetryRequest {
  /** Header names lower-cased. */
  headers: Readonly<Record<string, string | undefined>>;
  /** The raw body bytes (API Gateway's base64 already decoded). */
  body: Buffer;
}

export interface TelemetryResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface TelemetryHandlerDeps {
  /** Current webhook secrets; throws when they cannot be read (our fault: 500, GitHub may redeliver). */
  webhookSecrets: () => Promise<readonly string[]>;
  /** Hands accepted events to durable processing; throws when it cannot (503). */
  enqueue: (events: SignedEvent[]) => Promise<void>;
  /** Triggers at least one metric collects (`collectedTriggers()`). */
  collected: ReadonlySet<string>;
  maxBodyBytes: number;
  logger: Logger;
  now?: () => Date;
  /**
   * Called once per `installation` / `installation_repositories` event of the GitHub App (the owners and
   * repositories it can read changed): the process forgets the installations it knew.
   */
  onInstallationChange?: (change: InstallationChange) => void;
  /** Custom pushes from other systems (requests with X-Telemetry-Event); absent means pushes are refused. */
  push?: (request: TelemetryRequest) => Promise<TelemetryResponse>;
}

/** Is this an `application/json` media type (parameters such as charset allowed)? */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const mediaType = value.split(';')[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

/**
 * The HTTP contract of `POST /telemetry` (docs/ARCHITECTURE.md), independent of where it runs:
 * 413 → 415 → 401 → 400 → 200/202, and 5xx only for our own faults. Nothing is parsed before the signature
 * is verified. Logs exactly one line per request.
 */
export async function handleTelemetryRequest(
  request: TelemetryRequest,
  deps: TelemetryHandlerDeps,
): Promise<TelemetryResponse> {
  const started = performance.now();
  const headers = request.headers;
  const response = await answer(request, deps);
  deps.logger.info('delivery', {
    delivery_id: headers['x-github-delivery'] ?? headers['x-telemetry-sender'] ?? null,
    event: headers['x-github-event'] ?? headers['x-telemetry-event'] ?? null,
    action: typeof response.body.action === 'string' ? response.body.action : null,
    outcome: response.body.outcome ?? (response.status >= 400 ? 'rejected' : 'accepted'),
    status: response.status,
    ms: Math.round((performance.now() - started) * 100) / 100,
  });
  return response;
}

async function answer(request: TelemetryRequest, deps: TelemetryHandlerDeps): Promise<TelemetryResponse> {
  const { headers, body } = request;
  if (body.length > deps.maxBodyBytes) {
    return reject(413, `body is larger than the limit of ${deps.maxBodyBytes} bytes`);
  }
  if (!isJsonContentType(headers['content-type'])) {
    return reject(
      415,
      'content type must be application/json (set the webhook content type to application/json)',
    );
  }
  if (headers['x-telemetry-event'] !== undefined) {
    if (!deps.push) return reject(400, 'pushes (X-Telemetry-Event) are not enabled on this collector');
    return deps.push(request);
  }

  let secrets: readonly string[];
  try {
    secrets = await deps.webhookSecrets();
  } catch (error) {
    deps.logger.error('webhook secrets unavailable', { error: errorMessage(error) });
    return { status: 500, body: { error: 'webhook secrets are unavailable', outcome: 'error' } };
  }
  if (!headers['x-hub-signature-256']) return reject(401, 'missing X-Hub-Signature-256 header');
  if (!(await verifyGitHubSignature(body, headers['x-hub-signature-256'], secrets))) {
    return reject(401, 'invalid signature');
  }

  const event = headers['x-github-event'];
  if (event === 'installation' || event === 'installation_repositories') {
    if (!headers['x-github-delivery']) return reject(400, 'missing X-GitHub-Delivery header');
    return installationEvent(event, body, deps);
  }

  const receivedAt = (deps.now?.() ?? new Date()).toISOString();
  const signed = addSignature({ headers, body, receivedAt }, deps.collected);
  if (signed.kind === 'invalid') return reject(400, signed.message);
  if (signed.kind === 'ignored') {
    const status = signed.event === 'ping' ? 200 : 202;
    return {
      status,
      body: {
        outcome: 'ignored',
        message: signed.reason,
        ...(signed.action ? { action: signed.action } : {}),
      },
    };
  }
  try {
    await deps.enqueue([signed.event]);
  } catch (error) {
    deps.logger.error('enqueue failed', { delivery_id: signed.event.deliveryId, error: errorMessage(error) });
    return {
      status: 503,
      body: { error: 'could not queue the delivery; it will be recovered by redelivery', outcome: 'error' },
    };
  }
  return {
    status: 202,
    body: {
      outcome: 'queued',
      delivery_id: signed.event.deliveryId,
      trigger: signed.event.trigger,
      ...(signed.event.action ? { action: signed.event.action } : {}),
    },
  };
}

/** What an App installation event changed: where the App is installed and which repositories it reads. */
export interface InstallationChange {
  event: 'installation' | 'installation_repositories';
  action: string;
  installation_id: string | null;
  owner: string | null;
  repository_selection: string | null;
  repositories_added: string[];
  repositories_removed: string[];
}

const names = (list: unknown): string[] =>
  Array.isArray(list)
    ? list
        .map((r) => (r as { full_name?: unknown }).full_name)
        .filter((n): n is string => typeof n === 'string')
    : [];

/**
 * The GitHub App's `installation` (created, deleted, suspend, unsuspend, new_permissions_accepted) and
 * `installation_repositories` (added, removed) events: nothing is stored, what is collected changes. The
 * change is logged once, here, and the process forgets the installations it knew (`onInstallationChange`);
 * other processes (the AWS worker) re-read them within their cache time or on the first unknown owner.
 */
function installationEvent(
  event: 'installation' | 'installation_repositories',
  body: Buffer,
  deps: TelemetryHandlerDeps,
): TelemetryResponse {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch {
    return reject(400, 'body is not valid JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    return reject(400, 'body must be a JSON object');
  }
  const installation = (payload.installation ?? {}) as Record<string, unknown>;
  const account = (installation.account ?? {}) as Record<string, unknown>;
  const action = typeof payload.action === 'string' ? payload.action : 'unknown';
  const change: InstallationChange = {
    event,
    action,
    installation_id: installation.id === undefined ? null : String(installation.id),
    owner: typeof account.login === 'string' ? account.login : null,
    repository_selection:
      typeof payload.repository_selection === 'string'
        ? payload.repository_selection
        : typeof installation.repository_selection === 'string'
          ? installation.repository_selection
          : null,
    repositories_added: names(
      event === 'installation' && action === 'created' ? payload.repositories : payload.repositories_added,
    ),
    repositories_removed: names(
      event === 'installation' && action === 'deleted' ? payload.repositories : payload.repositories_removed,
    ),
  };
  deps.logger.info('github app installation changed: what is collected changes', { ...change });
  deps.onInstallationChange?.(change);
  return {
    status: 202,
    body: {
      outcome: 'installation',
      action,
      message: `${event}.${action} for ${change.owner ?? 'an unknown owner'}: nothing stored, the installations are read again`,
    },
  };
}

function reject(status: number, message: string): TelemetryResponse {
  return { status, body: { error: message, outcome: 'rejected' } };
}
