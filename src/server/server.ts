import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TelemetryConfig } from '../config/config';
import { createGitHubClient } from '../github/client';
import type { RoleAuth } from '../github/credentials';
import { errorMessage, type Logger } from '../log/logger';
import { metrics as allMetrics, collectedTriggers } from '../metrics/registry';
import type { Metric } from '../metrics/types';
import type { SignedEvent } from '../pipeline/types';
import { MemoryQueue } from '../queue/memory-queue';
import { Spool, type SpoolFiles } from '../spool/spool';
import { FileStore } from '../store/file-store';
import type { Store } from '../store/types';
import {
  handleTelemetryRequest,
  isJsonContentType,
  type TelemetryRequest,
  type TelemetryResponse,
} from '../webhook/handle-request';
import { processBatch } from '../worker/process-batch';
import { deadLetterText } from './dead-letter';
import { StoreHealth } from './health';

export interface LocalCollectorOptions {
  config: TelemetryConfig;
  webhookSecrets: readonly string[];
  githubToken?: string;
  /** A token or the GitHub App for reading the source repositories (instead of `githubToken`). */
  githubAuth?: RoleAuth;
  logger: Logger;
  /** Defaults to a FileStore on `config.server.dataDir`. */
  store?: Store;
  metrics?: readonly Metric<unknown>[];
  /** Handles custom pushes (X-Telemetry-Event); see src/push. */
  push?: (
    request: TelemetryRequest,
    enqueue: (events: SignedEvent[]) => Promise<void>,
  ) => Promise<TelemetryResponse>;
  now?: () => Date;
  /** The spool's file system calls (tests inject disk faults here). */
  spoolFiles?: SpoolFiles;
  /** Milliseconds between summary log lines while there is something to say (default 60 s). */
  summaryIntervalMs?: number;
}

export interface LocalCollector {
  server: Server;
  queue: MemoryQueue;
  store: Store;
  /** Undefined when `server.spool` is off. */
  spool: Spool | undefined;
  /** Deliveries replayed from the spool at start-up. */
  replayed: number;
  /** The URL of `POST /telemetry` once listening. */
  url: string;
  /** Why the collector cannot accept deliveries right now, or [] when it can (what /healthz reports). */
  problems(): string[];
  /**
   * Stops accepting, then waits until every accepted event is stored or parked, at most `drainTimeoutMs`
   * (default `server.drainTimeoutSeconds`); what is left stays in the spool. Resolves true when all drained.
   */
  close(drainTimeoutMs?: number): Promise<boolean>;
}

/** Seconds a client is told to wait (Retry-After) when the collector cannot take its request right now. */
const RETRY_AFTER_BUSY_SECONDS = 5;

/**
 * The whole collector in one process, the AWS shape in miniature: HTTP → handleTelemetryRequest → spool
 * (fsync) → in-memory queue → processBatch → store.
 */
export async function startLocalCollector(options: LocalCollectorOptions): Promise<LocalCollector> {
  const { config, logger } = options;
  const settings = config.server;
  const metrics = options.metrics ?? allMetrics;
  const health = new StoreHealth(options.store ?? new FileStore(settings.dataDir), logger);
  const store = health.store;
  const auth = options.githubAuth ?? (options.githubToken ? { token: options.githubToken } : undefined);
  const github = auth ? createGitHubClient({ ...auth, baseUrl: config.github.apiUrl, logger }) : undefined;
  const now = options.now ?? (() => new Date());

  let spool: Spool | undefined;
  let replay: Awaited<ReturnType<typeof Spool.open>>['replay'] = [];
  if (settings.spool) {
    const opened = await Spool.open(join(settings.dataDir, '_spool'), {
      ...(options.spoolFiles ? { files: options.spoolFiles } : {}),
    });
    spool = opened.spool;
    replay = opened.replay;
  }

  const queue = new MemoryQueue({
    logger,
    ...(spool ? { spool } : {}),
    maxBytes: settings.maxQueuedBytes,
    // The FileStore writes a batch's records one after another; four batches at once keep libuv's four
    // file system threads busy, so a backlog (a replay after a crash) drains about as fast as deliveries come.
    concurrency: 4,
    outage: () => health.problem,
    process: (events) =>
      processBatch(events, {
        metrics,
        store,
        // The store's health logs one line per state change; processBatch would log every failed write.
        logger: health.quiet(logger),
        context: { ...(github ? { github } : {}), settings: config.metrics, now },
        senderLog: config.senders.refusedLog,
      }),
    deadLetter: async ({ event, reason, attempts }) => {
      const name = `${event.deliveryId}-${event.trigger.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
      await store.writeFile(
        `_dead-letter/${name}`,
        deadLetterText({ reason, attempts, failed_at: now().toISOString(), event }),
      );
    },
  });
  if (replay.length > 0) {
    logger.info('replaying the spool', { deliveries: replay.length });
    queue.restore(replay);
  }

  const enqueue = (events: SignedEvent[]) => queue.send(events);
  const collected = collectedTriggers(metrics);
  const push = options.push;
  const secrets = [...options.webhookSecrets];
  let unauthenticatedBytes = 0;

  const problems = (): string[] =>
    [spool?.unhealthy, health.problem, queue.deadLetterProblem].filter((p): p is string => p !== undefined);

  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      // How often Node checks the two timeouts above (default 30 s, which would let them run late).
      connectionsCheckingInterval: Math.min(1000, settings.headersTimeoutMs),
    },
    (req, res) => {
      route(req, res).catch((error) => {
        logger.error('request failed', { error: errorMessage(error) });
        if (!res.headersSent) send(res, { status: 500, body: { error: 'internal error' } });
        else res.destroy();
      });
    },
  );

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, methodNotAllowed('GET'));
      const reasons = problems();
      const figures = {
        queued: queue.size,
        queued_bytes: queue.bytes,
        spool_segments: spool?.segmentCount ?? 0,
      };
      if (reasons.length > 0) {
        return send(res, { status: 503, body: { status: 'unhealthy', reasons, ...figures } });
      }
      return send(res, { status: 200, body: { status: 'ok', ...figures } });
    }
    if (path !== '/telemetry')
      return send(res, { status: 404, body: { error: `no route ${path}; POST /telemetry` } });
    if (req.method !== 'POST') return send(res, methodNotAllowed('POST'));

    // Refused before a byte of the body is read: too large by Content-Length, or not JSON.
    const limit = settings.maxBodyBytes;
    const declared = contentLength(req);
    if (declared === 'invalid') {
      return send(res, { status: 400, body: { error: 'invalid Content-Length', outcome: 'rejected' } }, true);
    }
    if (declared !== undefined && declared > limit) {
      return send(res, tooLarge(limit), true);
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      return send(
        res,
        {
          status: 415,
          body: {
            error: 'content type must be application/json (set the webhook content type to application/json)',
            outcome: 'rejected',
          },
        },
        true,
      );
    }
    // Bytes of bodies being read and not yet authenticated are capped across all connections.
    const reserve = declared ?? 0;
    if (unauthenticatedBytes + reserve > settings.maxUnauthenticatedBytes) {
      return send(res, busy('too many request bodies in flight'), true);
    }
    unauthenticatedBytes += reserve;
    let reserved = reserve;
    try {
      const body = await readBody(req, limit, declared, (more) => {
        if (unauthenticatedBytes + more > settings.maxUnauthenticatedBytes) return false;
        unauthenticatedBytes += more;
        reserved += more;
        return true;
      });
      if (body === 'too-large') return send(res, tooLarge(limit), true);
      if (body === 'busy') return send(res, busy('too many request bodies in flight'), true);
      if (body === 'aborted') return;
      const request: TelemetryRequest = { headers: lowerCaseHeaders(req), body };
      const response = await handleTelemetryRequest(request, {
        webhookSecrets: async () => secrets,
        enqueue,
        collected,
        maxBodyBytes: limit,
        logger,
        now,
        ...(auth && 'app' in auth ? { onInstallationChange: () => auth.app.invalidateInstallations() } : {}),
        ...(push ? { push: (r: TelemetryRequest) => push(r, enqueue) } : {}),
      });
      send(res, response);
    } finally {
      unauthenticatedBytes -= reserved;
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;

  // One summary line per interval while something happens or something is wrong, never one per retry.
  let last = '';
  const summary = setInterval(() => {
    const line = {
      queued: queue.size,
      queued_bytes: queue.bytes,
      ...queue.counters,
      problems: problems(),
    };
    const text = JSON.stringify(line);
    if (text === last) return;
    last = text;
    if (line.queued > 0 || line.problems.length > 0 || line.accepted > 0) logger.info('summary', line);
  }, options.summaryIntervalMs ?? 60_000);
  summary.unref();

  return {
    server,
    queue,
    store,
    spool,
    replayed: replay.length,
    url: `http://${displayHost}:${address.port}/telemetry`,
    problems,
    async close(drainTimeoutMs = settings.drainTimeoutSeconds * 1000) {
      clearInterval(summary);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Requests still sending their body were never acknowledged: they do not hold the shutdown up.
      const cut = setTimeout(() => server.closeAllConnections(), Math.min(1000, drainTimeoutMs));
      cut.unref();
      const drained = await queue.drain(drainTimeoutMs);
      await closed;
      clearTimeout(cut);
      await spool?.close();
      return drained;
    },
  };
}

function methodNotAllowed(allow: string): TelemetryResponse & { allow: string } {
  return { status: 405, body: { error: `method not allowed; use ${allow}` }, allow };
}

function tooLarge(limit: number): TelemetryResponse {
  return {
    status: 413,
    body: { error: `body is larger than the limit of ${limit} bytes`, outcome: 'rejected' },
  };
}

function busy(message: string): TelemetryResponse {
  return {
    status: 503,
    body: { error: `${message}; try again shortly`, outcome: 'error' },
    headers: { 'retry-after': String(RETRY_AFTER_BUSY_SECONDS) },
  };
}

function send(
  res: ServerResponse,
  response: TelemetryResponse & { allow?: string },
  closeConnection = false,
): void {
  const text = JSON.stringify(response.body);
  res.statusCode = response.status;
  for (const [name, value] of Object.entries(response.headers ?? {})) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  if (response.allow) res.setHeader('allow', response.allow);
  if (closeConnection) res.setHeader('connection', 'close');
  res.end(text);
}

function lowerCaseHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function contentLength(req: IncomingMessage): number | undefined | 'invalid' {
  const header = req.headers['content-length'];
  if (header === undefined) return undefined;
  if (!/^\d{1,15}$/.test(header)) return 'invalid';
  return Number(header);
}

/**
 * Reads the body, never past `limit`. With a Content-Length the buffer is allocated once at that size (it
 * was checked against the limit and reserved by the caller); a chunked body asks `reserve` for every chunk
 * and stops as soon as the limit or the in-flight cap would be passed. A 413/503 answer carries
 * `Connection: close`, so the rest of the upload is dropped with the connection.
 */
function readBody(
  req: IncomingMessage,
  limit: number,
  declared: number | undefined,
  reserve: (bytes: number) => boolean,
): Promise<Buffer | 'too-large' | 'busy' | 'aborted'> {
  return new Promise((resolve, reject) => {
    const fixed = declared !== undefined ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (answer: 'too-large' | 'busy' | 'aborted') => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.pause();
      chunks.length = 0;
      resolve(answer);
    };
    const onData = (chunk: Buffer) => {
      if (size + chunk.length > limit || (fixed && size + chunk.length > fixed.length))
        return stop('too-large');
      if (fixed) chunk.copy(fixed, size);
      else {
        if (!reserve(chunk.length)) return stop('busy');
        chunks.push(chunk);
      }
      size += chunk.length;
    };
    const onEnd = () => {
      if (fixed) resolve(size === fixed.length ? fixed : fixed.subarray(0, size));
      else resolve(Buffer.concat(chunks, size));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('aborted', () => stop('aborted'));
    req.on('error', (error) => {
      if (req.destroyed) stop('aborted');
      else reject(error);
    });
  });
}
