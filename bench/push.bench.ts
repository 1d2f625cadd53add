import { silentLogger } from '../src/log/logger';
import { createPushHandler } from '../src/push/handler';
import { pushHeaders } from '../src/push/signature';
import { round } from './stats';
import { loadLocalCollector } from './support/load';

/**
 * `push`: full batches of 500 deployments (the contract's maximum) through the real local collector
 * (`telemetry serve` in its own process) over loopback, and the push handler alone (signature check + zod
 * validation of every item) in process. Every item is a distinct deployment, so every accepted item must
 * become one record file: lost = items accepted − files written after a clean SIGINT shutdown.
 */
const REQUESTS = Number(process.env.BENCH_PUSH_REQUESTS ?? 40);
const ITEMS = 500;
const CONCURRENCY = Number(process.env.BENCH_PUSH_CONCURRENCY ?? 4);
const SECRET = 'bench-sender-secret';

function batch(request: number): Buffer {
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    id: `deploy-${request}-${i}`,
    repository: `octo-org/service-${i % 50}`,
    environment: 'production',
    sha: (request * ITEMS + i).toString(16).padStart(40, '0'),
    status: i % 10 === 0 ? 'failure' : 'success',
    started_at: '2026-11-01T11:52:10Z',
    finished_at: '2026-11-01T11:58:42Z',
    service: `service-${i % 50}`,
    version: `2026.11.${request}`,
    url: `https://jenkins.example.com/job/deploy/${request}/`,
    pull_requests: [request + 1, i + 1],
  }));
  return Buffer.from(JSON.stringify({ items }));
}

export async function run(): Promise<Record<string, unknown>> {
  const bodies = Array.from({ length: REQUESTS }, (_, r) => batch(r));

  // The handler alone: what one request costs before the queue (signature + 500 validations).
  const handler = createPushHandler({ senderSecrets: async () => [SECRET], logger: silentLogger });
  let enqueued = 0;
  const handlerStarted = performance.now();
  for (const body of bodies) {
    const response = await handler(
      { headers: pushHeaders('deployment', 'bench', SECRET, body), body },
      async (e) => {
        enqueued += e.length;
      },
    );
    if (response.status !== 202) throw new Error(`handler answered ${response.status}`);
  }
  const handlerSeconds = (performance.now() - handlerStarted) / 1000;

  const load = await loadLocalCollector({
    name: 'push',
    env: { TELEMETRY_WEBHOOK_SECRET: 'unused', TELEMETRY_SENDER_SECRETS: `bench=${SECRET}` },
    requests: bodies,
    concurrency: CONCURRENCY,
    // Signed when sent, as a sender does (the timestamp must be fresh).
    prepare: (body) => ({ headers: pushHeaders('deployment', 'bench', SECRET, body), body }),
  });
  const accepted = load.accepted * ITEMS;

  return {
    requests: REQUESTS,
    items_per_request: ITEMS,
    body_kb: round(bodies[0]!.length / 1024, 0),
    concurrency: CONCURRENCY,
    handler_items_per_s: round(enqueued / handlerSeconds, 0),
    handler_ms_per_request: round((handlerSeconds * 1000) / REQUESTS),
    http_items_accepted_per_s: round(accepted / load.seconds, 0),
    p50_request_ms: load.p50_ms,
    p99_request_ms: load.p99_ms,
    items_accepted: accepted,
    records_written: load.records_written,
    lost: accepted - load.records_written,
    clean_exit: load.clean_exit,
  };
}
