import type { DeploymentOutput } from '../../src/metrics/deployment';
import { setFiles, setFilesAt } from '../fake-github/routes/contents';
import { addCommits, addDeployment } from '../fake-github/routes/deployments';
import { expectDocumentedExample } from '../support/metrics-doc';
import { example, signedEventFrom } from '../support/webhooks';
import { collectRecords } from './collect';
import { useFakeGitHub } from './github-fixture';

type Payload = { deployment: Record<string, unknown> & { creator: Record<string, unknown> } };

const fixture = useFakeGitHub();
const created = '2019-05-15T15:20:53Z'; // the real payload's deployment time

const DEPLOYED_SHA = 'f95f852bd8fca8fcc58a9a2d6c842781e32a215e'; // the real payload's sha

/**
 * The real deployment.created example's repository in the fake world: some commits, then the deployed one
 * (the payload's sha) whose package.json says 1.4.0, while the branch has moved on to 1.5.0-dev.
 */
function seedRepo() {
  const { world } = fixture();
  const repo = world.addRepo('Codertocat', 'Hello-World');
  const [commit] = addCommits(world, repo, 1, { start: '2019-05-15T10:00:00Z' });
  repo.history.push(DEPLOYED_SHA);
  repo.commits.set(DEPLOYED_SHA, { ...commit, sha: DEPLOYED_SHA, parents: [{ sha: commit!.sha }] });
  const manifest = (version: string) =>
    `${JSON.stringify({ name: 'hello-world', version, private: true, scripts: { test: 'jest' } }, null, 2)}\n`;
  setFilesAt(repo, DEPLOYED_SHA, { 'package.json': manifest('1.4.0') });
  setFiles(repo, { 'package.json': manifest('1.5.0-dev') });
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
      version: '1.4.0', // at the deployed commit, not the branch head's 1.5.0-dev
      version_file: 'package.json#version',
    });
    expect(fixture().takeRequests()).toEqual([
      'GET /repos/Codertocat/Hello-World/deployments',
      'GET /repos/Codertocat/Hello-World/contents/package.json',
    ]);
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
    // 10 a page: 25 newer ones, then the previous one; then the version.
    expect(fixture().takeRequests()).toHaveLength(3 + 1);
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

  it('reads the configured version file; no file or no field is null, not an error (R7)', async () => {
    const { repo } = seedRepo();
    // A monorepo whose release version lives in a service's manifest, under a nested field.
    setFilesAt(repo, DEPLOYED_SHA, {
      'services/api/release.json': JSON.stringify({ release: { version: '2026.11.3' } }),
    });
    const [nested] = await collectRecords<DeploymentOutput>(
      signedEventFrom('deployment', example('deployment', 'created')),
      'deployment',
      {
        github: fixture().github,
        settings: { versionFile: { path: 'services/api/release.json', field: 'release.version' } },
      },
    );
    expect(nested?.output).toMatchObject({
      version: '2026.11.3',
      version_file: 'services/api/release.json#release.version',
    });

    // A repository without package.json at that commit, and one whose package.json has no version.
    repo.filesAt.clear();
    repo.files.clear();
    const [none] = await collect(example('deployment', 'created'));
    expect(none?.status).toBe('complete');
    expect(none?.output.version).toBeNull();
    setFilesAt(repo, DEPLOYED_SHA, { 'package.json': '{"name": "hello-world", "private": true}' });
    const [unversioned] = await collect(example('deployment', 'created'));
    expect(unversioned?.status).toBe('complete');
    expect(unversioned?.output.version).toBeNull();
  });

  it('makes a partial record naming the call without a token, or when the repository cannot be read', async () => {
    const [noToken] = await collect(example('deployment', 'created'), false);
    expect(noToken?.status).toBe('partial');
    expect(noToken?.errors).toEqual([
      { call: 'GET /repos/{owner}/{repo}/deployments', message: expect.stringContaining('no GitHub token') },
      {
        call: 'GET /repos/{owner}/{repo}/contents/{path}',
        message: expect.stringContaining('no GitHub token'),
      },
    ]);
    expect(noToken?.output.environment).toBe('production');

    const [hidden] = await collect(example('deployment', 'created')); // the repository is not in the world
    expect(hidden?.status).toBe('partial');
    expect(hidden?.errors[0]).toMatchObject({ status: 404, message: expect.stringContaining('cannot read') });
    expect(hidden?.errors[1]).toMatchObject({
      call: 'GET /repos/{owner}/{repo}/contents/{path}',
      status: 404,
    });
    expect(hidden?.output.version).toBeNull();
  });
});
