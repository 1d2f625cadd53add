import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pushHeaders } from '../src/push/signature';
import { serveProcess } from '../test/support/serve-process';
import { example, signedDelivery } from '../test/support/webhooks';
import { round } from './stats';
import { crashLoad } from './support/crash';

/**
 * `crash`: 5,000 signed deliveries (distinct completed workflow jobs) over 16 connections to the real local
 * collector, SIGKILLed at 5 random points and restarted on the same data directory; every delivery is sent
 * until it is acknowledged. Measured twice in the same run: with the spool (durable acknowledgement, the
 * default) and without it (`TELEMETRY_SPOOL=off`, the old in-memory queue). Then the hostile-input figures:
 * signed bodies nested 100,000 levels, and 60 concurrent 24 MB bodies with junk signatures (peak RSS).
 */
const DELIVERIES = Number(process.env.BENCH_CRASH_DELIVERIES ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CRASH_CONCURRENCY ?? 16);
const KILLS = Number(process.env.BENCH_CRASH_KILLS ?? 5);
const SECRET = 'bench-secret';

export async function run(): Promise<Record<string, unknown>> {
  const base = example('workflow_job', 'completed');
  const deliveries = await Promise.all(
    Array.from({ length: DELIVERIES }, async (_, i) => {
      const payload = structuredClone(base);
      const jobId = 20_000_000 + i;
      (payload.workflow_job as { id: number }).id = jobId;
      return { jobId: String(jobId), ...(await signedDelivery('workflow_job', payload, SECRET)) };
    }),
  );
  // The same random kill points for both runs: after that many acknowledgements.
  const killAt = Array.from({ length: KILLS }, () => 1 + Math.floor(Math.random() * (DELIVERIES - 1))).sort(
    (a, b) => a - b,
  );
  const durable = await crashLoad({
    name: 'crash-spool',
    env: { TELEMETRY_WEBHOOK_SECRET: SECRET },
    deliveries,
    concurrency: CONCURRENCY,
    killAt,
  });
  const memory = await crashLoad({
    name: 'crash-memory',
    env: { TELEMETRY_WEBHOOK_SECRET: SECRET, TELEMETRY_SPOOL: 'off' },
    deliveries,
    concurrency: CONCURRENCY,
    killAt,
  });
  return {
    concurrency: CONCURRENCY,
    kill_points: killAt,
    ...durable,
    without_spool: memory,
    hostile: await hostile(),
  };
}

/** Peak resident memory of a process (VmHWM), in MB. */
function peakRssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024, 1);
}

function currentRssMb(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return round(Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024, 1);
}

async function hostile(): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-crash-hostile-'));
  const serve = await serveProcess({
    PORT: '0',
    HOST: '127.0.0.1',
    TELEMETRY_DATA_DIR: dataDir,
    TELEMETRY_WEBHOOK_SECRET: SECRET,
    TELEMETRY_SENDER_SECRETS: `bench=${SECRET}`,
  });
  try {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const webhookBody = `{"action":"completed","workflow_job":${deep}}`;
    const webhook = await signedDelivery('workflow_job', webhookBody, SECRET);
    const pushBody = `{"id":"d1","repository":"octo-org/billing","extra":${deep}}`;
    const timed = async (headers: Record<string, string>, body: string) => {
      const t0 = performance.now();
      const response = await fetch(serve.url, { method: 'POST', headers, body });
      await response.text();
      return { status: response.status, ms: round(performance.now() - t0) };
    };
    const healthz = async () => {
      const t0 = performance.now();
      const response = await fetch(serve.url.replace('/telemetry', '/healthz'));
      await response.text();
      return { status: response.status, ms: round(performance.now() - t0) };
    };
    const [nestedWebhook, duringHealthz] = await Promise.all([
      timed(webhook.headers, webhookBody),
      healthz(),
    ]);
    const nestedPush = await timed(pushHeaders('deployment', 'bench', SECRET, pushBody), pushBody);

    // 60 concurrent 24 MB bodies with junk signatures.
    const rssBefore = currentRssMb(serve.child);
    const junk = Buffer.alloc(24 * 1024 * 1024, 0x20);
    junk[0] = 0x7b;
    junk[junk.length - 1] = 0x7d;
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () =>
        fetch(serve.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'workflow_job',
            'x-github-delivery': 'junk',
            'x-hub-signature-256': `sha256=${'0'.repeat(64)}`,
          },
          body: junk,
        })
          .then(async (r) => {
            await r.text();
            return r.status;
          })
          .catch(() => 0),
      ),
    );
    const count = (status: number) => statuses.filter((s) => s === status).length;
    return {
      nested_100k_webhook: nestedWebhook,
      nested_100k_push: nestedPush,
      healthz_during_nested: duringHealthz,
      junk_24mb_x60: {
        answered_401: count(401),
        answered_503_in_flight_cap: count(503),
        cut_off: count(0),
        rss_before_mb: rssBefore,
        peak_rss_mb: peakRssMb(serve.child),
      },
    };
  } finally {
    const exited = new Promise((resolve) => serve.child.once('exit', resolve));
    serve.child.kill('SIGINT');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}
