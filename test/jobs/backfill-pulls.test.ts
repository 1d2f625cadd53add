import { backfill } from '../../src/jobs/backfill';
import type { Metric } from '../../src/metrics/types';
import type { MetricRecord } from '../../src/pipeline/types';
import { addMergedPull } from '../fake-github/routes/deployments';
import type { FakeRepo, Rest } from '../fake-github/world';
import { indexedRecords, type JobWorld, startJobWorld, tempDir } from './setup';

/**
 * Stands in for the pull-request metric (registered by its own issue): natural key pull request id +
 * closed_at, as its contract says, and it reports what the webhook payload carries but the listing lacks.
 */
const closedPulls: Metric<Rest> = {
  name: 'pull-request',
  description: 'test stand-in',
  triggers: ['github::pull_request.closed'],
  permissions: { pull_requests: 'read' },
  matches: (event) => event.trigger === 'github::pull_request.closed',
  async collect(event) {
    const pull = event.payload.pull_request as Rest;
    const repository = event.payload.repository as Rest;
    return [
      {
        naturalKey: `${pull.id}:${pull.closed_at}`,
        owner: repository.owner.login,
        repo: repository.name,
        occurredAt: pull.closed_at,
        output: { number: event.payload.number, merged: pull.merged, additions: pull.additions ?? null },
      },
    ];
  },
};

describe('backfill of closed pull requests', () => {
  let env: JobWorld;
  let repo: FakeRepo;
  beforeAll(async () => {
    env = await startJobWorld();
    repo = env.world.addRepo('acme', 'api');
    for (let n = 1; n <= 130; n += 1) {
      const closedAt = new Date(env.clock.now - (200 - n) * 3_600_000).toISOString();
      const { pull } = addMergedPull(env.world, repo, {
        number: n,
        commits: [],
        mergedAt: closedAt,
        state: n % 10 === 0 ? 'open' : 'merged',
      });
      Object.assign(pull, {
        updated_at: pull.closed_at ?? closedAt,
        additions: n,
        deletions: 1,
        changed_files: 1,
      });
    }
    // The single pull request (GitHub's GET …/pulls/{n}); the pull-request routes of the metric's issue serve
    // it with more detail, this is all the backfill reads from it.
    env.fake.route('GET', '/repos/{owner}/{repo}/pulls/{pull_number}', (request) => {
      const pull = repo.pulls.get(Number(request.params.pull_number));
      return pull ? { status: 200, body: pull.pull } : { status: 404, body: { message: 'Not Found' } };
    });
  });
  afterAll(() => env.stop());

  it('rebuilds pull_request.closed from the full pull request, then reads only what changed', async () => {
    const dir = await tempDir();
    try {
      const input = backfill.input.parse({ org: 'acme', since: '30d', kinds: ['pulls'] });
      const ctx = env.context(dir.path, { metrics: [closedPulls] });
      const first = await backfill.run(input, ctx);
      expect(first.counts.written).toBe(117); // 130 minus the 13 still open
      const pulls = await indexedRecords(dir.path, 'hot/pull-request/');
      expect(pulls.size).toBe(117);
      const sample = [...pulls.values()][0]?.record as MetricRecord;
      // `merged` and `additions` exist only on the single pull request, as in the webhook payload.
      expect(sample.output).toMatchObject({ merged: true, additions: expect.any(Number) });

      env.clock.now += 3_600_000;
      const before = env.fake.requests.length;
      const second = await backfill.run(input, ctx);
      expect(second.counts.records).toBe(0);
      expect(env.fake.requests.slice(before).map((r) => r.status)).toEqual([200, 304]);

      // A comment on a closed pull request moves it to the top of the listing: one listing, one read.
      const touched = repo.pulls.get(42)?.pull as Rest;
      touched.updated_at = new Date(env.clock.now - 60_000).toISOString();
      const mark = env.fake.requests.length;
      const third = await backfill.run(input, ctx);
      expect(third.counts).toMatchObject({ records: 1, written: 0, unchanged: 1 });
      expect(env.fake.requests.slice(mark).map((r) => r.path)).toEqual([
        '/orgs/acme/repos',
        '/repos/acme/api/pulls',
        '/repos/acme/api/pulls/42',
      ]);
    } finally {
      await dir.remove();
    }
  });
});
