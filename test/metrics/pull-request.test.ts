import { InvalidPayloadError } from '../../src/github/payloads';
import { PULL_REQUEST_DATA_CALL } from '../../src/github/pull-request-data';
import { metrics } from '../../src/metrics/registry';
import { defaultMetricSettings } from '../../src/metrics/settings';
import { collectMetrics } from '../../src/pipeline/collect-metrics';
import { addPullRequest, pullRequestEvent } from '../fake-github/routes/pulls';
import type { FakeGitHub } from '../fake-github/server';
import type { FakeRepo, World } from '../fake-github/world';
import { expectDocumentedExample } from '../support/metrics-doc';
import { example, examplesOf, signedEventFrom } from '../support/webhooks';
import { closedExample, collect, contextFor, startFakeGitHub } from './pull-request-support';

// The real example: Codertocat/Hello-World#2 (id 279147437), opened 2019-05-15T15:20:33Z, closed 15:21:18Z.
const CREATED = '2019-05-15T15:20:33Z';
const CLOSED = '2019-05-15T15:21:18Z';
const MS = (a: string, b: string) => Date.parse(b) - Date.parse(a);

let fake: FakeGitHub;
let world: World;
let helloWorld: FakeRepo;

beforeEach(async () => {
  ({ fake, world } = await startFakeGitHub());
  helloWorld = world.addRepo('Codertocat', 'Hello-World', { default_branch: 'master' });
});
afterEach(() => fake.stop());

/** The example pull request as the API knows it: 3 commits (one by a bot), 3 files, 2 reviews, 3 requests. */
function seedExamplePull(merged: boolean) {
  return addPullRequest(world, helloWorld, {
    number: 2,
    id: 279147437,
    author: 'Codertocat',
    createdAt: CREATED,
    closedAt: CLOSED,
    merged,
    base: 'master',
    head: 'changes',
    commits: [
      { author: 'Codertocat', authoredAt: '2019-05-15T15:10:02Z' },
      { author: 'github-actions[bot]', authoredAt: '2019-05-15T15:12:40Z' },
      { author: 'Codertocat', authoredAt: '2019-05-15T15:19:55Z' },
    ],
    files: ['README.md', 'docs/usage.md', 'src/hello.js'],
    reviews: [
      { user: 'hubot', state: 'COMMENTED', at: '2019-05-15T15:20:51Z' },
      { user: 'monalisa', state: 'APPROVED', at: '2019-05-15T15:21:07Z' },
    ],
    reviewComments: 1,
    // octocat was asked and never answered: still pending in the real payload's requested_reviewers.
    requested: ['octocat', 'hubot', 'monalisa', 'team:justice-league'],
    pending: ['octocat'],
  });
}

describe('the pull request metrics on the real pull_request.closed examples', () => {
  test('every closed example (not merged) gives pull-request and code-review-involvement, one request', async () => {
    for (const payload of examplesOf('pull_request', 'closed')) {
      world.repos.clear();
      helloWorld = world.addRepo('Codertocat', 'Hello-World', { default_branch: 'master' });
      const pull = seedExamplePull(false);
      const before = fake.count('POST', '/graphql');
      const records = await collect(
        { ...payload, pull_request: { ...(payload.pull_request as object), ...counts(pull.pull) } },
        contextFor(fake),
      );
      expect(Object.keys(records).sort()).toEqual(['code-review-involvement', 'pull-request']);
      expect(fake.count('POST', '/graphql') - before).toBe(1);
      const pr = records['pull-request'];
      expect(pr?.status).toBe('complete');
      expect(pr?.occurred_at).toBe('2019-05-15T15:21:18.000Z');
      expect(pr?.output).toMatchObject({
        pull_request_id: '279147437',
        outcome: 'closed',
        merged_at: null,
        merge_commit_sha: null,
        into_default_branch: false,
        labels: ['bug'],
        first_commit_at: '2019-05-15T15:10:02.000Z',
        first_review_at: '2019-05-15T15:20:51.000Z',
        first_approval_at: '2019-05-15T15:21:07.000Z',
        reviews: 2,
        commits: 3,
      });
      const review = records['code-review-involvement'];
      expect(review?.output).toMatchObject({ outcome: 'closed', merged_without_approval: false });
    }
  });

  test('a merged pull request: all four metrics from one GraphQL request, with the documented examples', async () => {
    const pull = seedExamplePull(true);
    const records = await collect(
      closedExample(pull, { merged: true, merged_at: CLOSED, merged_by: pull.pull.user }),
      contextFor(fake),
    );
    expect(Object.keys(records).sort()).toEqual([
      'code-review-involvement',
      'commits-per-pr',
      'documentation-updated',
      'pull-request',
    ]);
    expect(fake.count()).toBe(1);
    expect(fake.count('POST', '/graphql')).toBe(1);
    for (const record of Object.values(records)) {
      expect(record?.status).toBe('complete');
      expect(record?.errors).toEqual([]);
    }
    // One natural key for all four: the same pull request closing lands on the same ids whichever way it arrives.
    expect(records['pull-request']?.id).toMatch(/^pull-request-[0-9a-f]{24}$/);

    const pr = records['pull-request']?.output;
    expect(pr).toMatchObject({
      outcome: 'merged',
      into_default_branch: true,
      merged_at: '2019-05-15T15:21:18.000Z',
      merge_commit_sha: 'c4295bd74fb0f4fda03689c3df3f2803b658fd85', // the payload's
      opened_as_draft: false,
      time_in_draft_ms: 0,
      ready_at: null,
    });
    expect(pr?.stages).toEqual({
      coding_ms: MS('2019-05-15T15:10:02Z', CREATED),
      pickup_ms: MS(CREATED, '2019-05-15T15:20:51Z'),
      review_ms: MS('2019-05-15T15:20:51Z', '2019-05-15T15:21:07Z'),
      merge_ms: MS('2019-05-15T15:21:07Z', CLOSED),
      cycle_ms: MS('2019-05-15T15:10:02Z', CLOSED),
    });

    const review = records['code-review-involvement']?.output;
    expect(review).toMatchObject({
      reviewer_count: 2,
      reviews: 2,
      reviews_by_state: { commented: 1, approved: 1 },
      review_comments: 1,
      // Requested ever, from the timeline: hubot and monalisa answered (so are no longer pending).
      requested_reviewers: [
        { login: 'octocat', is_bot: false },
        { login: 'hubot', is_bot: false },
        { login: 'monalisa', is_bot: false },
      ],
      requested_teams: ['justice-league'],
      requested_not_reviewed: ['octocat'],
      pending_at_close: ['octocat'],
      time_to_first_review_ms: MS(CREATED, '2019-05-15T15:20:51Z'),
      time_to_first_approval_ms: MS(CREATED, '2019-05-15T15:21:07Z'),
      merged_without_approval: false,
    });

    const commits = records['commits-per-pr']?.output;
    expect(commits).toMatchObject({
      commits: 3,
      commits_listed: 3,
      commits_truncated: false,
      first_commit_at: '2019-05-15T15:10:02.000Z',
      last_commit_at: '2019-05-15T15:19:55.000Z',
      author_count: 2,
      bot_commits: 1,
      force_pushes: 0,
    });
    expect(commits?.authors).toEqual([
      { name: 'Codertocat', login: 'Codertocat', is_bot: false, commits: 2 },
      { name: 'github-actions[bot]', login: null, is_bot: true, commits: 1 },
    ]);

    expect(records['documentation-updated']?.output).toMatchObject({
      documentation_updated: true,
      documentation_files: 2,
      documentation_paths: ['README.md', 'docs/usage.md'],
      changed_files: 3,
      files_listed: 3,
    });

    for (const record of Object.values(records)) if (record) expectDocumentedExample(record);
  });
});

describe('restored fields: comments, who merged, commit times, head sha', () => {
  test('a pull request merged by a maintainer, with conversation comments and a rebased commit', async () => {
    // The real merged example, as it looks in a repository where a maintainer merges: 4 conversation comments,
    // merged by monalisa, one commit rebased (its committer date moved, its author date kept).
    const pull = addPullRequest(world, helloWorld, {
      number: 2,
      id: 279147437,
      author: 'Codertocat',
      createdAt: CREATED,
      closedAt: CLOSED,
      merged: true,
      base: 'master',
      head: 'changes',
      commits: [
        { author: 'Codertocat', authoredAt: '2019-05-15T15:10:02Z' },
        {
          author: 'Codertocat',
          authoredAt: '2019-05-14T09:00:00Z',
          committedAt: '2019-05-15T15:19:55+02:00',
        },
      ],
      files: ['src/hello.js'],
      reviews: [{ user: 'monalisa', state: 'APPROVED', at: '2019-05-15T15:21:07Z' }],
    });
    const payload = closedExample(pull, {
      merged: true,
      merged_at: CLOSED,
      merged_by: { login: 'monalisa', type: 'User' },
      comments: 4,
    });
    const records = await collect(payload, contextFor(fake));
    const headSha = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821'; // the real payload's head.sha
    expect(records['code-review-involvement']?.output).toMatchObject({
      head_sha: headSha,
      comments: 4,
      review_comments: pull.pull.review_comments,
      merged_by: 'monalisa',
      self_merged: false,
    });
    for (const metric of ['pull-request', 'commits-per-pr', 'documentation-updated']) {
      expect(records[metric]?.output.head_sha).toBe(headSha);
    }
    const commits = pull.commits as { sha: string }[];
    expect(records['commits-per-pr']?.output.commit_times).toEqual([
      {
        sha: commits[0]?.sha,
        authored_at: '2019-05-15T15:10:02.000Z',
        committed_at: '2019-05-15T15:10:02.000Z',
      },
      {
        sha: commits[1]?.sha,
        authored_at: '2019-05-14T09:00:00.000Z',
        committed_at: '2019-05-15T13:19:55.000Z',
      },
    ]);

    // The author merging their own pull request; and one closed without merging (nobody merged it).
    const own = await collect(
      {
        ...payload,
        pull_request: { ...payload.pull_request, merged_by: { login: 'Codertocat', type: 'User' } },
      },
      contextFor(fake),
    );
    expect(own['code-review-involvement']?.output).toMatchObject({
      merged_by: 'Codertocat',
      self_merged: true,
    });
    const closed = await collect(
      {
        ...payload,
        pull_request: { ...payload.pull_request, merged: false, merged_at: null, merged_by: null },
      },
      contextFor(fake),
    );
    expect(closed['code-review-involvement']?.output).toMatchObject({ merged_by: null, self_merged: null });
  });
});

describe('natural key: pull request id + closed_at', () => {
  test('a redelivery lands on the same ids; reopened and closed again is a new record', async () => {
    const pull = seedExamplePull(true);
    const payload = closedExample(pull, { merged: true, merged_at: CLOSED });
    const ids = async (p: typeof payload) =>
      Object.values(await collect(p, contextFor(fake)))
        .map((r) => r?.id)
        .sort();
    const first = await ids(payload);
    expect(await ids(structuredClone(payload))).toEqual(first);
    const reclosed = structuredClone(payload);
    reclosed.pull_request.closed_at = '2019-05-16T09:00:00Z';
    reclosed.pull_request.merged_at = '2019-05-16T09:00:00Z';
    const second = await ids(reclosed);
    expect(second).toHaveLength(4);
    for (const id of second) expect(first).not.toContain(id);
  });
});

describe('pagination: every page of every list', () => {
  test('250 commits, 330 files and 120 reviews are counted fully in 4 GraphQL requests', async () => {
    const files = Array.from({ length: 330 }, (_, i) => `src/part-${i}.ts`);
    files[321] = 'docs/only-on-the-fourth-page.md';
    const pull = addPullRequest(world, helloWorld, {
      number: 7,
      commits: 250,
      commitAuthors: ['alice', 'bob', 'carol'],
      files,
      reviews: 120,
      requested: ['reviewer-0', 'reviewer-1'],
    });
    const records = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
    expect(fake.count('POST', '/graphql')).toBe(4); // files: 100 + 100 + 100 + 30
    const commits = records['commits-per-pr']?.output;
    expect(commits).toMatchObject({ commits: 250, commits_listed: 250, commits_truncated: false });
    expect(commits?.authors.map((a: { commits: number }) => a.commits)).toEqual([84, 83, 83]);
    expect(commits?.first_commit_at).toBe(new Date(pull.commits[0]?.commit.author.date).toISOString());
    expect(commits?.last_commit_at).toBe(new Date(pull.commits[249]?.commit.author.date).toISOString());
    expect(records['documentation-updated']?.output).toMatchObject({
      files_listed: 330,
      changed_files: 330,
      documentation_paths: ['docs/only-on-the-fourth-page.md'],
    });
    const review = records['code-review-involvement']?.output;
    expect(review?.reviews).toBe(120);
    expect(review?.reviews_by_state).toEqual({ commented: 40, changes_requested: 40, approved: 40 });
    expect(review?.reviewer_count).toBe(7);
    expect(records['pull-request']?.output.reviews).toBe(120);
  });

  test('GitHub lists at most 250 commits: the payload count wins and the record says it is truncated', async () => {
    const pull = addPullRequest(world, helloWorld, { number: 8, commits: 260 });
    const records = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
    expect(records['commits-per-pr']?.output).toMatchObject({
      commits: 260,
      commits_listed: 250,
      commits_truncated: true,
    });
    expect(records['pull-request']?.output.commits).toBe(260);
  });
});

describe('edge cases', () => {
  test('a draft made ready: time in draft, ready_at, pickup from ready', async () => {
    const pull = addPullRequest(world, helloWorld, {
      number: 9,
      createdAt: '2026-10-05T09:00:00Z',
      draft: true,
      readyAt: '2026-10-06T09:00:00Z',
      reviews: [{ user: 'alice', state: 'APPROVED', at: '2026-10-06T10:00:00Z' }],
    });
    const records = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
    expect(records['pull-request']?.output).toMatchObject({
      draft: false,
      opened_as_draft: true,
      ready_at: '2026-10-06T09:00:00.000Z',
      time_in_draft_ms: 86_400_000,
    });
    expect(records['pull-request']?.output.stages.pickup_ms).toBe(3_600_000);
    expect(records['code-review-involvement']?.output.time_to_first_review_ms).toBe(3_600_000);
  });

  test('a draft closed without merging: draft the whole time, only the closed-PR metrics', async () => {
    const pull = addPullRequest(world, helloWorld, {
      number: 10,
      createdAt: '2026-10-05T09:00:00Z',
      closedAt: '2026-10-08T09:00:00Z',
      draft: true,
      merged: false,
    });
    const records = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
    expect(Object.keys(records).sort()).toEqual(['code-review-involvement', 'pull-request']);
    expect(records['pull-request']?.output).toMatchObject({
      outcome: 'closed',
      draft: true,
      opened_as_draft: true,
      ready_at: null,
      time_in_draft_ms: 3 * 86_400_000,
      first_review_at: null,
      merged_at: null,
    });
    expect(records['pull-request']?.output.stages).toMatchObject({ pickup_ms: null, review_ms: null });
  });

  test('force-pushed: rewritten commits out of order still give the first and last commit times', async () => {
    const pull = addPullRequest(world, helloWorld, {
      number: 11,
      createdAt: '2026-10-05T09:00:00Z',
      forcePushedAt: '2026-10-06T12:00:00Z',
      // After a rebase the list order is not time order, and committer dates are the rebase time.
      commits: [
        { author: 'alice', authoredAt: '2026-10-04T15:00:00Z', committedAt: '2026-10-06T12:00:00Z' },
        { author: 'alice', authoredAt: '2026-10-03T08:00:00Z', committedAt: '2026-10-06T12:00:01Z' },
        { author: 'bob', authoredAt: '2026-10-05T20:00:00Z', committedAt: '2026-10-06T11:59:59Z' },
      ],
    });
    const records = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
    expect(records['commits-per-pr']?.output).toMatchObject({
      first_commit_at: '2026-10-03T08:00:00.000Z',
      last_commit_at: '2026-10-06T12:00:01.000Z',
      force_pushes: 1,
      author_count: 2,
    });
    expect(records['pull-request']?.output.first_commit_at).toBe('2026-10-03T08:00:00.000Z');
  });

  test('bot authors, bot commits and bot reviewers are flagged', async () => {
    const pull = addPullRequest(world, helloWorld, {
      number: 12,
      author: 'dependabot[bot]',
      commitAuthors: ['dependabot[bot]'],
      commits: 2,
      reviews: [
        { user: 'copilot-pull-request-reviewer[bot]', state: 'COMMENTED', at: '2026-10-05T09:10:00Z' },
        { user: 'alice', state: 'APPROVED', at: '2026-10-05T10:00:00Z' },
      ],
      requested: ['copilot-pull-request-reviewer[bot]'],
    });
    const records = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
    expect(records['pull-request']?.output).toMatchObject({ author: 'dependabot[bot]', author_is_bot: true });
    expect(records['commits-per-pr']?.output).toMatchObject({ bot_commits: 2, author_count: 1 });
    expect(records['commits-per-pr']?.output.authors[0]).toMatchObject({ is_bot: true, commits: 2 });
    const review = records['code-review-involvement']?.output;
    expect(review?.reviewers).toEqual([
      { login: 'copilot-pull-request-reviewer[bot]', is_bot: true, reviews: 1, states: { commented: 1 } },
      { login: 'alice', is_bot: false, reviews: 1, states: { approved: 1 } },
    ]);
    expect(review?.requested_reviewers).toEqual([
      { login: 'copilot-pull-request-reviewer[bot]', is_bot: true },
    ]);
  });

  test('requested reviewers are everyone ever requested, not only those still pending', async () => {
    const pull = addPullRequest(world, helloWorld, {
      number: 13,
      requested: ['alice', 'bob', 'carol', 'team:platform'],
      pending: ['carol'],
      reviews: [
        { user: 'alice', state: 'CHANGES_REQUESTED', at: '2026-10-05T10:00:00Z' },
        { user: 'alice', state: 'APPROVED', at: '2026-10-05T12:00:00Z' },
        { user: 'bob', state: 'DISMISSED', at: '2026-10-05T11:00:00Z' },
        { user: 'dave', state: 'PENDING' },
      ],
    });
    const review = (await collect(pullRequestEvent(helloWorld, pull), contextFor(fake)))[
      'code-review-involvement'
    ]?.output;
    expect(review?.requested_reviewers.map((r: { login: string }) => r.login)).toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    expect(review?.requested_teams).toEqual(['platform']);
    expect(review?.requested_not_reviewed).toEqual(['carol']);
    expect(review?.pending_at_close).toEqual(['carol']);
    expect(review?.reviews_by_state).toEqual({ changes_requested: 1, dismissed: 1, approved: 1 });
    expect(review?.first_review_at).toBe('2026-10-05T10:00:00.000Z');
    expect(review?.first_approval_at).toBe('2026-10-05T12:00:00.000Z');
  });

  test('merged without approval: no approval, or the only approval came after the merge', async () => {
    const none = addPullRequest(world, helloWorld, {
      number: 14,
      reviews: [{ user: 'alice', state: 'COMMENTED', at: '2026-10-05T10:00:00Z' }],
    });
    const late = addPullRequest(world, helloWorld, {
      number: 15,
      closedAt: '2026-10-06T09:00:00Z',
      reviews: [{ user: 'alice', state: 'APPROVED', at: '2026-10-06T09:30:00Z' }],
    });
    for (const pull of [none, late]) {
      const records = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
      expect(records['code-review-involvement']?.output.merged_without_approval).toBe(true);
    }
  });

  test('documentation globs are configurable; a pull request without docs says false', async () => {
    const pull = addPullRequest(world, helloWorld, { number: 16, files: ['manual/intro.txt', 'src/a.ts'] });
    const defaults = await collect(pullRequestEvent(helloWorld, pull), contextFor(fake));
    expect(defaults['documentation-updated']?.output).toMatchObject({
      documentation_updated: false,
      documentation_files: 0,
      documentation_paths: [],
    });
    const custom = await collect(
      pullRequestEvent(helloWorld, pull),
      contextFor(fake, { ...defaultMetricSettings, documentationGlobs: ['manual/**'] }),
    );
    expect(custom['documentation-updated']?.output).toMatchObject({
      globs: ['manual/**'],
      documentation_updated: true,
      documentation_paths: ['manual/intro.txt'],
    });
  });
});

describe('enrichment failures make partial records, never lost ones', () => {
  test('a payload of the wrong shape is rejected with a message naming the field (the worker parks it)', async () => {
    const payload = example('pull_request', 'closed');
    (payload.pull_request as Record<string, unknown>).closed_at = 'yesterday';
    const result = await collectMetrics(signedEventFrom('pull_request', payload), metrics, contextFor(fake));
    expect(result.records).toEqual([]);
    expect(result.failures.map((f) => f.metric).sort()).toEqual([
      'code-review-involvement',
      'commits-per-pr',
      'documentation-updated',
      'pull-request',
    ]);
    for (const failure of result.failures) {
      expect(failure.error).toBeInstanceOf(InvalidPayloadError);
      expect(failure.message).toContain('pull_request.closed_at');
    }
    expect(fake.count()).toBe(0);
  });

  test('no token: every metric is partial and names the call, nothing is requested', async () => {
    const pull = seedExamplePull(true);
    const records = await collect(closedExample(pull, { merged: true, merged_at: CLOSED }), contextFor(null));
    expect(Object.keys(records)).toHaveLength(4);
    for (const record of Object.values(records)) {
      expect(record?.status).toBe('partial');
      expect(record?.errors).toEqual([
        { call: PULL_REQUEST_DATA_CALL, message: expect.stringContaining('no GitHub token') },
      ]);
    }
    expect(fake.count()).toBe(0);
    // What the payload alone says is still there; what needs the API is null, not a made-up zero.
    expect(records['pull-request']?.output).toMatchObject({ outcome: 'merged', commits: 3, reviews: null });
    expect(records['code-review-involvement']?.output).toMatchObject({
      reviewers: null,
      review_comments: 1,
      merged_without_approval: null,
    });
    expect(records['documentation-updated']?.output.documentation_updated).toBeNull();
  });

  test('a repository the token cannot see (GraphQL NOT_FOUND): partial, "cannot read", status 404', async () => {
    world.repos.clear();
    const pull = addPullRequest(world, world.addRepo('someone', 'else'), { number: 2 });
    const records = await collect(closedExample(pull, { merged: true, merged_at: CLOSED }), contextFor(fake));
    for (const record of Object.values(records)) {
      expect(record?.status).toBe('partial');
      expect(record?.errors).toEqual([
        {
          call: PULL_REQUEST_DATA_CALL,
          status: 404,
          message: expect.stringContaining('the token cannot read this repository'),
        },
      ]);
    }
    expect(fake.count('POST', '/graphql')).toBe(1);
  });

  test('a server error: partial with the status, and the other metrics still come out', async () => {
    const pull = seedExamplePull(false);
    fake.injectFault({ kind: '502', match: (r) => r.path === '/graphql' });
    const records = await collect(closedExample(pull), contextFor(fake));
    expect(records['pull-request']?.status).toBe('partial');
    expect(records['pull-request']?.errors[0]).toMatchObject({ call: PULL_REQUEST_DATA_CALL, status: 502 });
    expect(records['code-review-involvement']?.status).toBe('partial');
  });
});

function counts(p: Record<string, unknown>) {
  const { commits, additions, deletions, changed_files, review_comments } = p;
  return { commits, additions, deletions, changed_files, review_comments };
}
