import { request as httpRequest } from 'node:http';
import { loadConfig } from '../../src/config/config';
import { parseDataPath } from '../../src/data/layout';
import { silentLogger } from '../../src/log/logger';
import { recordPath } from '../../src/pipeline/record';
import type { MetricRecord } from '../../src/pipeline/types';
import { type LocalCollector, startLocalCollector } from '../../src/server/server';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';

const SECRET = 'current-secret';
const OLD_SECRET = 'retired-secret';

async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 1000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('local collector: HTTP contract of POST /telemetry', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let collector: LocalCollector;
  /** The index entries of the data directory: one per stored record id. */
  const records = async () => (await listFiles(dir.path)).filter((f) => parseDataPath(f)?.kind === 'index');

  async function post(
    headers: Record<string, string>,
    body: string | Buffer,
    path = '/telemetry',
    method = 'POST',
  ) {
    const response = await fetch(collector.url.replace('/telemetry', path), {
      method,
      headers,
      body: method === 'GET' ? undefined : body,
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
      headers: response.headers,
    };
  }

  beforeEach(async () => {
    dir = await tempDir();
    const config = loadConfig({
      env: { PORT: '0', HOST: '127.0.0.1', TELEMETRY_DATA_DIR: dir.path, TELEMETRY_MAX_BODY_BYTES: '65536' },
    });
    collector = await startLocalCollector({ config, webhookSecrets: [SECRET], logger: silentLogger });
  });
  afterEach(async () => {
    await collector.close();
    await dir.remove();
  });

  it.each([
    ['workflow_job', example('workflow_job', 'completed'), 'hot/workflow-job/'],
    ['check_suite', example('check_suite', 'completed'), 'hot/check-suite/'],
    ['create', { ...example('create'), ref: 'v3.1.4' }, 'hot/release-versions/'],
  ])(
    'answers a real signed %s delivery 202 and stores its record within a second',
    async (event, payload, folder) => {
      const delivery = await signedDelivery(event, payload, SECRET);
      const response = await post(delivery.headers, delivery.body);
      expect(response.status).toBe(202);
      expect(response.body).toMatchObject({
        outcome: 'queued',
        delivery_id: delivery.headers['x-github-delivery'],
      });
      const files = await waitFor(async () => {
        const list = await records();
        return list.length > 0 ? list : undefined;
      });
      expect(files).toHaveLength(1);
      expect(files[0]?.startsWith(folder)).toBe(true);
      const stored = await storedRecords(dir.path);
      expect(stored).toHaveLength(1);
      expect(files[0]).toBe(recordPath(stored[0] as MetricRecord));
      expect(stored[0]?.delivery_id).toBe(delivery.headers['x-github-delivery']);
    },
  );

  it('accepts application/json with parameters (charset)', async () => {
    const delivery = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
    const headers = { ...delivery.headers, 'content-type': 'application/json; charset=utf-8' };
    expect((await post(headers, delivery.body)).status).toBe(202);
  });

  it('stores a delivery sent twice once', async () => {
    const delivery = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
    expect((await post(delivery.headers, delivery.body)).status).toBe(202);
    expect((await post(delivery.headers, delivery.body)).status).toBe(202);
    await collector.queue.drain();
    expect(await records()).toHaveLength(1);
    // One pack and one index entry: the second delivery wrote no file.
    expect((await listFiles(dir.path)).filter((f) => !f.startsWith('_'))).toHaveLength(2);
    expect(await storedRecords(dir.path)).toHaveLength(1);
  });

  it('stores all of 200 distinct deliveries sent at once', async () => {
    const base = example('workflow_job', 'completed');
    const deliveries = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const payload = structuredClone(base);
        (payload.workflow_job as { id: number }).id = 1_000_000 + i;
        return signedDelivery('workflow_job', payload, SECRET);
      }),
    );
    const statuses = await Promise.all(deliveries.map((d) => post(d.headers, d.body).then((r) => r.status)));
    expect(statuses.every((s) => s === 202)).toBe(true);
    await waitFor(async () => ((await records()).length === 200 ? true : undefined), 5000);
    expect(
      new Set((await storedRecords(dir.path)).map((r) => (r.output as { job_id: unknown }).job_id)).size,
    ).toBe(200);
  });

  it('answers ping 200 and an event it does not collect 202 "ignored", storing nothing', async () => {
    const ping = await signedDelivery('ping', example('ping'), SECRET);
    expect(await post(ping.headers, ping.body)).toMatchObject({
      status: 200,
      body: { outcome: 'ignored', message: 'pong' },
    });
    const opened = await signedDelivery('pull_request', example('pull_request', 'opened'), SECRET);
    const response = await post(opened.headers, opened.body);
    expect(response.status).toBe(202);
    expect(response.body.outcome).toBe('ignored');
    await collector.queue.drain();
    expect(await records()).toEqual([]);
  });

  describe('refuses, storing nothing', () => {
    afterEach(async () => {
      await collector.queue.drain();
      expect(await listFiles(dir.path)).toEqual([]);
    });

    it('401 for a missing, invalid, wrong-length or wrong-algorithm signature, and for a retired secret', async () => {
      const delivery = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      const signature = delivery.headers['x-hub-signature-256'] as string;
      const { 'x-hub-signature-256': _, ...unsigned } = delivery.headers;
      const variants = [
        '',
        'sha256=',
        signature.slice(0, -1),
        `${signature}0`,
        signature.replace('sha256=', 'sha1='),
        `sha256=${'0'.repeat(64)}`,
      ];
      expect((await post(unsigned, delivery.body)).body).toEqual({
        error: 'missing X-Hub-Signature-256 header',
        outcome: 'rejected',
      });
      for (const value of variants) {
        const response = await post({ ...delivery.headers, 'x-hub-signature-256': value }, delivery.body);
        expect(response.status).toBe(401);
      }
      const retired = await signedDelivery('workflow_job', example('workflow_job', 'completed'), OLD_SECRET);
      expect(await post(retired.headers, retired.body)).toMatchObject({
        status: 401,
        body: { error: 'invalid signature' },
      });
      // A body changed after signing: not parsed, not stored.
      expect((await post(delivery.headers, delivery.body.replace('completed', 'completeD'))).status).toBe(
        401,
      );
    });

    it('400 for a signed body that is not JSON or not an object, and for missing GitHub headers', async () => {
      for (const [body, message] of [
        ['{"action": "completed"', 'body is not valid JSON'],
        ['["an", "array"]', 'body must be a JSON object'],
      ]) {
        const delivery = await signedDelivery('workflow_job', body, SECRET);
        expect(await post(delivery.headers, delivery.body)).toMatchObject({
          status: 400,
          body: { error: message },
        });
      }
      const delivery = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      const { 'x-github-event': _e, ...noEvent } = delivery.headers;
      const { 'x-github-delivery': _d, ...noDelivery } = delivery.headers;
      expect(await post(noEvent, delivery.body)).toMatchObject({
        status: 400,
        body: { error: 'missing X-GitHub-Event header' },
      });
      expect(await post(noDelivery, delivery.body)).toMatchObject({
        status: 400,
        body: { error: 'missing X-GitHub-Delivery header' },
      });
    });

    it('415 for a content type other than JSON (e.g. a webhook set to form encoding)', async () => {
      const delivery = await signedDelivery('workflow_job', example('workflow_job', 'completed'), SECRET);
      for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
        expect((await post({ ...delivery.headers, 'content-type': type }, delivery.body)).status).toBe(415);
      }
    });

    it('413 for a body over the limit, declared or streamed, without reading it all', async () => {
      const big = Buffer.alloc(70_000, 'a');
      const delivery = await signedDelivery('workflow_job', big.toString(), SECRET);
      expect((await post(delivery.headers, delivery.body)).status).toBe(413);
      // Chunked (no Content-Length): stops at the limit and answers 413.
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          collector.url,
          { method: 'POST', headers: { ...delivery.headers, 'transfer-encoding': 'chunked' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        for (let i = 0; i < 5; i++) req.write(big);
        req.end();
      });
      expect(status).toBe(413);
    });

    it('404 for other paths and 405 (with Allow) for other methods; /healthz answers', async () => {
      expect((await post({}, '', '/other')).status).toBe(404);
      const get = await post({}, '', '/telemetry', 'GET');
      expect(get.status).toBe(405);
      expect(get.headers.get('allow')).toBe('POST');
      expect(await post({}, '', '/healthz', 'GET')).toMatchObject({ status: 200, body: { status: 'ok' } });
    });

    it('survives malformed requests', async () => {
      for (const body of ['', '\u0000\u0001', '{'.repeat(10_000)]) {
        const response = await post(
          { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=zz' },
          body,
        );
        expect(response.status).toBe(401);
      }
      expect((await post({}, '', '/healthz', 'GET')).status).toBe(200);
    });
  });

  it('close() waits until every accepted event is stored', async () => {
    const base = example('workflow_job', 'completed');
    const deliveries = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const payload = structuredClone(base);
        (payload.workflow_job as { id: number }).id = 2_000_000 + i;
        return signedDelivery('workflow_job', payload, SECRET);
      }),
    );
    await Promise.all(deliveries.map((d) => post(d.headers, d.body)));
    await collector.close();
    expect(await records()).toHaveLength(50);
  });
});
