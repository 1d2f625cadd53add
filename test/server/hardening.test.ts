import { connect, type Socket } from 'node:net';
import { configSchema } from '../../src/config/config';
import { jsonLogger, silentLogger } from '../../src/log/logger';
import type { MetricRecord } from '../../src/pipeline/types';
import { createPushHandler } from '../../src/push/handler';
import { parseSenderSecrets, staticSenderSecrets } from '../../src/push/secrets';
import { pushHeaders } from '../../src/push/signature';
import {
  type LocalCollector,
  type LocalCollectorOptions,
  startLocalCollector,
} from '../../src/server/server';
import { nodeSpoolFiles, type SpoolFiles } from '../../src/spool/spool';
import { FileStore } from '../../src/store/file-store';
import type { Store } from '../../src/store/types';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';

const SECRET = 'hardening-secret';
const PUSH_SECRET = 'jenkins-secret';

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A raw HTTP/1.1 exchange: what the socket receives until the server closes it (or `untilMs`). */
function rawSocket(url: string): { socket: Socket; received: () => string; closed: Promise<void> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, received: () => text, closed };
}

function head(path: string, headers: Record<string, string | number>): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `POST ${path} HTTP/1.1\r\nhost: localhost\r\n${lines.join('\r\n')}\r\n\r\n`;
}

describe('local collector under hostile input and failing disks', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let collector: LocalCollector | undefined;

  async function start(
    server: Record<string, unknown> = {},
    extra: Partial<LocalCollectorOptions> = {},
  ): Promise<LocalCollector> {
    collector = await startLocalCollector({
      config: configSchema.parse({
        server: { port: 0, host: '127.0.0.1', dataDir: dir.path, maxBodyBytes: 65_536, ...server },
      }),
      webhookSecrets: [SECRET],
      logger: silentLogger,
      push: createPushHandler({
        senderSecrets: staticSenderSecrets(parseSenderSecrets(`jenkins=${PUSH_SECRET}`)),
        logger: silentLogger,
      }),
      ...extra,
    });
    return collector;
  }

  async function post(headers: Record<string, string>, body: string | Buffer) {
    const response = await fetch((collector as LocalCollector).url, { method: 'POST', headers, body });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  async function health() {
    const response = await fetch((collector as LocalCollector).url.replace('/telemetry', '/healthz'));
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  beforeEach(async () => {
    dir = await tempDir();
  });
  afterEach(async () => {
    await collector?.close(1000);
    collector = undefined;
    await dir.remove();
  });

  describe('nesting', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

    it('answers a signed webhook nested 100,000 levels 400 at the door, and stays responsive', async () => {
      await start({ maxBodyBytes: 1_000_000 });
      const body = `{"action":"completed","workflow_job":${deep(100_000)}}`;
      const delivery = await signedDelivery('workflow_job', body, SECRET);
      const [answer, healthz] = await Promise.all([post(delivery.headers, body), health()]);
      expect(answer).toMatchObject({ status: 400, body: { error: 'body nests deeper than 64 levels' } });
      expect(healthz.status).toBe(200);
      expect(collector?.queue.size).toBe(0);
      expect(await listFiles(dir.path)).toEqual([]);
    });

    it('answers a signed push nested 100,000 levels 400 (the reserved-key walk never sees it)', async () => {
      await start({ maxBodyBytes: 1_000_000 });
      const body = `{"id":"d1","repository":"octo-org/billing","extra":${deep(100_000)}}`;
      const answer = await post(pushHeaders('deployment', 'jenkins', PUSH_SECRET, body), body);
      expect(answer).toMatchObject({ status: 400, body: { error: 'body nests deeper than 64 levels' } });
    });

    it('brackets inside strings do not count, and 64 levels are fine', async () => {
      await start();
      const item = {
        id: 'deep-ok',
        repository: 'octo-org/billing',
        environment: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
        sha: 'a'.repeat(40),
        status: 'success',
        finished_at: '2026-11-01T11:58:42Z',
        extra: JSON.parse(deep(62)),
      };
      const body = JSON.stringify(item);
      const answer = await post(pushHeaders('deployment', 'jenkins', PUSH_SECRET, body), body);
      expect(answer.status).toBe(202);
    });
  });

  describe('body reading', () => {
    it('refuses by Content-Length before reading a byte of the body (413), and a non-JSON type (415)', async () => {
      await start();
      const url = (collector as LocalCollector).url;
      const big = rawSocket(url);
      big.socket.write(
        head('/telemetry', { 'content-type': 'application/json', 'content-length': 10_000_000 }),
      );
      await big.closed;
      expect(big.received()).toMatch(/^HTTP\/1\.1 413 /);
      const text = rawSocket(url);
      text.socket.write(head('/telemetry', { 'content-type': 'text/plain', 'content-length': 1000 }));
      await text.closed;
      expect(text.received()).toMatch(/^HTTP\/1\.1 415 /);
    });

    it('caps bytes in flight from requests not yet authenticated: beyond it, 503 with Retry-After', async () => {
      await start({ maxUnauthenticatedBytes: 50_000 });
      const url = (collector as LocalCollector).url;
      const first = rawSocket(url);
      first.socket.write(
        head('/telemetry', { 'content-type': 'application/json', 'content-length': 40_000 }),
      );
      first.socket.write('{"a":"');
      await new Promise((r) => setTimeout(r, 50));
      const refused = await post(
        { 'content-type': 'application/json' },
        JSON.stringify({ b: 'x'.repeat(20_000) }),
      );
      expect(refused).toMatchObject({ status: 503, retryAfter: '5' });
      first.socket.end(`${'x'.repeat(40_000 - 8)}"}`);
      await first.closed.catch(() => undefined);
      await waitFor(async () => (first.received().includes('401') ? true : undefined));
      // Released once the first request was answered.
      expect((await post({ 'content-type': 'application/json' }, '{"b":1}')).status).toBe(401);
    });

    it('a slow client (1 byte at a time) is answered 408 and cut off after requestTimeout, and does not hold up close()', async () => {
      await start({ requestTimeoutMs: 300, headersTimeoutMs: 200 });
      const slow = rawSocket((collector as LocalCollector).url);
      slow.socket.write(head('/telemetry', { 'content-type': 'application/json', 'content-length': 100 }));
      const drip = setInterval(() => slow.socket.write('{'), 50);
      await slow.closed;
      clearInterval(drip);
      expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);

      const another = rawSocket((collector as LocalCollector).url);
      another.socket.write(head('/telemetry', { 'content-type': 'application/json', 'content-length': 100 }));
      await new Promise((r) => setTimeout(r, 20));
      expect(await (collector as LocalCollector).close(5000)).toBe(true);
      await another.closed;
      collector = undefined;
    });

    it('header values are truncated in log lines', async () => {
      const lines: string[] = [];
      await start({}, { logger: jsonLogger({ write: (line) => lines.push(line) }) });
      await post(
        {
          'content-type': 'application/json',
          'x-github-delivery': 'd'.repeat(8000),
          'x-github-event': 'e'.repeat(8000),
        },
        '{}',
      );
      const delivery = lines.map((l) => JSON.parse(l)).find((l) => l.message === 'delivery');
      expect(delivery.delivery_id).toBe(`${'d'.repeat(128)}…`);
      expect(delivery.event).toBe(`${'e'.repeat(128)}…`);
      expect(Math.max(...lines.map((l) => l.length))).toBeLessThan(1000);
    });
  });

  describe('failing disks', () => {
    it('spool unwritable (disk full): 503 with Retry-After, /healthz unhealthy with the reason; both recover', async () => {
      let full = false;
      const spoolFiles: SpoolFiles = {
        ...nodeSpoolFiles,
        async openSegment(path, size) {
          const handle = await nodeSpoolFiles.openSegment(path, size);
          return {
            ...handle,
            async write(data) {
              if (full)
                throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
              await handle.write(data);
            },
          };
        },
      };
      await start({}, { spoolFiles });
      full = true;
      const refused = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect(await post(refused.headers, refused.body)).toMatchObject({ status: 503, retryAfter: '30' });
      expect(await health()).toMatchObject({
        status: 503,
        body: {
          status: 'unhealthy',
          reasons: ['spool cannot write: ENOSPC: no space left on device, write'],
        },
      });
      full = false;
      const accepted = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect((await post(accepted.headers, accepted.body)).status).toBe(202);
      expect(await health()).toMatchObject({ status: 200, body: { status: 'ok' } });
    });

    it('store unwritable: the accepted delivery waits (no dead letter), new ones get 503 + Retry-After, then all is stored', async () => {
      const files = new FileStore(dir.path);
      let failing = true;
      const store: Store = {
        write: async (records: readonly MetricRecord[]) => {
          if (failing) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
          return files.write(records);
        },
        readFile: (path) => files.readFile(path),
        writeFile: async (path, content) => {
          if (failing) throw Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
          return files.writeFile(path, content);
        },
      };
      const lines: { level: string; message: string }[] = [];
      const logger = jsonLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line)) });
      await start({}, { store, logger });
      const first = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect((await post(first.headers, first.body)).status).toBe(202);
      const reasons = await waitFor(async () => {
        const h = await health();
        return h.status === 503 ? h.body.reasons : undefined;
      });
      expect(reasons).toEqual(['store cannot write: EROFS: read-only file system']);
      const second = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect(await post(second.headers, second.body)).toMatchObject({ status: 503, retryAfter: '30' });
      // Retried meanwhile, logged once: a line per state change, not one per retry.
      await waitFor(async () =>
        (collector as LocalCollector).queue.counters.retried >= 2 ? true : undefined,
      );
      failing = false;
      await (collector as LocalCollector).queue.drain();
      const errors = lines.filter((l) => l.level === 'error' || l.level === 'warn').map((l) => l.message);
      expect(errors.filter((m) => m !== 'enqueue failed')).toEqual(['store unhealthy']);
      expect(lines.filter((l) => l.message === 'store healthy again')).toHaveLength(1);
      const stored = await listFiles(dir.path);
      expect(stored.filter((f) => f.startsWith('hot/workflow-job/') && f.endsWith('.idx'))).toHaveLength(1);
      expect(await storedRecords(dir.path, 'hot/workflow-job/')).toHaveLength(1);
      expect(stored.filter((f) => f.startsWith('_dead-letter/'))).toEqual([]);
      expect((await health()).status).toBe(200);
    });

    it('queue full: 503 with Retry-After', async () => {
      await start({ maxQueuedBytes: 1000 });
      const delivery = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect(await post(delivery.headers, delivery.body)).toMatchObject({
        status: 503,
        retryAfter: '10',
        body: { outcome: 'error' },
      });
    });

    it('a write failure that is not the medium (a poison event) is dead-lettered as usual and stops nothing', async () => {
      const files = new FileStore(dir.path);
      const store: Store = {
        write: async () => {
          throw new Error('the store refuses this record');
        },
        readFile: (path) => files.readFile(path),
        writeFile: (path, content) => files.writeFile(path, content),
      };
      await start({}, { store });
      const poison = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect((await post(poison.headers, poison.body)).status).toBe(202);
      await (collector as LocalCollector).queue.drain();
      expect((await listFiles(dir.path)).filter((f) => f.startsWith('_dead-letter/'))).toHaveLength(1);
      expect((await health()).status).toBe(200);
      const next = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect((await post(next.headers, next.body)).status).toBe(202);
    });

    it('SIGTERM-style close with a store that hangs returns within the drain time; the spool replays the rest', async () => {
      const never: Store = {
        write: () => new Promise(() => {}),
        readFile: async () => undefined,
        writeFile: () => new Promise(() => {}),
      };
      await start({}, { store: never });
      const delivery = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      expect((await post(delivery.headers, delivery.body)).status).toBe(202);
      expect(await (collector as LocalCollector).close(200)).toBe(false);
      collector = undefined;
      const restarted = await start();
      expect(restarted.replayed).toBe(1);
      await restarted.queue.drain();
      expect(
        (await listFiles(dir.path)).filter((f) => f.startsWith('hot/workflow-job/') && f.endsWith('.idx')),
      ).toHaveLength(1);
      expect(await storedRecords(dir.path, 'hot/workflow-job/')).toHaveLength(1);
    });
  });

  describe('smaller defects', () => {
    const job = () =>
      structuredClone(example('workflow_job', 'completed')) as { workflow_job: Record<string, unknown> };
    const storedJobs = async (): Promise<MetricRecord[]> => {
      await (collector as LocalCollector).queue.drain();
      return storedRecords(dir.path, 'hot/workflow-job/');
    };

    it('a job id above 2^53 sent as a JSON number is stored exactly, not rounded or dead-lettered', async () => {
      await start();
      const payload = job();
      payload.workflow_job.id = 'BIG-ID';
      const body = JSON.stringify(payload).replace('"BIG-ID"', '12345678901234567891');
      const delivery = await signedDelivery('workflow_job', body, SECRET);
      expect((await post(delivery.headers, body)).status).toBe(202);
      const [record, ...more] = await storedJobs();
      expect(more).toEqual([]);
      expect(record?.output.job_id).toBe('12345678901234567891');
      expect((await listFiles(dir.path)).filter((f) => f.startsWith('_dead-letter/'))).toEqual([]);
    });

    it('a step conclusion named toString or __proto__ is counted like any other', async () => {
      await start();
      const payload = job();
      const steps = payload.workflow_job.steps as Record<string, unknown>[];
      payload.workflow_job.steps = [
        { ...steps[0], number: 1, conclusion: 'toString' },
        { ...steps[0], number: 2, conclusion: '__proto__' },
        { ...steps[0], number: 3, conclusion: 'success' },
      ];
      const delivery = await signedDelivery('workflow_job', payload, SECRET);
      expect((await post(delivery.headers, delivery.body)).status).toBe(202);
      const [record] = await storedJobs();
      expect(JSON.parse(JSON.stringify(record?.output.steps))).toMatchObject({
        count: 3,
        by_conclusion: { toString: 1, ['__proto__']: 1, success: 1 },
      });
    });

    it('dates such as "1" or 2021-02-30 are refused, never filed under 2001 or March', async () => {
      await start();
      for (const [index, bad] of ['1', '2021-02-30T10:00:00Z'].entries()) {
        const payload = job();
        payload.workflow_job.id = 900 + index;
        payload.workflow_job.completed_at = bad;
        const delivery = await signedDelivery('workflow_job', payload, SECRET);
        expect((await post(delivery.headers, delivery.body)).status).toBe(202);
      }
      expect(await storedJobs()).toEqual([]);
      expect((await listFiles(dir.path)).filter((f) => f.startsWith('_dead-letter/'))).toHaveLength(2);
      const body = JSON.stringify({
        id: 'INC-1',
        repository: 'octo-org/billing',
        opened_at: '2021-02-30T10:00:00Z',
      });
      const pushed = await post(pushHeaders('incident', 'jenkins', PUSH_SECRET, body), body);
      expect(pushed.status).toBe(400);
    });
  });
});
