import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { example, signedDelivery } from '../test/support/webhooks';
import { percentile, round } from './stats';

/**
 * `ingest`: 10,000 signed deliveries through the real local collector (`telemetry serve` in its own process)
 * over loopback at a fixed concurrency. Every delivery is a distinct completed workflow job, so every one
 * must become one record file: lost = deliveries accepted − files written after a clean SIGINT shutdown.
 */
const DELIVERIES = Number(process.env.BENCH_INGEST_DELIVERIES ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_INGEST_CONCURRENCY ?? 32);
const SECRET = 'bench-secret';

export async function run(): Promise<Record<string, unknown>> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-ingest-'));
  const cli = join(__dirname, '..', 'bin', 'telemetry-cli.cjs');
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: dataDir,
      TELEMETRY_WEBHOOK_SECRET: SECRET,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /"message":"listening","url":"([^"]+)"/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`serve exited early (${code})`)));
  });
  child.stdout.resume();

  // Signed up front, so the measurement is the collector's, not the client's HMAC work.
  const base = example('workflow_job', 'completed');
  const deliveries = await Promise.all(
    Array.from({ length: DELIVERIES }, (_, i) => {
      const payload = structuredClone(base);
      (payload.workflow_job as { id: number }).id = 10_000_000 + i;
      return signedDelivery('workflow_job', payload, SECRET);
    }),
  );

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (delivery: (typeof deliveries)[number]) =>
    new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: delivery.headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(delivery.body);
    });
  const latencies: number[] = [];
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++] as (typeof deliveries)[number];
        const t0 = performance.now();
        const status = await post(delivery);
        latencies.push(performance.now() - t0);
        if (status === 202) accepted += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;

  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  child.kill('SIGINT');
  const exitCode = await exited;
  const written = (await readdir(dataDir, { recursive: true })).filter(
    (f) => f.endsWith('.json') && !f.startsWith('_'),
  ).length;
  await rm(dataDir, { recursive: true, force: true });
  agent.destroy();

  return {
    deliveries: DELIVERIES,
    concurrency: CONCURRENCY,
    accepted,
    deliveries_per_s: round(DELIVERIES / seconds, 0),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    records_written: written,
    lost: accepted - written,
    clean_exit: exitCode === 0,
  };
}
