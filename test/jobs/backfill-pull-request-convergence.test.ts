import { backfill } from '../../src/jobs/backfill';
import { metrics } from '../../src/metrics/registry';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import { addPullRequest, pullRequestEvent, registerPullRoutes } from '../fake-github/routes/pulls';
import type { FakePull, FakeRepo } from '../fake-github/world';
import { listFiles } from '../support/temp';
import { signedEventFrom } from '../support/webhooks';
import { indexedRecords, type JobWorld, startJobWorld, tempDir } from './setup';

/**
 * Convergence with the real pull-request metrics (pull-request, code-review-involvement, commits-per-pr,
 * documentation-updated) and their real fake-GitHub routes: what the live webhook recorded and what the
 * backfill rebuilds from the listing land on the same record files.
 */
describe('backfill of closed pull requests converges with the live webhook', () => {
  let env: JobWorld;
  let repo: FakeRepo;
  const pulls: FakePull[] = [];
  /** The index entries (one per record id), checked against the records in the packs. */
  const records = async (dir: string) => [...(await indexedRecords(dir)).values()].map((r) => r.path).sort();
  const hotFiles = async (dir: string) => (await listFiles(dir)).filter((f) => f.startsWith('hot/'));

  beforeAll(async () => {
    env = await startJobWorld();
    registerPullRoutes(env.fake, env.world);
    repo = env.world.addRepo('acme', 'web');
    for (let n = 1; n <= 12; n += 1) {
      const closedAt = new Date(env.clock.now - (20 - n) * 86_400_000).toISOString();
      const pull = addPullRequest(env.world, repo, {
        number: n,
        createdAt: new Date(Date.parse(closedAt) - 2 * 86_400_000).toISOString(),
        closedAt,
        merged: n % 3 !== 0,
        commits: 2 + n,
        files: n % 2 === 0 ? ['docs/guide.md', 'src/app.ts'] : ['src/app.ts'],
        reviews: n % 4,
      });
      pull.pull.updated_at = closedAt;
      pulls.push(pull);
    }
  });
  afterAll(() => env.stop());

  /** The live webhook's records of the given pull requests, through the real metrics and API reads. */
  async function recordLive(dir: string, which: FakePull[]): Promise<void> {
    const ctx = env.context(dir);
    for (const pull of which) {
      const event = signedEventFrom('pull_request', pullRequestEvent(repo, pull), {
        deliveryId: `live-${pull.pull.number}`,
      });
      const result = await collectMetrics(event, metrics, {
        github: ctx.github,
        settings: ctx.config.metrics,
        now: ctx.now,
      });
      expect(result.failures).toEqual([]);
      await ctx.store.write(result.records);
    }
  }

  it('adds no record file for what the webhook already recorded, and the same files as a backfill alone', async () => {
    const live = await tempDir();
    const alone = await tempDir();
    try {
      const input = backfill.input.parse({ org: 'acme', since: '90d', kinds: ['pulls'] });

      await recordLive(live.path, pulls);
      const liveFiles = await records(live.path);
      // 12 closed: pull-request + code-review-involvement each; 8 merged: + commits-per-pr + documentation-updated.
      expect(liveFiles).toHaveLength(12 * 2 + 8 * 2);

      const packsAndEntries = await hotFiles(live.path);
      const over = await backfill.run(input, env.context(live.path));
      expect(over.counts).toMatchObject({ written: 0 });
      expect(await records(live.path)).toEqual(liveFiles);
      expect(await hotFiles(live.path)).toEqual(packsAndEntries); // not a pack more

      const first = await backfill.run(input, env.context(alone.path));
      expect(first.counts.written).toBe(liveFiles.length);
      expect(await records(alone.path)).toEqual(liveFiles);
    } finally {
      await live.remove();
      await alone.remove();
    }
  });

  it('half live, half backfilled: one record per entity', async () => {
    const dir = await tempDir();
    try {
      await recordLive(dir.path, pulls.slice(0, 6));
      const before = (await records(dir.path)).length;
      const run = await backfill.run(
        backfill.input.parse({ org: 'acme', since: '90d', kinds: ['pulls'] }),
        env.context(dir.path),
      );
      const after = await records(dir.path);
      expect(after).toHaveLength(40);
      expect(run.counts.written).toBe(40 - before);
    } finally {
      await dir.remove();
    }
  });
});
