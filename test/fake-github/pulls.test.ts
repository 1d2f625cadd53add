import { createGitHubClient } from '../../src/github/client';
import { PULL_REQUEST_DATA_QUERY } from '../../src/github/pull-request-data';
import { startFakeGitHub } from '../metrics/pull-request-support';
import { addPullRequest } from './routes/pulls';
import type { FakeGitHub } from './server';
import type { World } from './world';

let fake: FakeGitHub;
let world: World;
beforeEach(async () => {
  ({ fake, world } = await startFakeGitHub());
});
afterEach(() => fake.stop());

describe('fake GitHub pull requests', () => {
  test('REST lists page as GitHub does (30 by default), commits stop at 250', async () => {
    const repo = world.addRepo('acme', 'shop');
    addPullRequest(world, repo, { number: 4, commits: 260, files: 330, reviews: 120, reviewComments: 45 });
    const github = createGitHubClient({ token: 't', baseUrl: fake.baseUrl });
    const args = { owner: 'acme', repo: 'shop', pull_number: 4 };
    const firstPage = await github.rest.pulls.listFiles(args);
    expect(firstPage.data).toHaveLength(30);
    expect(firstPage.headers.link).toContain('rel="next"');
    expect(await github.paginate(github.rest.pulls.listCommits, { ...args, per_page: 100 })).toHaveLength(
      250,
    );
    expect(await github.paginate(github.rest.pulls.listFiles, { ...args, per_page: 100 })).toHaveLength(330);
    expect(await github.paginate(github.rest.pulls.listReviews, { ...args, per_page: 100 })).toHaveLength(
      120,
    );
    expect(await github.paginate(github.rest.pulls.listReviewComments, args)).toHaveLength(45);
    const timeline = await github.paginate(github.rest.issues.listEventsForTimeline, {
      owner: 'acme',
      repo: 'shop',
      issue_number: 4,
    });
    expect(timeline.map((e) => (e as { event?: string }).event)).toEqual(['labeled', 'closed']);
    const pull = await github.rest.pulls.get(args);
    expect(pull.data).toMatchObject({ number: 4, commits: 260, changed_files: 330, merged: true });
    await expect(github.rest.pulls.get({ ...args, pull_number: 99 })).rejects.toMatchObject({ status: 404 });
  });

  test('GraphQL PullRequestData pages by cursor with totalCount and only the included lists', async () => {
    const repo = world.addRepo('acme', 'shop');
    addPullRequest(world, repo, { number: 5, commits: 260, files: 45 });
    const github = createGitHubClient({ token: 't', baseUrl: fake.baseUrl });
    const base = { owner: 'acme', name: 'shop', number: 5, first: 100, withFiles: false, withReviews: false };
    const page = async (after: string | null) =>
      (
        (await github.graphql(PULL_REQUEST_DATA_QUERY, {
          ...base,
          withCommits: true,
          commitsAfter: after,
          withTimeline: false,
        })) as {
          repository: {
            pullRequest: Record<
              string,
              { totalCount: number; nodes: unknown[]; pageInfo: { hasNextPage: boolean; endCursor: string } }
            >;
          };
        }
      ).repository.pullRequest;
    const one = await page(null);
    expect(Object.keys(one)).toEqual(['commits']);
    expect(one.commits).toMatchObject({ totalCount: 260, pageInfo: { hasNextPage: true } });
    const two = await page(one.commits?.pageInfo.endCursor ?? null);
    const three = await page(two.commits?.pageInfo.endCursor ?? null);
    expect(three.commits?.nodes).toHaveLength(50);
    expect(three.commits?.pageInfo.hasNextPage).toBe(false);
    await expect(
      github.graphql(PULL_REQUEST_DATA_QUERY, {
        ...base,
        owner: 'nobody',
        withCommits: true,
        withTimeline: false,
      }),
    ).rejects.toMatchObject({
      errors: [expect.objectContaining({ type: 'NOT_FOUND' })],
    });
  });
});
