import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, type OutgoingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveProcess } from '../../test/support/serve-process';
import { percentile, round } from '../stats';

export interface LoadResult {
  /** Requests answered with `acceptedStatus`. */
  accepted: number;
  seconds: number;
  p50_ms: number;
  p99_ms: number;
  /** Record files in the data directory after a clean SIGINT shutdown (the queue drained). */
  records_written: number;
  clean_exit: boolean;
}

/**
 * Load through the real local collector: starts `telemetry serve` in its own process on a fresh data
 * directory, posts every request over loopback at a fixed concurrency (keep-alive connections), stops the
 * collector with SIGINT (which drains its queue) and counts the record files it wrote.
 */
export async function loadLocalCollector<T>(options: {
  name: string;
  env: Record<string, string>;
  requests: readonly T[];
  concurrency: number;
  /** Headers and body of one request (called when it is sent: a timestamped signature stays fresh). */
  prepare: (item: T) => { headers: OutgoingHttpHeaders; body: string | Buffer };
  acceptedStatus?: number;
}): Promise<LoadResult> {
  const dataDir = await mkdtemp(join(tmpdir(), `bench-${options.name}-`));
  const { child, url } = await serveProcess({
    PORT: '0',
    HOST: '127.0.0.1',
    TELEMETRY_DATA_DIR: dataDir,
    ...options.env,
  });
  const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
  const post = (item: T) => {
    const { headers, body } = options.prepare(item);
    return postOnce(url, agent, headers, body);
  };

  const latencies: number[] = [];
  let accepted = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.requests.length) {
        const item = options.requests[next++] as T;
        const t0 = performance.now();
        const status = await post(item);
        latencies.push(performance.now() - t0);
        if (status === (options.acceptedStatus ?? 202)) accepted += 1;
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
    accepted,
    seconds,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    records_written: written,
    clean_exit: exitCode === 0,
  };
}

/** One POST over `agent`; resolves with the status once the answer is read, rejects on a connection error. */
export function postOnce(
  url: string,
  agent: Agent,
  headers: OutgoingHttpHeaders,
  body: string | Buffer,
): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
