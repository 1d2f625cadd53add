import { createHmac } from 'node:crypto';
import { silentLogger } from '../../src/log/logger';
import type { SignedEvent } from '../../src/pipeline/types';
import { createPushHandler } from '../../src/push/handler';
import { parseSenderSecrets, staticSenderSecrets } from '../../src/push/secrets';
import { handleTelemetryRequest, type TelemetryResponse } from '../../src/webhook/handle-request';

export const NOW = new Date('2026-11-01T12:00:00.000Z');
export const NOW_SECONDS = String(NOW.getTime() / 1000);

/**
 * Signs like the docs tell senders to, with node:crypto directly (independent of src/push/signature.ts):
 * HMAC-SHA256 over `<timestamp>.<sender>.<kind>.<raw body>` (signature v2).
 */
export function signedPush(
  kind: string,
  body: unknown,
  options: { sender?: string; secret?: string; timestamp?: string } = {},
): { headers: Record<string, string>; body: Buffer } {
  const raw = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const timestamp = options.timestamp ?? NOW_SECONDS;
  const sender = options.sender ?? 'jenkins';
  const signature = createHmac('sha256', options.secret ?? 'jenkins-secret')
    .update(`${timestamp}.${sender}.${kind}.`)
    .update(raw)
    .digest('hex');
  return {
    body: raw,
    headers: {
      'content-type': 'application/json',
      'x-telemetry-event': kind,
      'x-telemetry-sender': sender,
      'x-telemetry-timestamp': timestamp,
      'x-telemetry-signature-256': `sha256=${signature}`,
    },
  };
}

/** The whole HTTP contract (handleTelemetryRequest + the push handler) with a recording queue. */
export function pushHarness(
  options: { senders?: string; maxBodyBytes?: number; now?: () => Date; enqueueFails?: boolean } = {},
) {
  const enqueued: SignedEvent[] = [];
  /** The sender log's events (`sender::refused`, `sender::unauthenticated`), kept apart from the items. */
  const activity: SignedEvent[] = [];
  const senders = staticSenderSecrets(
    parseSenderSecrets(options.senders ?? 'jenkins=jenkins-secret,gitlab=gitlab-old,gitlab=gitlab-new'),
  );
  const now = options.now ?? (() => NOW);
  const push = createPushHandler({ senderSecrets: senders, logger: silentLogger, now });
  const enqueue = async (events: SignedEvent[]) => {
    if (options.enqueueFails) throw new Error('queue down');
    for (const event of events) (event.trigger.startsWith('sender::') ? activity : enqueued).push(event);
  };
  async function send(request: {
    headers: Record<string, string>;
    body: Buffer;
  }): Promise<TelemetryResponse> {
    return handleTelemetryRequest(request, {
      webhookSecrets: async () => ['webhook-secret'],
      enqueue,
      collected: new Set(),
      maxBodyBytes: options.maxBodyBytes ?? 25 * 1024 * 1024,
      logger: silentLogger,
      now,
      push: (r) => push(r, enqueue),
    });
  }
  return { send, enqueued, activity };
}

export const deployment = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'deploy-4711',
  repository: 'octo-org/billing',
  environment: 'production',
  sha: '9f2c1e0b7a3d4c5e6f708192a3b4c5d6e7f80912',
  status: 'success',
  started_at: '2026-11-01T11:52:10Z',
  finished_at: '2026-11-01T11:58:42Z',
  ...overrides,
});

export const incident = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'INC-2041',
  repository: 'octo-org/billing',
  opened_at: '2026-11-01T11:05:00Z',
  ...overrides,
});

export const toolingUsage = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  repository: 'octo-org/billing',
  tools: { 'maven:junit': '5.11.0', jdk: '21' },
  ...overrides,
});

export const customMetricItem = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'cache-2026-11-01T12',
  name: 'build.cache_hit_ratio',
  value: 0.87,
  unit: 'ratio',
  observed_at: '2026-11-01T12:00:00Z',
  ...overrides,
});

export const pipelineRun = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'jenkins-billing-build-812',
  repository: 'octo-org/billing',
  pipeline: 'billing-build',
  status: 'success',
  queued_at: '2026-11-01T11:50:00Z',
  started_at: '2026-11-01T11:52:10Z',
  finished_at: '2026-11-01T11:58:42Z',
  ...overrides,
});
