import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { Agent, type OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDataPath } from '../../src/data/layout';
import { packLines } from '../../src/data/packs';
import { type ServeProcess, serveProcess } from '../../test/support/serve-process';
import { percentile, round } from '../stats';
import { postOnce } from './load';

export interface CrashResult {
  deliveries: number;
  kills: number;
  /** Deliveries answered 202 (each delivery is sent again until it is: GitHub's redelivery, in short). */
  acknowledged: number;
  /** Distinct acknowledged deliveries whose record is in the data directory at the end. */
  stored: number;
  acknowledged_lost: number;
  /** Index entries beyond one per distinct record id (an id stored at two paths). */
  duplicates: number;
  /** Records in packs without an index entry (a write cut between its packs and its entries, never redone). */
  unindexed: number;
  /** Acknowledged deliveries per second of a collector being up (restarts not counted), and over all. */
  deliveries_per_s: number;
  wall_deliveries_per_s: number;
  p50_ms: number;
  p99_ms: number;
  /** Deliveries the restarted collectors replayed from the spool. */
  replayed: number;
  clean_exit: boolean;
}

/**
 * Sends every delivery to `telemetry serve` (a real process) until it is acknowledged, SIGKILLs the
 * collector whenever the count of acknowledgements passes one of `killAt`, restarts it on the same data
 * directory, and at the end stops it with SIGINT (a drain) and reads what the data directory holds.
 * Each delivery must become exactly one record, whose `output.job_id` is the delivery's `jobId`.
 */
export async function crashLoad(options: {
  name: string;
  env: Record<string, string>;
  deliveries: readonly { jobId: string; headers: OutgoingHttpHeaders; body: string }[];
  concurrency: number;
  killAt: readonly number[];
}): Promise<CrashResult> {
  const dataDir = await mkdtemp(join(tmpdir(), `bench-${options.name}-`));
  const env = { PORT: '0', HOST: '127.0.0.1', TELEMETRY_DATA_DIR: dataDir, ...options.env };
  const kills = [...options.killAt].sort((a, b) => a - b);
  let replayed = 0;
  let upSeconds = 0;
  let upSince = performance.now();

  let current: { serve: ServeProcess; agent: Agent } | undefined;
  let ready: Promise<void> = start();
  async function start(): Promise<void> {
    const serve = await serveProcess(env);
    const match = /"message":"listening"[^\n]*"replayed":(\d+)/.exec(serve.stdout());
    replayed += Number(match?.[1] ?? 0);
    current = { serve, agent: new Agent({ keepAlive: true, maxSockets: options.concurrency }) };
    upSince = performance.now();
  }
  async function kill(): Promise<void> {
    const running = current;
    current = undefined;
    if (!running) return;
    upSeconds += (performance.now() - upSince) / 1000;
    const exited = new Promise((resolve) => running.serve.child.once('exit', resolve));
    running.serve.child.kill('SIGKILL');
    await exited;
    running.agent.destroy();
  }

  const acked = new Set<string>();
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.deliveries.length) {
        const delivery = options.deliveries[next++] as (typeof options.deliveries)[number];
        for (;;) {
          await ready;
          const target = current;
          if (!target) continue;
          const t0 = performance.now();
          const status = await postOnce(
            target.serve.url,
            target.agent,
            delivery.headers,
            delivery.body,
          ).catch(() => 0);
          if (status === 202) {
            latencies.push(performance.now() - t0);
            acked.add(delivery.jobId);
            if (kills.length > 0 && acked.size >= (kills[0] as number)) {
              kills.shift();
              ready = kill().then(start);
            }
            break;
          }
          // Refused or cut off by the kill: not acknowledged, so it is sent again (GitHub's redelivery).
          if (current === target) await new Promise((r) => setTimeout(r, 5));
        }
      }
    }),
  );
  await ready;
  upSeconds += (performance.now() - upSince) / 1000;
  const seconds = (performance.now() - started) / 1000;

  const last = current as unknown as { serve: ServeProcess; agent: Agent };
  const exited = new Promise<number | null>((resolve) => last.serve.child.once('exit', resolve));
  last.serve.child.kill('SIGINT');
  const exitCode = await exited;
  last.agent.destroy();

  // The records as a reader sees them (every pack line), and the index entries: one per stored id, so an
  // id indexed twice (at two paths) is a duplicate. A record in two packs (a resend after a kill between
  // the packs and the entries) is one record to every reader, not a duplicate.
  const files = (await readdir(dataDir, { recursive: true })).map((f) => f.split('\\').join('/'));
  const entries = files.filter(
    (f) => f.startsWith('hot/workflow-job/') && parseDataPath(f)?.kind === 'index',
  );
  const ids = new Set<string>();
  const jobs = new Set<string>();
  for (const file of files.filter(
    (f) => f.startsWith('hot/workflow-job/') && parseDataPath(f)?.kind === 'pack',
  )) {
    for (const { text } of packLines(await readFile(join(dataDir, file), 'utf8'))) {
      const record = JSON.parse(text);
      ids.add(record.id);
      jobs.add(String(record.output.job_id));
    }
  }
  const indexed = new Set(entries.map((f) => (f.split('/').pop() as string).slice(0, -'.idx'.length)));
  await rm(dataDir, { recursive: true, force: true });
  const stored = [...acked].filter((id) => jobs.has(id)).length;
  return {
    deliveries: options.deliveries.length,
    kills: options.killAt.length,
    acknowledged: acked.size,
    stored,
    acknowledged_lost: acked.size - stored,
    duplicates: entries.length - indexed.size,
    unindexed: [...ids].filter((id) => !indexed.has(id)).length,
    deliveries_per_s: Math.round(acked.size / upSeconds),
    wall_deliveries_per_s: Math.round(acked.size / seconds),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    replayed,
    clean_exit: exitCode === 0,
  };
}
