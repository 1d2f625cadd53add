import type { DeploymentStatusOutput } from '../../src/metrics/deployment-status';
import { addCommits, addDeployment, addMergedPull } from '../fake-github/routes/deployments';
import type { FakeDeployment } from '../fake-github/world';
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
      compared_commit_count: 0,
      already_shipped_count: 0,
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

/**
 * The real `success` payload as GitHub sends it for one deployment of a seeded history: that deployment's id,
 * sha and creation time, the status's own id and time.
 */
function successOf(deployment: FakeDeployment, statusId: number): Payload {
  const d = deployment.deployment;
  const status = deployment.statuses.find((s) => s.state === 'success') as { created_at: string };
  const payload = success(d.sha as string);
  Object.assign(payload.deployment, { id: d.id, created_at: d.created_at });
  Object.assign(payload.deployment_status, { id: statusId, created_at: status.created_at });
  return payload;
}

const day = (n: number, time = '12:00:00') => `2019-05-${String(n).padStart(2, '0')}T${time}Z`;

describe('each commit counts once, when it first reaches production (DORA)', () => {
  /**
   * Codertocat/Hello-World, every commit 1 h apart from 2019-05-01: c0–c2 (A = c2), c3–c5 (B = c5), c6–c7
   * (C = c7). Production: A on the 2nd, B on the 6th, a rollback to A on the 8th, C with the real payload's
   * deployment on the 15th.
   */
  function rollbackHistory(failuresBetween = 0) {
    const { world } = fixture();
    const repo = world.addRepo('Codertocat', 'Hello-World');
    const c = addCommits(world, repo, 8, { start: '2019-05-01T00:00:00Z', stepMs: 3_600_000 });
    const sha = (i: number) => c[i]!.sha as string;
    const deploy = (id: number, at: string, commit: number) =>
      addDeployment(world, repo, {
        id,
        environment: 'production',
        sha: sha(commit),
        createdAt: at,
        statuses: [{ state: 'success', createdAt: at.replace(':00:00Z', ':04:00Z') }],
      });
    const a = deploy(1001, day(2), 2);
    const b = deploy(1002, day(6), 5);
    for (let i = 0; i < failuresBetween; i++) {
      addDeployment(world, repo, {
        environment: 'production',
        sha: sha(5),
        createdAt: day(7, `${String(i + 8).padStart(2, '0')}:00:00`),
        statuses: [{ state: 'failure', createdAt: day(7, `${String(i + 8).padStart(2, '0')}:05:00`) }],
      });
    }
    const rollback = deploy(1003, day(8), 2);
    const release = deploy(DEPLOYMENT_ID, CREATED, 7);
    release.statuses[0]!.created_at = DEPLOYED;
    addMergedPull(world, repo, { number: 11, commits: c.slice(3, 6), mergedAt: day(5) });
    addMergedPull(world, repo, { number: 12, commits: c.slice(6), mergedAt: day(14) });
    fixture().takeRequests();
    return { c, sha, a, b, rollback, release };
  }

  it('after a rollback, the next release counts only what production never had', async () => {
    const { c, sha, b, rollback, release } = rollbackHistory();
    const [record] = await collect(successOf(release, 5004));
    expect(record?.status).toBe('complete');
    // A..C holds c3–c7; c3–c5 reached production with B on the 6th (before the rollback): not again.
    expect(record?.output.shipped).toEqual({
      previous_deployment_id: '1003',
      previous_sha: sha(2),
      baseline: false,
      compared_commit_count: 5,
      already_shipped_count: 3,
      commit_count: 2,
      first_commit_at: '2019-05-01T06:00:00.000Z',
      lead_time_ms: Date.parse(DEPLOYED) - Date.parse(c[6]!.commit.author.date),
      pull_requests: [
        { number: 12, merged_at: '2019-05-14T12:00:00.000Z', merged_to_deployed_ms: expect.any(Number) },
      ],
    });
    // Still three requests: B was on the page the lookup read.
    expect(fixture().takeRequests()).toEqual([
      'POST /graphql',
      `GET /repos/Codertocat/Hello-World/compare/${sha(2)}...${sha(7)}`,
      'POST /graphql',
    ]);

    // The whole history, one status at a time as the webhook delivers them: every commit after A once.
    const [first] = await collect(successOf(b, 5002));
    const [back] = await collect(successOf(rollback, 5003));
    expect(first?.output.shipped).toMatchObject({ previous_deployment_id: '1001', commit_count: 3 });
    expect(back?.output.shipped).toMatchObject({
      previous_deployment_id: '1002',
      compared_commit_count: 0,
      commit_count: 0,
      lead_time_ms: null,
    });
    const counts = [first, back, record].map((r) => r?.output.shipped?.commit_count);
    expect(counts).toEqual([3, 0, 2]);
    expect(counts.reduce((x, y) => (x ?? 0) + (y ?? 0), 0)).toBe(c.length - 3);
  });

  it('reads further back when the release before the rollback is beyond the lookup page', async () => {
    const { sha } = rollbackHistory(12);
    const [record] = await collect(success(sha(7)));
    expect(record?.output.shipped).toMatchObject({
      previous_deployment_id: '1003',
      compared_commit_count: 5,
      already_shipped_count: 3,
      commit_count: 2,
    });
    // The lookup's page (the release, the rollback, 8 failures) reaches back to the 7th; c3 was committed on
    // the 1st, so one more page (100 deployments) finds B.
    expect(fixture().takeRequests()).toEqual([
      'POST /graphql',
      `GET /repos/Codertocat/Hello-World/compare/${sha(2)}...${sha(7)}`,
      'POST /graphql',
      'POST /graphql',
    ]);
  });

  it('overlapping deployments: "previous" is the last to reach production, and no commit counts twice', async () => {
    const { world } = fixture();
    const repo = world.addRepo('Codertocat', 'Hello-World');
    const c = addCommits(world, repo, 9, { start: '2019-05-01T00:00:00Z', stepMs: 3_600_000 });
    const sha = (i: number) => c[i]!.sha as string;
    const deploy = (id: number, commit: number, createdAt: string, succeededAt: string) =>
      addDeployment(world, repo, {
        id,
        environment: 'production',
        sha: sha(commit),
        createdAt,
        statuses: [
          { state: 'in_progress', createdAt },
          { state: 'success', createdAt: succeededAt },
        ],
      });
    deploy(2001, 2, day(2), day(2, '12:05:00'));
    // A slow deployment of c4 is overtaken by a fast one of c6, created a minute later and done first.
    const slow = deploy(2002, 4, day(10, '09:00:00'), day(10, '09:40:00'));
    const fast = deploy(2003, 6, day(10, '09:01:00'), day(10, '09:06:00'));
    const next = deploy(DEPLOYMENT_ID, 8, CREATED, DEPLOYED);
    fixture().takeRequests();

    const [fastRecord] = await collect(successOf(fast, 6003));
    const [slowRecord] = await collect(successOf(slow, 6002));
    const [nextRecord] = await collect(successOf(next, 6004));
    // c3–c6 reached production with the fast one; the slow one, finishing later, brought nothing new.
    expect(fastRecord?.output.shipped).toMatchObject({ previous_deployment_id: '2001', commit_count: 4 });
    expect(slowRecord?.output.shipped).toMatchObject({
      previous_deployment_id: '2003',
      compared_commit_count: 0,
      commit_count: 0,
    });
    // The last to finish before the next one is the slow one (c4), though the fast one was created later:
    // c5 and c6 are in c4..c8 but production had them.
    expect(nextRecord?.output.shipped).toMatchObject({
      previous_deployment_id: '2002',
      previous_sha: sha(4),
      compared_commit_count: 4,
      already_shipped_count: 2,
      commit_count: 2,
      first_commit_at: '2019-05-01T07:00:00.000Z',
    });
    const counts = [fastRecord, slowRecord, nextRecord].map((r) => r?.output.shipped?.commit_count ?? 0);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(c.length - 3);
  });
});
