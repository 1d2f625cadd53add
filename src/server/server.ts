import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TelemetryConfig } from '../config/config';
import { createGitHubClient } from '../github/client';
import type { RoleAuth } from '../github/credentials';
import { errorMessage, type Logger } from '../log/logger';
import { metrics as allMetrics, collectedTriggers } from '../metrics/registry';
import type { Metric } from '../metrics/types';
import type { SignedEvent } from '../pipeline/types';
import { MemoryQueue } from '../queue/memory-queue';
import { FileStore } from '../store/file-store';
import type { Store } from '../store/types';
import {
  handleTelemetryRequest,
  type TelemetryRequest,
  type TelemetryResponse,
} from '../webhook/handle-request';
import { processBatch } from '../worker/process-batch';

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
}

export interface LocalCollector {
  server: Server;
  queue: MemoryQueue;
  store: Store;
  /** The URL of `POST /telemetry` once listening. */
  url: string;
  /** Stops accepting, then waits until every accepted event is stored or parked. */
  close(): Promise<void>;
}

/**
 * The whole collector in one process, the AWS shape in miniature: HTTP → handleTelemetryRequest →
 * in-memory queue → processBatch → store.
 */
export async function startLocalCollector(options: LocalCollectorOptions): Promise<LocalCollector> {
  const { config, logger } = options;
  const metrics = options.metrics ?? allMetrics;
  const store = options.store ?? new FileStore(config.server.dataDir);
  const auth = options.githubAuth ?? (options.githubToken ? { token: options.githubToken } : undefined);
  const github = auth ? createGitHubClient({ ...auth, baseUrl: config.github.apiUrl, logger }) : undefined;
  const now = options.now ?? (() => new Date());

  const queue = new MemoryQueue({
    logger,
    process: (events) =>
      processBatch(events, {
        metrics,
        store,
        logger,
        context: { ...(github ? { github } : {}), settings: config.metrics, now },
      }),
    deadLetter: async ({ event, reason, attempts }) => {
      const name = `${event.deliveryId}-${event.trigger.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
      const letter = { reason, attempts, failed_at: now().toISOString(), event };
      await store.writeFile(`_dead-letter/${name}`, `${JSON.stringify(letter, null, 2)}\n`);
    },
  });
  const enqueue = (events: SignedEvent[]) => queue.send(events);
  const collected = collectedTriggers(metrics);
  const push = options.push;
  const secrets = [...options.webhookSecrets];

  const server = createServer((req, res) => {
    route(req, res).catch((error) => {
      logger.error('request failed', { error: errorMessage(error) });
      if (!res.headersSent) send(res, { status: 500, body: { error: 'internal error' } });
      else res.destroy();
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, methodNotAllowed('GET'));
      return send(res, { status: 200, body: { status: 'ok', queued: queue.size } });
    }
    if (path !== '/telemetry')
      return send(res, { status: 404, body: { error: `no route ${path}; POST /telemetry` } });
    if (req.method !== 'POST') return send(res, methodNotAllowed('POST'));

    const body = await readBody(req, config.server.maxBodyBytes);
    if (body === 'too-large') {
      send(
        res,
        {
          status: 413,
          body: { error: `body is larger than the limit of ${config.server.maxBodyBytes} bytes` },
        },
        true,
      );
      return;
    }
    const request: TelemetryRequest = { headers: lowerCaseHeaders(req), body };
    const response = await handleTelemetryRequest(request, {
      webhookSecrets: async () => secrets,
      enqueue,
      collected,
      maxBodyBytes: config.server.maxBodyBytes,
      logger,
      now,
      ...(auth && 'app' in auth ? { onInstallationChange: () => auth.app.invalidateInstallations() } : {}),
      ...(push ? { push: (r: TelemetryRequest) => push(r, enqueue) } : {}),
    });
    send(res, response);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const displayHost = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;

  return {
    server,
    queue,
    store,
    url: `http://${displayHost}:${address.port}/telemetry`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await queue.drain();
    },
  };
}

function methodNotAllowed(allow: string): TelemetryResponse & { allow: string } {
  return { status: 405, body: { error: `method not allowed; use ${allow}` }, allow };
}

function send(
  res: ServerResponse,
  response: TelemetryResponse & { allow?: string },
  closeConnection = false,
): void {
  const text = JSON.stringify(response.body);
  res.statusCode = response.status;
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

/**
 * Reads the body up to `limit` bytes. Refuses early on a declared Content-Length above the limit, and stops
 * buffering as soon as a chunked body passes it: a 413 never costs the whole upload in memory (the answer
 * carries `Connection: close`, so the rest of the upload is dropped with the connection).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve('too-large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.pause();
        chunks.length = 0;
        resolve('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => resolve(Buffer.concat(chunks, size));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', reject);
  });
}
