import type { DeploymentOutput } from '../../src/metrics/deployment';
import { addCommits, addDeployment } from '../fake-github/routes/deployments';
import { expectDocumentedExample } from '../support/metrics-doc';
import { example, signedEventFrom } from '../support/webhooks';
import { collectRecords } from './collect';
import { useFakeGitHub } from './github-fixture';

type Payload = { deployment: Record<string, unknown> & { creator: Record<string, unknown> } };

const fixture = useFakeGitHub();
const created = '2019-05-15T15:20:53Z'; // the real payload's deployment time

/** The real deployment.created example's repository in the fake world, with some commits. */
function seedRepo() {
  const { world } = fixture();
  const repo = world.addRepo('Codertocat', 'Hello-World');
  const [commit] = addCommits(world, repo, 1, { start: '2019-05-15T10:00:00Z' });
  return { world, repo, sha: commit!.sha as string };
}

const collect = (payload: unknown, withToken = true) =>
  collectRecords<DeploymentOutput>(
    signedEventFrom('deployment', payload as Record<string, unknown>),
    'deployment',
    withToken ? { github: fixture().github } : {},
  );

describe('deployment', () => {
  it('records a created deployment with the time since the previous one to the same environment', async () => {
    const { world, repo, sha } = seedRepo();
    const previous = addDeployment(world, repo, {
      environment: 'production',
      sha,
      createdAt: '2019-05-15T13:05:53Z',
    });
    addDeployment(world, repo, { environment: 'production', sha, createdAt: '2019-05-14T09:00:00Z' });
    addDeployment(world, repo, { environment: 'staging', sha, createdAt: '2019-05-15T15:00:00Z' });
    // This deployment itself, and one created after it (as seen by a backfill).
    addDeployment(world, repo, { id: 145988746, environment: 'production', sha, createdAt: created });
    addDeployment(world, repo, { environment: 'production', sha, createdAt: '2019-05-16T08:00:00Z' });
    fixture().takeRequests();

    const [record] = await collect(example('deployment', 'created'));
    expect(record?.status).toBe('complete');
    expect(record?.output).toMatchObject({
      deployment_id: '145988746',
      environment: 'production',
      production: null, // this payload predates production_environment
      ref: 'master',
      sha: 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e',
      task: 'deploy',
      creator: 'Codertocat',
      creator_is_bot: false,
      created_at: '2019-05-15T15:20:53.000Z',
      previous_deployment_id: String(previous.deployment.id),
      since_previous_ms: (2 * 60 + 15) * 60_000,
    });
    expect(fixture().takeRequests()).toEqual(['GET /repos/Codertocat/Hello-World/deployments']);
    expectDocumentedExample(record!);
  });

  it('reads further pages while every deployment listed is newer (backfill of an old deployment)', async () => {
    const { world, repo, sha } = seedRepo();
    const previous = addDeployment(world, repo, {
      environment: 'production',
      sha,
      createdAt: '2019-05-15T15:00:00Z',
    });
    for (let i = 0; i < 25; i++) {
      addDeployment(world, repo, {
        environment: 'production',
        sha,
        createdAt: `2019-06-${String(i + 1).padStart(2, '0')}T00:00:00Z`,
      });
    }
    fixture().takeRequests();
    const [record] = await collect(example('deployment', 'created'));
    expect(record?.output.previous_deployment_id).toBe(String(previous.deployment.id));
    expect(record?.output.since_previous_ms).toBe(20 * 60_000 + 53_000);
    expect(fixture().takeRequests()).toHaveLength(3); // 10 a page: 25 newer ones, then the previous one
  });

  it('has no previous deployment for the first one to an environment', async () => {
    seedRepo();
    const [record] = await collect(example('deployment', 'created'));
    expect(record?.status).toBe('complete');
    expect(record?.output.previous_deployment_id).toBeNull();
    expect(record?.output.since_previous_ms).toBeNull();
  });

  it('flags bot creators and keeps GitHub’s production flag', async () => {
    seedRepo();
    const payload = example('deployment', 'created') as Payload;
    payload.deployment.creator = { ...payload.deployment.creator, login: 'github-actions[bot]', type: 'Bot' };
    payload.deployment.production_environment = true;
    const [record] = await collect(payload);
    expect(record?.output).toMatchObject({
      creator: 'github-actions[bot]',
      creator_is_bot: true,
      production: true,
    });
  });

  it('makes a partial record naming the call without a token, or when the repository cannot be read', async () => {
    const [noToken] = await collect(example('deployment', 'created'), false);
    expect(noToken?.status).toBe('partial');
    expect(noToken?.errors).toEqual([
      { call: 'GET /repos/{owner}/{repo}/deployments', message: expect.stringContaining('no GitHub token') },
    ]);
    expect(noToken?.output.environment).toBe('production');

    const [hidden] = await collect(example('deployment', 'created')); // the repository is not in the world
    expect(hidden?.status).toBe('partial');
    expect(hidden?.errors[0]).toMatchObject({ status: 404, message: expect.stringContaining('cannot read') });
  });
});
