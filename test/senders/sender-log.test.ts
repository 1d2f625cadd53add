import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../../src/config/config';
import { silentLogger } from '../../src/log/logger';
import { REFUSED_TRIGGER, type RefusedRequest, refusedEvent, refusedRequest } from '../../src/push/activity';
import { createPushHandler } from '../../src/push/handler';
import { parseSenderSecrets, staticSenderSecrets } from '../../src/push/secrets';
import { appendRefusals, recordSenderActivity, senderLogPath } from '../../src/senders/log';
import { type LocalCollector, startLocalCollector } from '../../src/server/server';
import { FileStore } from '../../src/store/file-store';
import { deployment, pipelineRun, pushHarness, signedPush } from '../push/harness';
import { CLI } from '../support/serve-process';
import { listFiles, tempDir } from '../support/temp';

const run = promisify(execFile);
const SECRET = 'sender-log-secret-51c0de';

/** Signs a request with the collector's real clock (the harness signs at a fixed time). */
function pushNow(kind: string, body: unknown, sender = 'jenkins', secret = SECRET) {
  const timestamp = String(Math.floor(Date.now() / 1000));
  return signedPush(kind, body, { sender, secret, timestamp });
}

const entry = (at: string, n: number, body = 'x'): RefusedRequest =>
  refusedRequest({
    at,
    kind: 'deployment',
    status: 400,
    answer: 'no valid item: see results',
    items: { total: 1, refused: 1 },
    errors: [{ index: 0, errors: [{ path: 'sha', message: `bad ${n}` }] }],
    body: Buffer.from(`${body}${n}`),
  });

describe('the refused-request log is bounded', () => {
  const now = new Date('2026-11-30T12:00:00.000Z');
  const empty = { sender: 'jenkins', updated_at: '', refused_items_by_hour: {}, refused: [] };

  it('keeps the last maxEntries refusals (tested at its limit of 1,000)', () => {
    const entries = Array.from({ length: 1001 }, (_, i) =>
      entry(new Date(now.getTime() - (1001 - i) * 1000).toISOString(), i),
    );
    const atLimit = appendRefusals(empty, entries.slice(0, 1000), { maxEntries: 1000, maxDays: 7 }, now);
    expect(atLimit?.refused).toHaveLength(1000);
    const over = appendRefusals(atLimit as never, entries.slice(1000), { maxEntries: 1000, maxDays: 7 }, now);
    expect(over?.refused).toHaveLength(1000);
    expect(over?.refused[0]?.id).toBe(entries[1]?.id); // the oldest one went
    expect(over?.refused.at(-1)?.id).toBe(entries[1000]?.id);
    // Items refused per hour keep counting every refusal, even those no longer listed.
    expect(Object.values(over?.refused_items_by_hour ?? {}).reduce((a, b) => a + b, 0)).toBe(1001);
  });

  it('keeps none older than maxDays, whichever bound keeps fewer', () => {
    const old = entry('2026-11-22T11:59:59.000Z', 1);
    const recent = entry('2026-11-29T12:00:00.000Z', 2);
    const kept = appendRefusals(empty, [old, recent], { maxEntries: 1000, maxDays: 7 }, now);
    expect(kept?.refused.map((e) => e.id)).toEqual([recent.id]);
    expect(Object.keys(kept?.refused_items_by_hour ?? {})).toEqual(['2026-11-29T12']);
  });

  it('keeps request bodies of the newest refusals only, within the byte budget; a resent event is kept once', () => {
    const big = 'b'.repeat(60_000);
    const entries = Array.from({ length: 12 }, (_, i) =>
      entry(new Date(now.getTime() - (12 - i) * 1000).toISOString(), i, big),
    );
    const kept = appendRefusals(empty, entries, { maxEntries: 1000, maxDays: 7 }, now);
    const withBody = kept?.refused.filter((e) => e.body !== undefined) ?? [];
    expect(withBody.map((e) => e.id)).toEqual(entries.slice(4).map((e) => e.id)); // 8 × 60 KB ≤ 512 KiB
    expect(kept?.refused.every((e) => e.body_sha256.length === 64 && e.body_bytes > 60_000)).toBe(true);
    expect(appendRefusals(kept as never, entries.slice(11), { maxEntries: 1000, maxDays: 7 }, now)).toBe(
      undefined,
    );
  });

  it('recordSenderActivity writes one file per sender under _state/senders/, nothing among the records', async () => {
    const dir = await tempDir();
    try {
      const store = new FileStore(dir.path);
      const events = [
        refusedEvent('jenkins', entry('2026-11-30T11:00:00.000Z', 1)),
        refusedEvent('gitlab', entry('2026-11-30T11:00:01.000Z', 2)),
      ];
      expect(events.every((e) => e.trigger === REFUSED_TRIGGER)).toBe(true);
      await recordSenderActivity(store, events, { maxEntries: 3, maxDays: 7 }, now);
      await recordSenderActivity(store, events, { maxEntries: 3, maxDays: 7 }, now); // a retried batch
      expect(await listFiles(dir.path)).toEqual([
        '_state/senders/gitlab.json',
        '_state/senders/jenkins.json',
      ]);
      const log = JSON.parse((await store.readFile(senderLogPath('jenkins'))) as string);
      expect(log.refused).toHaveLength(1);
    } finally {
      await dir.remove();
    }
  });
});

describe('refusals are logged per sender; unauthenticated requests are only counted', () => {
  it('the push handler sends the worker a refusal for every refused request after authentication', async () => {
    const { send, enqueued, activity } = pushHarness();
    // Bad kind, body not JSON, too many items, no valid item, some valid: five refusals.
    await send(signedPush('deploy', deployment()));
    await send(signedPush('deployment', '{"items": ['));
    await send(signedPush('deployment', { items: Array.from({ length: 501 }, () => deployment()) }));
    await send(signedPush('deployment', { items: [{ id: 'x' }] }));
    await send(signedPush('deployment', { items: [deployment(), { id: 'y' }] }));
    // Unauthenticated: wrong secret, unknown sender, no signature.
    await send(signedPush('deployment', deployment(), { secret: 'wrong' }));
    await send(signedPush('deployment', deployment(), { sender: 'nobody' }));
    const unsigned = signedPush('deployment', deployment());
    delete unsigned.headers['x-telemetry-signature-256'];
    await send(unsigned);

    expect(enqueued.map((e) => e.trigger)).toEqual(['push::deployment']);
    const refused = activity.filter((e) => e.trigger === 'sender::refused');
    expect(refused.map((e) => [e.sender, (e.payload as unknown as RefusedRequest).status])).toEqual([
      ['jenkins', 400],
      ['jenkins', 400],
      ['jenkins', 413],
      ['jenkins', 400],
      ['jenkins', 202],
    ]);
    const partial = refused[4]?.payload as unknown as RefusedRequest;
    expect(partial).toMatchObject({
      kind: 'deployment',
      answer: 'some items refused',
      items: { total: 2, refused: 1 },
      errors: [
        { index: 1, errors: expect.arrayContaining([{ path: 'repository', message: expect.any(String) }]) },
      ],
    });
    const tooMany = refused[2]?.payload as unknown as RefusedRequest | undefined;
    expect(tooMany?.items).toEqual({ total: 501, refused: 501 });
    expect(tooMany?.body).toBeUndefined(); // 501 items: over 64 KiB
    // One count for the three unauthenticated requests (the first flushes at once, the others wait a minute).
    const counts = activity.filter((e) => e.trigger === 'sender::unauthenticated');
    expect(counts.map((e) => e.payload.count)).toEqual([1]);
    expect(counts[0]?.sender).toBeUndefined();
    const text = JSON.stringify(activity);
    for (const secret of ['jenkins-secret', 'wrong', 'sha256=']) expect(text).not.toContain(secret);
  });
});

describe('telemetry senders (installed bin, real process) over what the local collector logged', () => {
  jest.setTimeout(60_000);
  let dir: { path: string; remove: () => Promise<void> };
  let collector: LocalCollector;

  beforeAll(async () => {
    dir = await tempDir();
    collector = await startLocalCollector({
      config: configSchema.parse({
        server: { port: 0, host: '127.0.0.1', dataDir: dir.path },
        senders: { refusedLog: { maxEntries: 3, maxDays: 7 } },
      }),
      webhookSecrets: ['unused'],
      logger: silentLogger,
      push: createPushHandler({
        senderSecrets: staticSenderSecrets(parseSenderSecrets(`jenkins=${SECRET},gitlab=${SECRET}`)),
        logger: silentLogger,
      }),
    });
  });

  afterAll(async () => {
    await collector?.close();
    await dir?.remove();
  });

  const signatures: string[] = [];
  const post = (request: { headers: Record<string, string>; body: Buffer }) => {
    signatures.push((request.headers['x-telemetry-signature-256'] as string).slice('sha256='.length));
    return fetch(collector.url, {
      method: 'POST',
      headers: request.headers,
      body: new Uint8Array(request.body),
    });
  };

  it('shows accepted and refused figures per sender, the log stays at its limit and holds no secret', async () => {
    const now = new Date().toISOString();
    const ok = await post(
      pushNow('pipeline-run', {
        items: [pipelineRun({ queued_at: now, started_at: now, finished_at: now })],
      }),
    );
    expect(ok.status).toBe(202);
    for (let i = 0; i < 5; i += 1) {
      const bad = await post(pushNow('deployment', { items: [deployment({ id: `d-${i}`, sha: 'main' })] }));
      expect(bad.status).toBe(400);
    }
    const mixed = await post(
      pushNow('pipeline-run', {
        items: [pipelineRun({ id: 'ok-2', started_at: now, queued_at: now, finished_at: now }), { id: 'z' }],
      }),
    );
    expect(mixed.status).toBe(202);
    const stranger = await post(pushNow('deployment', deployment(), 'jenkins', 'not-the-secret'));
    expect(stranger.status).toBe(401);
    await collector.queue.drain();

    const log = await readFile(join(dir.path, '_state/senders/jenkins.json'), 'utf8');
    expect(JSON.parse(log).refused).toHaveLength(3); // maxEntries 3: the last three of six refusals
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain('not-the-secret');
    expect(log).not.toMatch(/sha256=|x-telemetry-signature/i);
    expect(signatures).toHaveLength(8);
    for (const signature of signatures) expect(log).not.toContain(signature);
    const records = (await listFiles(dir.path)).filter((f) => !f.startsWith('_'));
    expect(records.every((f) => f.startsWith('hot/pipeline-run/'))).toBe(true);

    const { stdout } = await run(process.execPath, [CLI, 'senders', '--data', dir.path, '--format', 'json'], {
      env: { ...process.env, TELEMETRY_SENDER_SECRETS: `jenkins=${SECRET},circleci=${SECRET}` },
    });
    expect(stdout).not.toContain(SECRET);
    const overview = JSON.parse(stdout);
    expect(overview.unauthenticated).toEqual({ last_24h: 1, last_7d: 1 });
    expect(overview.senders.map((s: { sender: string }) => s.sender)).toEqual(['circleci', 'jenkins']);
    const jenkins = overview.senders[1];
    expect(jenkins).toMatchObject({
      accepted: { last_24h: 2, last_7d: 2 },
      refused: { last_24h: 6, last_7d: 6 },
      last_refused: { kind: 'pipeline-run', status: 202, answer: 'some items refused' },
    });
    expect(jenkins.last_accepted_at).toEqual(expect.any(String));
    // From the three refusals the log still lists: two bad shas, then the mixed request's item.
    expect(jenkins.top_errors[0]).toEqual({
      error: 'sha: must be a commit sha (7 to 64 hexadecimal characters)',
      count: 2,
    });
    expect(overview.senders[0]).toMatchObject({ last_accepted_at: null, last_refused: null });

    const table = await run(process.execPath, [CLI, 'senders', '--data', dir.path], { env: process.env });
    expect(table.stdout).toMatch(/^sender\s+last accepted\s+last refused/);
    expect(table.stdout).toMatch(/jenkins\s+\d{4}-.*\s2\/2\s+6\/6/);
    expect(table.stdout).toContain('unauthenticated requests (counted, never stored): 1 today, 1 in 7 days');

    // The report carries the same figures: JSON `senders`, the table's and the HTML dashboard's "Senders".
    const report = (format: string) =>
      run(process.execPath, [CLI, 'report', '--data', dir.path, '--since', '7d', '--format', format], {
        env: process.env,
      });
    const json = JSON.parse((await report('json')).stdout);
    expect(json.senders).toEqual(overview.senders.filter((s: { sender: string }) => s.sender === 'jenkins'));
    expect((await report('table')).stdout).toMatch(
      /Senders\n=+\nsender .*\n-+.*\njenkins\s+\S+\s+2\/2\s+6\/6/,
    );
    const html = (await report('html')).stdout;
    expect(html).toContain(
      '<section id="senders-section"><h2>Senders</h2><div id="t-senders"></div></section>',
    );
    const data = JSON.parse(
      (
        /<script id="report-data" type="application\/json">([\s\S]*?)<\/script>/.exec(html) as RegExpExecArray
      )[1] as string,
    );
    expect(data.senders[0]).toMatchObject({ sender: 'jenkins', refused: { last_24h: 6 } });
    expect(html).not.toContain(SECRET);
  });
});
