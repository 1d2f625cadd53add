import { jsonDepth, MAX_JSON_DEPTH } from '../json/depth';
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
  /** Extra response headers, e.g. `retry-after` on a 503. */
  headers?: Record<string, string>;
}

/** Longest header value copied into a log line: a hostile client cannot make log lines arbitrarily long. */
export const MAX_LOGGED_HEADER_CHARS = 128;

/** A header value as it may appear in a log line: truncated, with a marker when it was. */
export function loggedHeader(value: string | undefined): string | null {
  if (value === undefined) return null;
  return value.length > MAX_LOGGED_HEADER_CHARS ? `${value.slice(0, MAX_LOGGED_HEADER_CHARS)}…` : value;
}

/** The 503 answered when accepted work cannot be queued: `retry-after` from the error when it says one. */
export function unavailable(error: unknown, message: string): TelemetryResponse {
  const retry = (error as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  const seconds = typeof retry === 'number' && retry > 0 ? retry : 30;
  return {
    status: 503,
    body: { error: message, outcome: 'error' },
    headers: { 'retry-after': String(seconds) },
  };
}

/** 400 for a body nested deeper than MAX_JSON_DEPTH (checked without parsing or recursion), else undefined. */
export function tooDeep(body: Buffer): TelemetryResponse | undefined {
  if (jsonDepth(body) <= MAX_JSON_DEPTH) return undefined;
  return reject(400, `body nests deeper than ${MAX_JSON_DEPTH} levels`);
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
    delivery_id: loggedHeader(headers['x-github-delivery'] ?? headers['x-telemetry-sender']),
    event: loggedHeader(headers['x-github-event'] ?? headers['x-telemetry-event']),
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

  const deep = tooDeep(body);
  if (deep) return deep;
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
    deps.logger.error('enqueue failed', {
      delivery_id: loggedHeader(signed.event.deliveryId),
      error: errorMessage(error),
    });
    return unavailable(error, 'could not queue the delivery; it will be recovered by redelivery');
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

function reject(status: number, message: string): TelemetryResponse {
  return { status, body: { error: message, outcome: 'rejected' } };
}
