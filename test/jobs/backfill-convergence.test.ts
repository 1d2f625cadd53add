import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configSchema } from '../../src/config/config';
import { backfill } from '../../src/jobs/backfill';
import { silentLogger } from '../../src/log/logger';
import { startLocalCollector } from '../../src/server/server';
import { addRun, addTag } from '../fake-github/routes/listings';
import type { FakeRepo, Rest } from '../fake-github/world';
import { listFiles } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';
import { type JobWorld, startJobWorld, tempDir } from './setup';

const SECRET = 'convergence-secret';

/** What GitHub would have delivered live for the history in the fake world (real example payloads, world data). */
function liveDeliveries(
  repo: FakeRepo,
  tagTimes: Map<string, string>,
): { event: string; payload: Rest; at: string }[] {
  const out: { event: string; payload: Rest; at: string }[] = [];
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
async function recordLive(
  dir: string,
  deliveries: { event: string; payload: Rest; at: string }[],
): Promise<void> {
  let now = new Date();
  const collector = await startLocalCollector({
    config: configSchema.parse({ server: { port: 0, host: '127.0.0.1', dataDir: dir } }),
    webhookSecrets: [SECRET],
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

async function records(dir: string): Promise<Map<string, string>> {
  const files = (await listFiles(dir)).filter((f) => !f.startsWith('_'));
  const out = new Map<string, string>();
  for (const file of files) {
    const record = JSON.parse(await readFile(join(dir, file), 'utf8'));
    expect(out.has(record.id)).toBe(false); // one file per id
    out.set(record.id, file);
  }
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
    // Tags are pushed some minutes after their commit, in the same month (see the tags kind's dating rule).
    for (const [name, committed] of [
      ['v1.0.0', '2026-10-03T10:00:00Z'],
      ['v1.1.0-rc.1', '2026-10-20T10:00:00Z'],
      ['nightly', '2026-10-21T10:00:00Z'],
      ['v1.1.0', '2026-11-02T09:00:00Z'],
    ] as const) {
      addTag(env.world, repo, name, committed);
      tagTimes.set(name, new Date(Date.parse(committed) + 7 * 60_000).toISOString());
    }
  });
  afterAll(() => env.stop());

  it('adds no new id over history the webhook already recorded, and rebuilds the same records alone', async () => {
    const live = await tempDir();
    const alone = await tempDir();
    const half = await tempDir();
    try {
      const deliveries = liveDeliveries(repo, tagTimes);
      await recordLive(live.path, deliveries);
      const liveRecords = await records(live.path);
      const completedJobs = repo.runs.flatMap((r) => r.jobs).length;
      // 3 semantic-version tags (nightly is not one): every entity once.
      expect(liveRecords.size).toBe(completedJobs + 3);

      // 1. Backfill over fully recorded history: nothing new.
      const input = backfill.input.parse({ org: 'acme', since: '90d' });
      const over = await backfill.run(input, env.context(live.path));
      expect(over.finished).toBe(true);
      expect(over.counts.records).toBe(liveRecords.size);
      expect(over.counts.written).toBe(0);
      expect(over.counts.unchanged).toBe(liveRecords.size);
      expect(await records(live.path)).toEqual(liveRecords);

      // 2. Backfill alone: the same ids at the same paths, marked as backfilled.
      await backfill.run(input, env.context(alone.path));
      const alonerecords = await records(alone.path);
      expect(alonerecords).toEqual(liveRecords);
      const sample = JSON.parse(
        await readFile(join(alone.path, [...alonerecords.values()][0] as string), 'utf8'),
      );
      expect(sample.collected_by).toBe('backfill');
      expect(sample.delivery_id).toMatch(/^backfill-/);

      // 3. Half recorded live, the rest backfilled: one record per entity, nothing lost.
      await recordLive(
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
