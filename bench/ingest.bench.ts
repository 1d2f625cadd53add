import { example, signedDelivery } from '../test/support/webhooks';
import { round } from './stats';
import { loadLocalCollector } from './support/load';

/**
 * `ingest`: 10,000 signed deliveries through the real local collector (`telemetry serve` in its own process)
 * over loopback at a fixed concurrency. Every delivery is a distinct completed workflow job, so every one
 * must become one record file: lost = deliveries accepted − files written after a clean SIGINT shutdown.
 */
const DELIVERIES = Number(process.env.BENCH_INGEST_DELIVERIES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_INGEST_CONCURRENCY ?? 32);
const SECRET = 'bench-secret';

export async function run(): Promise<Record<string, unknown>> {
  // Signed up front, so the measurement is the collector's, not the client's HMAC work.
  const base = example('workflow_job', 'completed');
  const deliveries = await Promise.all(
    Array.from({ length: DELIVERIES }, (_, i) => {
      const payload = structuredClone(base);
      (payload.workflow_job as { id: number }).id = 10_000_000 + i;
      return signedDelivery('workflow_job', payload, SECRET);
    }),
  );
  const load = await loadLocalCollector({
    name: 'ingest',
    env: { TELEMETRY_WEBHOOK_SECRET: SECRET },
    requests: deliveries,
    concurrency: CONCURRENCY,
    prepare: (delivery) => delivery,
  });
  return {
    deliveries: DELIVERIES,
    concurrency: CONCURRENCY,
    accepted: load.accepted,
    deliveries_per_s: round(DELIVERIES / load.seconds, 0),
    p50_ms: load.p50_ms,
    p99_ms: load.p99_ms,
    records_written: load.records_written,
    lost: load.accepted - load.records_written,
    clean_exit: load.clean_exit,
  };
}
