import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backfill } from '../../src/jobs/backfill';
import { addDeployment, addDeploymentStatus } from '../fake-github/routes/deployments';
import { addIssue, addRun, addTag, completeRun } from '../fake-github/routes/listings';
import type { FakeRepo } from '../fake-github/world';
import { indexEntries, indexedRecords, type JobWorld, startJobWorld, tempDir } from './setup';

const DAY = 86_400_000;

async function recordIds(dir: string): Promise<string[]> {
  return [...(await indexedRecords(dir)).keys()];
}

function seedHistory(env: JobWorld, repo: FakeRepo, runs: number, start: number): void {
  for (let i = 0; i < runs; i += 1) {
    addRun(env.world, repo, { createdAt: new Date(start + i * 3_600_000 * 7).toISOString() });
  }
  const sha = repo.runs[0]?.run.head_sha as string;
  const d = addDeployment(env.world, repo, {
    sha,
    environment: 'production',
    createdAt: new Date(start + DAY).toISOString(),
  });
  addDeploymentStatus(env.world, repo, d, {
    state: 'success',
    createdAt: new Date(start + DAY + 60_000).toISOString(),
  });
  addTag(env.world, repo, 'v2.0.0', new Date(start + 2 * DAY).toISOString());
  addIssue(env.world, repo, {
    title: 'Outage',
    labels: ['incident'],
    createdAt: new Date(start + 3 * DAY).toISOString(),
  });
}

describe('backfill cursors', () => {
  let env: JobWorld;
  beforeEach(async () => {
    env = await startJobWorld();
  });
  afterEach(() => env.stop());

  it('costs a handful of requests on a second run and reads only what is new on a third', async () => {
    const dir = await tempDir();
    try {
      const start = env.clock.now - 20 * DAY;
      for (const name of ['api', 'web']) seedHistory(env, env.world.addRepo('acme', name), 15, start);
      const input = backfill.input.parse({ org: 'acme', since: '30d' });

      const first = await backfill.run(input, env.context(dir.path));
      expect(first.finished).toBe(true);
      expect(first.counts.written).toBeGreaterThan(60);
      const afterFirst = await recordIds(dir.path);

      env.clock.now += DAY;
      const before = env.fake.requests.length;
      const second = await backfill.run(input, env.context(dir.path));
      const calls = env.fake.requests.slice(before);
      // The organisation's repositories, then per repository one listing per kind (pulls, runs, deployments,
      // tags, incidents), conditional where the listing is the same as last time (deployments, tags): those
      // answer 304 and cost no rate limit.
      expect(calls.length).toBeLessThanOrEqual(1 + 2 * 5);
      expect(calls.filter((c) => c.status === 304).length).toBeGreaterThanOrEqual(2 * 2);
      expect(second.counts.written).toBe(0);
      expect(second.counts.records).toBe(0);
      expect(await recordIds(dir.path)).toEqual(afterFirst);

      // New history in one repository: a run, a run still in progress, a tag.
      const api = env.world.repo('acme', 'api') as FakeRepo;
      addRun(env.world, api, { createdAt: new Date(env.clock.now - 3_600_000).toISOString() });
      const running = addRun(env.world, api, {
        createdAt: new Date(env.clock.now - 600_000).toISOString(),
        status: 'in_progress',
      });
      addTag(env.world, api, 'v2.1.0', new Date(env.clock.now - 7_200_000).toISOString());
      const third = await backfill.run(input, env.context(dir.path));
      // build + test jobs, the run, the test job's coverage, the tag: the run in progress waits.
      expect(third.counts.written).toBe(5);
      const state = JSON.parse(
        (await readFile(join(dir.path, '_state/backfill/acme/api/runs.json'), 'utf8')) as string,
      );
      expect(state.pending).toEqual([{ id: String(running.run.id), created_at: running.run.created_at }]);

      // The run completes: the next run fetches it by id and records it, without listing history again.
      completeRun(api, running.run.id);
      env.clock.now += 3_600_000;
      const fourth = await backfill.run(input, env.context(dir.path));
      expect(fourth.counts.written).toBe(4);
      // The repositories, one listing per repository and kind (5 kinds), the completed run and its jobs.
      expect(fourth.counts.requests).toBeLessThanOrEqual(1 + 2 * 5 + 2);
    } finally {
      await dir.remove();
    }
  });

  it('waits for a deployment without a final status, and reads again when the window grows', async () => {
    const dir = await tempDir();
    try {
      const repo = env.world.addRepo('acme', 'ops');
      const old = addRun(env.world, repo, { createdAt: new Date(env.clock.now - 20 * DAY).toISOString() });
      addRun(env.world, repo, { createdAt: new Date(env.clock.now - 2 * DAY).toISOString() });
      const rollout = addDeployment(env.world, repo, {
        sha: old.run.head_sha,
        environment: 'production',
        createdAt: new Date(env.clock.now - DAY).toISOString(),
      });
      addDeploymentStatus(env.world, repo, rollout, {
        state: 'in_progress',
        createdAt: new Date(env.clock.now - DAY + 5_000).toISOString(),
      });
      const ctx = env.context(dir.path);
      const recent = backfill.input.parse({ org: 'acme', since: '7d', kinds: ['runs', 'deployments'] });
      await backfill.run(recent, ctx);
      const statusCount = async () => (await indexEntries(dir.path, 'hot/deployment-status/')).length;
      expect(await statusCount()).toBe(1);
      const runIds = async () => (await recordIds(dir.path)).filter((id) => id.startsWith('workflow-run-'));
      expect(await runIds()).toHaveLength(1);

      // The rollout finishes: its final status is read through the pending list, below the cursor.
      env.clock.now += 3_600_000;
      addDeploymentStatus(env.world, repo, rollout, {
        state: 'success',
        createdAt: new Date(env.clock.now - 60_000).toISOString(),
      });
      await backfill.run(recent, ctx);
      expect(await statusCount()).toBe(2);

      // A longer window than the cursors cover reads that repository's history again, from the new start.
      await backfill.run(backfill.input.parse({ org: 'acme', since: '30d', kinds: ['runs'] }), ctx);
      expect(await runIds()).toHaveLength(2);
    } finally {
      await dir.remove();
    }
  });

  it('goes on with the other repositories when GitHub refuses one listing, and reads it again next run', async () => {
    const dir = await tempDir();
    try {
      const start = env.clock.now - 10 * DAY;
      seedHistory(env, env.world.addRepo('acme', 'locked'), 3, start);
      seedHistory(env, env.world.addRepo('acme', 'open'), 3, start);
      env.fake.injectFault({
        kind: '500',
        match: (r) => r.path === '/repos/acme/locked/actions/runs',
        times: 10,
      });
      const input = backfill.input.parse({ org: 'acme', since: '30d', kinds: ['runs'] });
      const ctx = env.context(dir.path);
      const first = await backfill.run(input, ctx);
      expect(first.finished).toBe(true);
      expect(first.counts.listings_failed).toBe(1);
      expect(first.message).toMatch(
        /1 listing\(s\) failed and will be read again next run: acme\/locked runs: Server Error/,
      );
      const ids = await recordIds(dir.path);
      expect(ids.filter((id) => id.startsWith('workflow-run-'))).toHaveLength(3);

      env.fake.clearFaults();
      const second = await backfill.run(input, ctx);
      expect(second.counts.listings_failed).toBe(0);
      expect((await recordIds(dir.path)).filter((id) => id.startsWith('workflow-run-'))).toHaveLength(6);
    } finally {
      await dir.remove();
    }
  });

  it('splits a window holding more than the 1,000 runs GitHub serves per query', async () => {
    const dir = await tempDir();
    try {
      const repo = env.world.addRepo('acme', 'busy');
      const start = env.clock.now - 20 * DAY;
      for (let i = 0; i < 1_500; i += 1) {
        addRun(env.world, repo, { createdAt: new Date(start + i * 600_000).toISOString(), jobs: ['build'] });
      }
      const result = await backfill.run(
        backfill.input.parse({ repos: ['acme/busy'], since: '30d', kinds: ['runs'] }),
        env.context(dir.path),
      );
      expect(result.finished).toBe(true);
      const ids = await recordIds(dir.path);
      expect(ids.filter((id) => id.startsWith('workflow-run-'))).toHaveLength(1_500);
      expect(ids.filter((id) => id.startsWith('workflow-job-'))).toHaveLength(1_500);
      const listings = env.fake.requests.filter((r) => r.path === '/repos/acme/busy/actions/runs');
      // 15 pages of 100 at least, plus the probes of ranges that had to be split.
      expect(listings.length).toBeGreaterThan(15);
    } finally {
      await dir.remove();
    }
  }, 60_000);
});

describe('backfill under a small rate limit', () => {
  it('stops before exhausting the budget and resumes without loss', async () => {
    // Two identical worlds (ids and shas are deterministic): one behind a small rate limit, one not.
    const env = await startJobWorld({ primaryLimit: 90 });
    const free = await startJobWorld();
    const limited = await tempDir();
    const reference = await tempDir();
    try {
      for (const world of [env, free]) {
        const start = world.clock.now - 20 * DAY;
        for (const name of ['api', 'web', 'ops'])
          seedHistory(world, world.world.addRepo('acme', name), 40, start);
      }
      const input = backfill.input.parse({ org: 'acme', since: '30d', budgetShare: 1, concurrency: 2 });

      let runs = 0;
      let finished = false;
      while (!finished && runs < 20) {
        const result = await backfill.run(input, env.context(limited.path));
        finished = result.finished;
        runs += 1;
        if (!finished) expect(result.message).toMatch(/stopped early/);
        env.clock.now += 3_600_000; // the next scheduled run: a fresh rate-limit window
        free.clock.now += 3_600_000;
      }
      expect(finished).toBe(true);
      expect(runs).toBeGreaterThan(2);
      // It never ran into the limit itself.
      expect(env.fake.requests.filter((r) => r.status === 403)).toHaveLength(0);

      const all = await backfill.run(input, free.context(reference.path));
      expect(all.finished).toBe(true);
      const got = await recordIds(limited.path);
      expect(got).toEqual(await recordIds(reference.path));
      expect(got.length).toBe(all.counts.records);
    } finally {
      await Promise.all([limited.remove(), reference.remove(), env.stop(), free.stop()]);
    }
  });
});
