import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/log/logger';
import { createPushHandler } from '../src/push/handler';
import { pushHeaders } from '../src/push/signature';
import { percentile, round } from './stats';

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

  const dataDir = await mkdtemp(join(tmpdir(), 'bench-push-'));
  const cli = join(__dirname, '..', 'bin', 'telemetry-cli.cjs');
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: dataDir,
      TELEMETRY_WEBHOOK_SECRET: 'unused',
      TELEMETRY_SENDER_SECRETS: `bench=${SECRET}`,
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

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const post = (body: Buffer) =>
    new Promise<number>((resolve, reject) => {
      // Signed when sent, as a sender does (the timestamp must be fresh).
      const headers = pushHeaders('deployment', 'bench', SECRET, body);
      const req = request(url, { method: 'POST', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
  const latencies: number[] = [];
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as Buffer;
        const t0 = performance.now();
        const status = await post(body);
        latencies.push(performance.now() - t0);
        if (status === 202) accepted += ITEMS;
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
    requests: REQUESTS,
    items_per_request: ITEMS,
    body_kb: round(bodies[0]!.length / 1024, 0),
    concurrency: CONCURRENCY,
    handler_items_per_s: round(enqueued / handlerSeconds, 0),
    handler_ms_per_request: round((handlerSeconds * 1000) / REQUESTS),
    http_items_accepted_per_s: round(accepted / seconds, 0),
    p50_request_ms: round(percentile(latencies, 50)),
    p99_request_ms: round(percentile(latencies, 99)),
    items_accepted: accepted,
    records_written: written,
    lost: accepted - written,
    clean_exit: exitCode === 0,
  };
}
