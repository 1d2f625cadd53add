import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configSchema } from '../../src/config/config';
import { packLines } from '../../src/data/packs';
import { silentLogger } from '../../src/log/logger';
import type { MetricRecord } from '../../src/pipeline/types';
import { createPushHandler } from '../../src/push/handler';
import { parseSenderSecrets, staticSenderSecrets } from '../../src/push/secrets';
import { type LocalCollector, startLocalCollector } from '../../src/server/server';
import { CLI } from '../support/serve-process';
import { listFiles, tempDir } from '../support/temp';
import { deployment, incident, pipelineRun, pushHarness, signedPush } from './harness';

const run = promisify(execFile);
const SECRETS = { jenkins: 'retract-jenkins-4b1d', gitlab: 'retract-gitlab-9e77' };

describe('X-Telemetry-Event: retract (the handler)', () => {
  it('answers per id, refuses a bad body as a whole, and queues one event per valid id', async () => {
    const { send, enqueued, activity } = pushHarness();
    const answer = await send(
      signedPush('retract', { kind: 'deployment', ids: ['deploy-4711', '', 'x'.repeat(201)] }),
    );
    expect(answer.status).toBe(202);
    expect(answer.body).toEqual({
      outcome: 'queued',
      results: [
        { index: 0, id: 'deploy-4711' },
        { index: 1, errors: [{ path: '', message: 'must not be empty' }] },
        { index: 2, errors: [{ path: '', message: 'must be at most 200 characters' }] },
      ],
    });
    expect(enqueued).toEqual([
      expect.objectContaining({
        trigger: 'push::retract',
        sender: 'jenkins',
        payload: { kind: 'deployment', id: 'deploy-4711' },
        deliveryId: expect.stringMatching(/^retract-[0-9a-f]{32}$/),
      }),
    ]);
    expect(activity.map((e) => e.payload.status)).toEqual([202]); // the two bad ids are in the sender log

    const bad = [
      [{ kind: 'deploy', ids: ['a'] }, 400, '"kind" must be one of'],
      [{ kind: 'deployment', ids: [] }, 400, '"ids" must be a non-empty array'],
      [{ kind: 'deployment', ids: Array.from({ length: 501 }, (_, i) => `d${i}`) }, 413, 'at most 500'],
      [['a'], 400, 'a retraction is'],
    ] as const;
    for (const [body, status, message] of bad) {
      const refused = await send(signedPush('retract', body));
      expect({ status: refused.status, error: String(refused.body.error) }).toEqual({
        status,
        error: expect.stringContaining(message),
      });
    }
    expect(enqueued).toHaveLength(1);
    // Unsigned (or signed by a stranger): 401 like any push, nothing queued.
    expect(
      (await send(signedPush('retract', { kind: 'deployment', ids: ['a'] }, { secret: 'x' }))).status,
    ).toBe(401);
    expect(enqueued).toHaveLength(1);
  });
});

describe('retraction end to end: push, report, retract, report (local collector, telemetry report as a process)', () => {
  jest.setTimeout(90_000);
  let dir: { path: string; remove: () => Promise<void> };
  let collector: LocalCollector;

  beforeAll(async () => {
    dir = await tempDir();
    collector = await startLocalCollector({
      config: configSchema.parse({ server: { port: 0, host: '127.0.0.1', dataDir: dir.path } }),
      webhookSecrets: ['unused'],
      logger: silentLogger,
      push: createPushHandler({
        senderSecrets: staticSenderSecrets(
          parseSenderSecrets(`jenkins=${SECRETS.jenkins},gitlab=${SECRETS.gitlab}`),
        ),
        logger: silentLogger,
      }),
    });
  });

  afterAll(async () => {
    await collector?.close();
    await dir?.remove();
  });

  async function push(kind: string, body: unknown, sender: 'jenkins' | 'gitlab' = 'jenkins') {
    const request = signedPush(kind, body, {
      sender,
      secret: SECRETS[sender],
      timestamp: String(Math.floor(Date.now() / 1000)),
    });
    const answer = await fetch(collector.url, {
      method: 'POST',
      headers: request.headers,
      body: new Uint8Array(request.body),
    });
    const json = (await answer.json()) as Record<string, unknown>;
    await collector.queue.drain();
    return { status: answer.status, body: json };
  }

  async function report(): Promise<{
    dora: { deployment_frequency: { deployments: number } };
    ci: { by_source: { source: string; runs: number }[] };
    records: { retracted: number };
  }> {
    const since = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const { stdout } = await run(
      process.execPath,
      [CLI, 'report', '--data', dir.path, '--since', since, '--until', until, '--format', 'json'],
      { env: process.env },
    );
    return JSON.parse(stdout);
  }

  it('a retracted deployment and pipeline run leave every figure; another sender cannot retract them', async () => {
    const now = new Date().toISOString();
    const started = new Date(Date.now() - 10 * 60_000).toISOString();
    const deployments = [
      deployment({ id: 'deploy-1', started_at: started, finished_at: now }),
      deployment({ id: 'deploy-2', started_at: started, finished_at: now }),
    ];
    expect((await push('deployment', { items: deployments })).status).toBe(202);
    // deploy-2 was also reported in progress: two records for one deployment.
    await push(
      'deployment',
      deployment({ id: 'deploy-2', status: 'in_progress', started_at: started, finished_at: started }),
    );
    await push(
      'pipeline-run',
      pipelineRun({ id: 'run-1', queued_at: started, started_at: started, finished_at: now }),
    );
    await push('incident', incident({ id: 'inc-1', opened_at: started, resolved_at: now }));
    const before = await report();
    expect(before.dora.deployment_frequency.deployments).toBe(2);
    expect(before.ci.by_source).toEqual([expect.objectContaining({ source: 'jenkins', runs: 1 })]);

    // Another sender names jenkins's ids: its tombstones carry its own name, so nothing of jenkins's changes.
    const stranger = await push('retract', { kind: 'deployment', ids: ['deploy-2'] }, 'gitlab');
    expect(stranger).toEqual({
      status: 202,
      body: { outcome: 'queued', results: [{ index: 0, id: 'deploy-2' }] },
    });
    const unchanged = await report();
    expect(unchanged.dora.deployment_frequency.deployments).toBe(2);
    expect(unchanged.records.retracted).toBe(0);

    const retract = await push('retract', { kind: 'deployment', ids: ['deploy-2', 'never-sent'] });
    expect(retract.body.results).toEqual([
      { index: 0, id: 'deploy-2' },
      { index: 1, id: 'never-sent' },
    ]);
    await push('retract', { kind: 'pipeline-run', ids: ['run-1'] });
    const after = await report();
    expect(after.dora.deployment_frequency.deployments).toBe(1);
    expect(after.ci.by_source).toEqual([]);
    expect(after.records.retracted).toBe(3); // deploy-2 success and in_progress, run-1

    // The tombstones stay as the audit trail: who retracted what, and when; the records are untouched.
    const files = await listFiles(dir.path);
    const tombstones = await Promise.all(
      files
        .filter((f) => f.startsWith('tombstones/'))
        .map(async (f) => ({
          path: f,
          record: JSON.parse(await readFile(join(dir.path, f), 'utf8')) as MetricRecord,
        })),
    );
    const by = (metric: string, sender: string) =>
      tombstones.filter((t) => t.record.metric === metric && t.record.output.sender === sender);
    expect(by('push-deployment', 'jenkins')).toHaveLength(10); // 2 ids × 5 statuses
    expect(by('push-deployment', 'gitlab')).toHaveLength(5);
    const tombstone = by('pipeline-run', 'jenkins')[0]?.record as MetricRecord;
    expect(by('pipeline-run', 'jenkins')[0]?.path).toMatch(
      /^tombstones\/pipeline-run\/\d{4}\/\d{2}\/pipeline-run-[0-9a-f]{24}\.json$/,
    );
    expect(tombstone).toMatchObject({
      metric: 'pipeline-run',
      trigger: 'push::retract',
      status: 'retracted',
      owner: '_retracted',
      repo: 'jenkins',
      output: { retracted: true, sender: 'jenkins', id: 'run-1', kind: 'pipeline-run' },
    });
    const runPacks = files.filter((f) => f.startsWith('hot/pipeline-run/') && f.endsWith('.ndjson'));
    expect(runPacks).toHaveLength(1);
    const packed = packLines(await readFile(join(dir.path, runPacks[0] as string), 'utf8')).map(
      (l) => JSON.parse(l.text) as MetricRecord,
    );
    expect(packed.map((r) => [r.id, r.status])).toEqual([[tombstone.id, 'complete']]);

    // Resending a retracted item changes nothing: the tombstone wins over every version, for good.
    await push(
      'pipeline-run',
      pipelineRun({ id: 'run-1', queued_at: started, started_at: started, finished_at: now }),
    );
    expect((await report()).ci.by_source).toEqual([]);

    // telemetry senders: retracted records are no longer counted as accepted; an id naming nothing shows.
    const { stdout } = await run(process.execPath, [CLI, 'senders', '--data', dir.path, '--format', 'json'], {
      env: process.env,
    });
    const senders = JSON.parse(stdout).senders;
    expect(senders.map((s: { sender: string }) => s.sender)).toEqual(['gitlab', 'jenkins']);
    expect(senders[0]).toMatchObject({ retracted: { items: 1, unmatched: 1 }, accepted: { last_24h: 0 } });
    // jenkins: deploy-1, inc-1 opened and resolved remain of six records; deploy-2, never-sent and run-1 retracted.
    expect(senders[1]).toMatchObject({ retracted: { items: 3, unmatched: 1 }, accepted: { last_24h: 3 } });

    // A second run reported at its start, then at its end without started_at: two index entries of one id
    // (their times fall in different minutes); every reader keeps the end.
    const later = new Date(Date.now() + 20 * 60_000).toISOString();
    await push(
      'pipeline-run',
      pipelineRun({
        id: 'run-2',
        status: 'in_progress',
        queued_at: started,
        started_at: started,
        finished_at: undefined,
      }),
    );
    await push(
      'pipeline-run',
      pipelineRun({
        id: 'run-2',
        status: 'failure',
        queued_at: undefined,
        started_at: undefined,
        finished_at: later,
      }),
    );
    expect(
      (await listFiles(dir.path)).filter((f) => f.startsWith('hot/pipeline-run/') && f.endsWith('.idx')),
    ).toHaveLength(3);

    // telemetry query's views and telemetry compact leave retracted ids out too; the views keep the later run.
    const env = { ...process.env, TELEMETRY_CONFIG: '', TELEMETRY_DATA_DIR: dir.path };
    const query = async (sql: string) =>
      JSON.parse((await run(process.execPath, [CLI, 'query', '--format', 'json', sql], { env })).stdout);
    const views = async () => ({
      deployments: await query(
        'SELECT output.id AS id, output.status AS status FROM push_deployment ORDER BY id, status',
      ),
      runs: await query('SELECT output.id AS id, output.status AS status FROM pipeline_run'),
    });
    const expected = {
      deployments: [{ id: 'deploy-1', status: 'success' }],
      runs: [{ id: 'run-2', status: 'failure' }],
    };
    expect(await views()).toEqual(expected);
    const tomorrow = new Date(Date.now() + 2 * 86_400_000).toISOString();
    await run(process.execPath, [CLI, 'compact', '--data', dir.path, '--before', tomorrow], { env });
    const left = await listFiles(dir.path);
    expect(
      left.filter((f) => f.startsWith('hot/push-deployment/') || f.startsWith('hot/pipeline-run/')),
    ).toEqual([]);
    expect(left.filter((f) => f.startsWith('tombstones/'))).toHaveLength(16); // 10 + 5 deployments, 1 run
    expect(await views()).toEqual(expected);
    const partitionIds = await query(
      "SELECT count(*) AS n FROM read_parquet('" +
        join(dir.path, 'parquet', '**', '*.parquet') +
        "') WHERE output.id IN ('deploy-2', 'run-1')",
    );
    expect(partitionIds).toEqual([{ n: '0' }]); // count(*) is a BIGINT: JSON text
    expect((await report()).ci.by_source).toEqual([expect.objectContaining({ source: 'jenkins', runs: 1 })]);
  });
});
