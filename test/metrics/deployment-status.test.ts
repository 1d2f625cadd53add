import type { DeploymentStatusOutput } from '../../src/metrics/deployment-status';
import { addCommits, addDeployment, addMergedPull } from '../fake-github/routes/deployments';
import { expectDocumentedExample } from '../support/metrics-doc';
import { examplesOf, signedEventFrom } from '../support/webhooks';
import { collectRecords } from './collect';
import { useFakeGitHub } from './github-fixture';

type Payload = {
  deployment: Record<string, unknown> & { creator: Record<string, unknown> };
  deployment_status: Record<string, unknown>;
};

const fixture = useFakeGitHub();
const DEPLOYMENT_ID = 145988746;
const CREATED = '2019-05-15T15:20:53Z'; // the real payload's deployment time
const DEPLOYED = '2019-05-15T15:20:55Z'; // and its success status time

/** The real `success` example, deploying `sha`. */
function success(sha: string): Payload {
  const payload = examplesOf('deployment_status', 'created').find(
    (p) => (p.deployment_status as { state: string }).state === 'success',
  ) as unknown as Payload;
  payload.deployment.sha = sha;
  return payload;
}

const collect = (payload: Payload, withToken = true) =>
  collectRecords<DeploymentStatusOutput>(
    signedEventFrom('deployment_status', payload as unknown as Record<string, unknown>),
    'deployment-status',
    withToken ? { github: fixture().github } : {},
  );

/**
 * Codertocat/Hello-World: `before` commits, then a successful production deployment of the last of them,
 * then `after` commits (1 min apart, from 2019-05-01) deployed by the real payload's deployment.
 */
function seed(before: number, after: number) {
  const { world } = fixture();
  const repo = world.addRepo('Codertocat', 'Hello-World');
  const old = addCommits(world, repo, before, { start: '2019-04-30T00:00:00Z', stepMs: 60_000 });
  const shipped = addCommits(world, repo, after, { start: '2019-05-01T00:00:00Z', stepMs: 60_000 });
  const previous = addDeployment(world, repo, {
    environment: 'production',
    sha: old[old.length - 1]!.sha,
    createdAt: '2019-05-10T12:00:00Z',
    statuses: [
      { state: 'in_progress', createdAt: '2019-05-10T12:00:05Z' },
      { state: 'success', createdAt: '2019-05-10T12:03:00Z' },
      // GitHub marks the previous deployment inactive once a newer one succeeds: it still counts.
      { state: 'inactive', createdAt: '2019-05-15T15:20:56Z' },
    ],
  });
  const head = (shipped[shipped.length - 1] ?? old[old.length - 1])!.sha as string;
  addDeployment(world, repo, {
    id: DEPLOYMENT_ID,
    environment: 'production',
    sha: head,
    createdAt: CREATED,
    statuses: [{ state: 'success', createdAt: DEPLOYED }],
  });
  fixture().takeRequests();
  return { world, repo, shipped, previous, head };
}

describe('deployment-status', () => {
  it('computes lead time and shipped pull requests in three requests', async () => {
    const { world, repo, shipped, previous, head } = seed(5, 3);
    addMergedPull(world, repo, { number: 7, commits: shipped.slice(0, 2), mergedAt: '2019-05-14T09:00:00Z' });
    addMergedPull(world, repo, { number: 9, commits: shipped.slice(2), mergedAt: '2019-05-15T11:20:55Z' });
    const [record] = await collect(success(head));
    expect(record?.status).toBe('complete');
    expect(record?.output).toMatchObject({
      deployment_id: String(DEPLOYMENT_ID),
      status_id: '209916254',
      state: 'success',
      environment: 'production',
      sha: head,
      creator: 'Codertocat',
      deploy_duration_ms: 2_000,
      shipped: {
        previous_deployment_id: String(previous.deployment.id),
        previous_sha: previous.deployment.sha,
        baseline: false,
        commit_count: 3,
        first_commit_at: '2019-05-01T00:00:00.000Z',
        lead_time_ms: Date.parse(DEPLOYED) - Date.parse('2019-05-01T00:00:00Z'),
        pull_requests: [
          {
            number: 7,
            merged_at: '2019-05-14T09:00:00.000Z',
            merged_to_deployed_ms: Date.parse(DEPLOYED) - Date.parse('2019-05-14T09:00:00Z'),
          },
          { number: 9, merged_at: '2019-05-15T11:20:55.000Z', merged_to_deployed_ms: 4 * 3_600_000 },
        ],
      },
    });
    expect(fixture().takeRequests()).toEqual([
      'POST /graphql',
      `GET /repos/Codertocat/Hello-World/compare/${previous.deployment.sha}...${head}`,
      'POST /graphql',
    ]);
    expectDocumentedExample(record!);
  });

  it('reads every page: 310 shipped commits, 12 failed deployments in between', async () => {
    const { world, repo, shipped, previous, head } = seed(10, 310);
    // Newer failed deployments and a newer success to another environment are not the previous success.
    for (let i = 0; i < 12; i++) {
      addDeployment(world, repo, {
        environment: 'production',
        sha: shipped[100 + i]!.sha,
        createdAt: `2019-05-14T${String(i + 10)}:00:00Z`,
        statuses: [{ state: 'failure', createdAt: `2019-05-14T${String(i + 10)}:05:00Z` }],
      });
    }
    addDeployment(world, repo, {
      environment: 'staging',
      sha: shipped[200]!.sha,
      createdAt: '2019-05-15T10:00:00Z',
      statuses: [{ state: 'success', createdAt: '2019-05-15T10:01:00Z' }],
    });
    addMergedPull(world, repo, {
      number: 1,
      commits: shipped.slice(0, 150),
      mergedAt: '2019-05-03T00:00:00Z',
    });
    addMergedPull(world, repo, {
      number: 2,
      commits: shipped.slice(150, 309),
      mergedAt: '2019-05-12T00:00:00Z',
    });
    // The last commit is only in an open pull request: deployed from its branch before merging.
    addMergedPull(world, repo, { number: 3, commits: shipped.slice(309), mergedAt: DEPLOYED, state: 'open' });
    fixture().takeRequests();

    const [record] = await collect(success(head));
    expect(record?.status).toBe('complete');
    expect(record?.output.shipped).toMatchObject({
      previous_deployment_id: String(previous.deployment.id),
      commit_count: 310,
      first_commit_at: '2019-05-01T00:00:00.000Z',
      pull_requests: [
        { number: 1, merged_at: '2019-05-03T00:00:00.000Z' },
        { number: 2, merged_at: '2019-05-12T00:00:00.000Z' },
        { number: 3, merged_at: null, merged_to_deployed_ms: null },
      ],
    });
    // Why every page matters: an unpaginated compare stops at 250 commits.
    const { data: unpaginated } = await fixture().github.request(
      'GET /repos/{owner}/{repo}/compare/{basehead}',
      {
        owner: 'Codertocat',
        repo: 'Hello-World',
        basehead: `${previous.deployment.sha}...${head}`,
      },
    );
    expect([unpaginated.total_commits, unpaginated.commits.length]).toEqual([310, 250]);
    const requests = fixture().takeRequests().slice(0, -1);
    // 14 production deployments, 10 a page: 2 queries; 310 commits, 100 a page: 4 compare pages and 4
    // pull-request queries of at most 100 commits.
    expect(requests.filter((r) => r.includes('/compare/'))).toHaveLength(4);
    expect(requests.filter((r) => r === 'POST /graphql')).toHaveLength(2 + 4);
  });

  it('treats the first successful deployment to an environment as a baseline', async () => {
    const { world } = fixture();
    const repo = world.addRepo('Codertocat', 'Hello-World');
    const [commit] = addCommits(world, repo, 1, { start: '2019-05-01T00:00:00Z' });
    // An earlier deployment that failed is no previous success.
    addDeployment(world, repo, {
      environment: 'production',
      sha: commit!.sha,
      createdAt: '2019-05-02T00:00:00Z',
      statuses: [{ state: 'error', createdAt: '2019-05-02T00:01:00Z' }],
    });
    fixture().takeRequests();
    const [record] = await collect(success(commit!.sha));
    expect(record?.status).toBe('complete');
    expect(record?.output.shipped).toEqual({
      previous_deployment_id: null,
      previous_sha: null,
      baseline: true,
      commit_count: 0,
      first_commit_at: null,
      lead_time_ms: null,
      pull_requests: [],
    });
    expect(fixture().takeRequests()).toEqual(['POST /graphql']);
  });

  it('ships nothing when the same sha is deployed again (one request)', async () => {
    const { previous } = seed(3, 0);
    const [record] = await collect(success(previous.deployment.sha));
    expect(record?.output.shipped).toMatchObject({
      baseline: false,
      commit_count: 0,
      lead_time_ms: null,
      pull_requests: [],
    });
    expect(fixture().takeRequests()).toEqual(['POST /graphql']);
  });

  it('records other states without API calls; bot creators are flagged', async () => {
    const inProgress = examplesOf('deployment_status', 'created').find(
      (p) => (p.deployment_status as { state: string }).state === 'in_progress',
    ) as unknown as Payload;
    inProgress.deployment.creator = {
      ...inProgress.deployment.creator,
      login: 'github-pages[bot]',
      type: 'Bot',
    };
    const [record] = await collect(inProgress);
    expect(record?.status).toBe('complete');
    expect(record?.output).toMatchObject({
      state: 'in_progress',
      environment: 'github-pages',
      creator: 'github-pages[bot]',
      creator_is_bot: true,
      status_creator: 'github-pages[bot]',
      shipped: null,
    });
    expect(fixture().takeRequests()).toEqual([]);
  });

  it('makes partial records naming the failed call', async () => {
    const [noToken] = await collect(success('f95f852bd8fca8fcc58a9a2d6c842781e32a215e'), false);
    expect(noToken?.status).toBe('partial');
    expect(noToken?.errors).toEqual([
      {
        call: 'POST /graphql (PreviousSuccessfulDeployment)',
        message: expect.stringContaining('no GitHub token'),
      },
    ]);

    const [hidden] = await collect(success('f95f852bd8fca8fcc58a9a2d6c842781e32a215e')); // not in the world
    expect(hidden?.errors[0]).toMatchObject({ status: 404, message: expect.stringContaining('cannot read') });

    const { head } = seed(2, 2);
    fixture().fake.injectFault({ kind: '500', match: (r) => r.path.includes('/compare/'), times: 5 });
    const [failed] = await collect(success(head));
    expect(failed?.status).toBe('partial');
    expect(failed?.errors).toEqual([
      expect.objectContaining({ call: 'GET /repos/{owner}/{repo}/compare/{basehead}', status: 500 }),
    ]);
    expect(failed?.output.shipped?.previous_sha).not.toBeNull();
  });
});
