import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { pipelineResources } from '../../lambda/adapters/pipeline-resources';
import { SsmSecrets } from '../../lambda/adapters/ssm-secrets';
import { configSchema } from '../../src/config/config';
import { silentLogger } from '../../src/log/logger';
import { buildRecord } from '../../src/pipeline/record';
import { appRoutes, installApp } from '../fake-github/routes/app';
import { gitRoutes } from '../fake-github/routes/git';
import { FakeGitHub } from '../fake-github/server';
import { World } from '../fake-github/world';
import { recordsIn } from '../store/support';
import { APP_ID, appKeys } from '../support/github-app';
import { example, signedEventFrom } from '../support/webhooks';

const ssm = mockClient(SSMClient);
const P = '/telemetry/test';

test('worker/schedule resources on the GitHub App: id and key from SSM, commits with installation tokens', async () => {
  const fake = new FakeGitHub({ contentLimits: false });
  const git = gitRoutes(fake);
  const repo = await git.createRepo('acme', 'telemetry-data');
  const app = appRoutes(fake, new World(), { appId: APP_ID, publicKeyPem: appKeys().publicKey });
  installApp(app, 'acme', { permissions: { metadata: 'read', contents: 'write' } });
  await fake.start();
  ssm.reset();
  ssm
    .on(GetParameterCommand, { Name: `${P}/github-app/app-id` })
    .resolves({ Parameter: { Value: String(APP_ID) } });
  ssm
    .on(GetParameterCommand, { Name: `${P}/github-app/private-key` })
    .resolves({ Parameter: { Value: appKeys().privateKey } });
  try {
    const config = configSchema.parse({
      instance: 'test',
      github: { apiUrl: fake.baseUrl },
      githubAuth: { source: 'app', data: 'app', owners: ['acme'] },
      dataRepository: { owner: 'acme', name: 'telemetry-data' },
    });
    const resources = pipelineResources({
      config,
      secrets: new SsmSecrets({ ssm: new SSMClient({}), ttlMs: 300_000 }),
      parameters: { appId: `${P}/github-app/app-id`, appKey: `${P}/github-app/private-key` },
      logger: silentLogger,
    });
    const first = await resources();
    expect(await resources()).toBe(first); // same credentials: same clients, same installation tokens

    const event = signedEventFrom('workflow_job', example('workflow_job', 'completed'));
    const record = buildRecord(
      'workflow-job',
      event,
      {
        naturalKey: 'job-1',
        owner: 'acme',
        repo: 'widgets',
        occurredAt: '2026-11-20T10:00:00Z',
        output: { ok: true },
      },
      '2026-11-20T10:00:01Z',
    );
    await first.store.write([record]);
    // The record is in the data repository (a pack, read as readers read it) under its id.
    expect([...recordsIn(await git.dataFiles(repo), '').values()]).toEqual([record]);
    // Every commit request carried an installation token of the App; the source client is the App too.
    const commits = fake.contentWrites.filter((w) => w.path.startsWith('/repos/'));
    expect(commits.length).toBeGreaterThan(0);
    expect(commits.every((w) => w.token.startsWith('ghs_'))).toBe(true);
    expect((await first.github?.request('GET /app'))?.data?.id).toBe(APP_ID);
    // Only the App's two parameters were read, once each (the token parameters are not even named).
    expect(
      ssm
        .commandCalls(GetParameterCommand)
        .map((c) => c.args[0].input.Name)
        .sort(),
    ).toEqual([`${P}/github-app/app-id`, `${P}/github-app/private-key`]);
  } finally {
    await fake.stop();
  }
});

test('an App role whose parameters are missing fails naming them', async () => {
  ssm.reset();
  ssm.on(GetParameterCommand).rejects(Object.assign(new Error('not found'), { name: 'ParameterNotFound' }));
  const resources = pipelineResources({
    config: configSchema.parse({
      githubAuth: { source: 'app', data: 'app' },
      dataRepository: { owner: 'a', name: 'b' },
    }),
    secrets: new SsmSecrets({ ssm: new SSMClient({}), ttlMs: 0 }),
    parameters: { appId: `${P}/github-app/app-id`, appKey: `${P}/github-app/private-key` },
    logger: silentLogger,
  });
  await expect(resources()).rejects.toThrow(
    `the SSM parameters ${P}/github-app/app-id and ${P}/github-app/private-key`,
  );
});
