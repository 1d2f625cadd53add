import { configSchema } from '../../src/config/config';
import { backfill } from '../../src/jobs/backfill';
import { silentLogger } from '../../src/log/logger';
import { startLocalCollector } from '../../src/server/server';
import { addDeployment, addDeploymentStatus } from '../fake-github/routes/deployments';
import { addIssue, addRun, addTag } from '../fake-github/routes/listings';
import type { FakeRepo, Rest } from '../fake-github/world';
import { storedRecords } from '../support/stored-records';
import { listFiles } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';
import { indexedRecords, type JobWorld, startJobWorld, tempDir } from './setup';

const SECRET = 'convergence-secret';

type Live = { event: string; payload: Rest; at: string };

/**
 * What GitHub would have delivered live for the history in the fake world: real example payloads
 * (@octokit/webhooks-examples) carrying the world's objects, sent when each thing happened. Earlier run
 * attempts are read from the fake API, as the webhook carried them at the time.
 */
async function liveDeliveries(env: JobWorld, repo: FakeRepo, tagTimes: Map<string, string>): Promise<Live[]> {
  const out: Live[] = [];
  for (const { run } of repo.runs) {
    for (let attempt = 1; attempt <= run.run_attempt; attempt += 1) {
      const answer = await fetch(
        `${env.fake.baseUrl}/repos/${repo.repo.full_name}/actions/runs/${run.id}/attempts/${attempt}`,
      );
      const state = (await answer.json()) as Rest;
      out.push({
        event: 'workflow_run',
        payload: { ...example('workflow_run', 'completed'), workflow_run: state, repository: repo.repo },
        at: state.updated_at,
      });
    }
  }
  for (const { deployment, statuses } of repo.deployments) {
    out.push({
      event: 'deployment',
      payload: { ...example('deployment', 'created'), deployment, repository: repo.repo },
      at: deployment.created_at,
    });
    for (const status of statuses) {
      out.push({
        event: 'deployment_status',
        payload: {
          ...example('deployment_status', 'created'),
          deployment_status: status,
          deployment,
          repository: repo.repo,
        },
        at: status.created_at,
      });
    }
  }
  for (const issue of repo.issues) {
    const opened = { ...issue, state: 'open', state_reason: null, closed_at: null };
    const base = example('issues', 'opened');
    out.push({
      event: 'issues',
      payload: { ...base, action: 'opened', issue: opened, repository: repo.repo },
      at: issue.created_at,
    });
    if (issue.closed_at) {
      out.push({
        event: 'issues',
        payload: { ...base, action: 'closed', issue, repository: repo.repo },
        at: issue.closed_at,
      });
    }
  }
  for (const { jobs } of repo.runs) {
    for (const job of jobs) {
      if (job.status !== 'completed') continue;
      out.push({
        event: 'workflow_job',
        payload: { ...example('workflow_job', 'completed'), workflow_job: job, repository: repo.repo },
        at: job.completed_at,
      });
    }
  }
  for (const tag of repo.tags) {
    out.push({
      event: 'create',
      payload: { ...example('create'), ref: tag.name, ref_type: 'tag', repository: repo.repo },
      at: tagTimes.get(tag.name) as string,
    });
  }
  return out;
}

/** Posts signed deliveries to a real local collector (HTTP → queue → worker → FileStore), then drains it. */
async function recordLive(env: JobWorld, dir: string, deliveries: Live[]): Promise<void> {
  let now = new Date();
  const collector = await startLocalCollector({
    config: configSchema.parse({
      server: { port: 0, host: '127.0.0.1', dataDir: dir },
      github: { apiUrl: env.fake.baseUrl },
    }),
    webhookSecrets: [SECRET],
    githubToken: 'live-token',
    logger: silentLogger,
    now: () => now,
  });
  try {
    for (const delivery of deliveries) {
      now = new Date(delivery.at); // the delivery arrives when the thing happened
      const signed = await signedDelivery(delivery.event, delivery.payload, SECRET);
      const response = await fetch(collector.url, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      });
      expect(response.status).toBe(202);
      await collector.queue.drain();
    }
  } finally {
    await collector.close();
  }
}

/** Record id → its index entry; `indexedRecords` throws on an id stored twice or an entry without record. */
async function records(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [id, { path }] of await indexedRecords(dir)) out.set(id, path);
  return out;
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

describe('backfill converges with the live webhook', () => {
  let env: JobWorld;
  let repo: FakeRepo;
  const tagTimes = new Map<string, string>();

  beforeAll(async () => {
    env = await startJobWorld();
    repo = env.world.addRepo('acme', 'api');
    env.world.addRepo('acme', 'web');
    for (let i = 0; i < 12; i += 1) {
      addRun(env.world, repo, {
        createdAt: new Date(Date.parse('2026-10-01T08:00:00Z') + i * 86_400_000 * 3).toISOString(),
        attempts: i % 5 === 0 ? 2 : 1,
      });
    }
    const sha = repo.runs[3]?.run.head_sha as string;
    const staging = addDeployment(env.world, repo, {
      sha,
      environment: 'staging',
      createdAt: '2026-10-10T09:00:00Z',
    });
    addDeploymentStatus(env.world, repo, staging, {
      state: 'in_progress',
      createdAt: '2026-10-10T09:00:05Z',
    });
    addDeploymentStatus(env.world, repo, staging, { state: 'success', createdAt: '2026-10-10T09:04:00Z' });
    const production = addDeployment(env.world, repo, {
      sha,
      environment: 'production',
      createdAt: '2026-10-11T09:00:00Z',
    });
    addDeploymentStatus(env.world, repo, production, {
      state: 'in_progress',
      createdAt: '2026-10-11T09:00:05Z',
    });
    addDeploymentStatus(env.world, repo, production, { state: 'failure', createdAt: '2026-10-11T09:06:00Z' });
    addIssue(env.world, repo, {
      title: 'Checkout down after deploy',
      labels: ['incident', 'sev1'],
      createdAt: '2026-10-11T09:20:00Z',
      closedAt: '2026-10-11T11:05:00Z',
    });
    addIssue(env.world, repo, {
      title: 'Slow search',
      labels: ['incident'],
      createdAt: '2026-11-05T14:00:00Z',
    });
    addIssue(env.world, repo, {
      title: 'Not an incident',
      labels: ['bug'],
      createdAt: '2026-11-06T14:00:00Z',
    });
    // Tags pushed within the minute of their commit (see the tags kind's dating rule: a tag pushed later is
    // filed twice, under its push's minute live and its commit's by backfill, and readers keep one).
    for (const [name, committed] of [
      ['v1.0.0', '2026-10-03T10:00:00Z'],
      ['v1.1.0-rc.1', '2026-10-20T10:00:00Z'],
      ['nightly', '2026-10-21T10:00:00Z'],
      ['v1.1.0', '2026-11-02T09:00:00Z'],
    ] as const) {
      addTag(env.world, repo, name, committed);
      tagTimes.set(name, new Date(Date.parse(committed) + 30_000).toISOString());
    }
  });
  afterAll(() => env.stop());

  it('adds no new id over history the webhook already recorded, and rebuilds the same records alone', async () => {
    const live = await tempDir();
    const alone = await tempDir();
    const half = await tempDir();
    try {
      const deliveries = await liveDeliveries(env, repo, tagTimes);
      await recordLive(env, live.path, deliveries);
      const liveRecords = await records(live.path);
      const byMetric = countBy([...liveRecords.keys()].map((id) => id.replace(/-[0-9a-f]{24}$/, '')));
      expect(byMetric).toEqual({
        'workflow-job': repo.runs.flatMap((r) => r.jobs).length,
        'workflow-run': repo.runs.reduce((n, r) => n + r.run.run_attempt, 0),
        'test-coverage': repo.runs.flatMap((r) => r.jobs).filter((j) => j.name === 'test').length,
        'release-versions': 3, // nightly is not a semantic version
        deployment: 2,
        'deployment-status': 4,
        incident: 3, // opened + closed, and opened of the one still open
      });

      // 1. Backfill over fully recorded history: nothing new.
      const input = backfill.input.parse({ org: 'acme', since: '90d' });
      const liveFiles = (await listFiles(live.path)).filter((f) => f.startsWith('hot/'));
      const over = await backfill.run(input, env.context(live.path));
      expect(over.finished).toBe(true);
      expect(over.counts.records).toBe(liveRecords.size);
      expect(over.counts.written).toBe(0);
      expect(over.counts.unchanged).toBe(liveRecords.size);
      expect(await records(live.path)).toEqual(liveRecords);
      expect((await listFiles(live.path)).filter((f) => f.startsWith('hot/'))).toEqual(liveFiles); // not a pack more

      // 2. Backfill alone: the same ids at the same paths, marked as backfilled.
      await backfill.run(input, env.context(alone.path));
      const alonerecords = await records(alone.path);
      expect(alonerecords).toEqual(liveRecords);
      const [sample] = await storedRecords(alone.path);
      expect(sample?.collected_by).toBe('backfill');
      expect(sample?.delivery_id).toMatch(/^backfill-/);

      // 3. Half recorded live, the rest backfilled: one record per entity, nothing lost.
      await recordLive(
        env,
        half.path,
        deliveries.filter((_, i) => i % 2 === 0),
      );
      const before = await records(half.path);
      const run = await backfill.run(input, env.context(half.path));
      const after = await records(half.path);
      expect(after).toEqual(liveRecords);
      expect(run.counts.written).toBe(liveRecords.size - before.size);
      for (const [id, path] of before) expect(after.get(id)).toBe(path);
    } finally {
      await Promise.all([live.remove(), alone.remove(), half.remove()]);
    }
  });
});
