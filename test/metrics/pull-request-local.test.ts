import { loadConfig } from '../../src/config/config';
import { silentLogger } from '../../src/log/logger';
import { startLocalCollector } from '../../src/server/server';
import { addPullRequest } from '../fake-github/routes/pulls';
import { storedRecords } from '../support/stored-records';
import { tempDir } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';
import { startFakeGitHub } from './pull-request-support';

const SECRET = 'local-secret';

/** The real merged-closed delivery through `npm start`'s collector; returns the stored records. */
async function deliverMergedExample(githubToken: string | undefined, apiUrl?: string) {
  const dir = await tempDir();
  const config = loadConfig({
    env: {
      PORT: '0',
      HOST: '127.0.0.1',
      TELEMETRY_DATA_DIR: dir.path,
      ...(apiUrl ? { GITHUB_API_URL: apiUrl } : {}),
    },
  });
  const collector = await startLocalCollector({
    config,
    webhookSecrets: [SECRET],
    logger: silentLogger,
    ...(githubToken ? { githubToken } : {}),
  });
  try {
    const payload = example('pull_request', 'closed');
    Object.assign(payload.pull_request as object, { merged: true, merged_at: '2019-05-15T15:21:18Z' });
    const delivery = await signedDelivery('pull_request', payload, SECRET);
    const response = await fetch(collector.url, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
    });
    expect(response.status).toBe(202);
    await collector.close(); // waits until every accepted event is stored
    return (await storedRecords(dir.path)) as unknown as Record<string, unknown>[];
  } finally {
    await dir.remove();
  }
}

describe('the local collector writes the four pull-request records', () => {
  test('without GITHUB_TOKEN: four partial records naming the skipped call', async () => {
    const records = await deliverMergedExample(undefined);
    expect(records.map((r) => r.metric).sort()).toEqual([
      'code-review-involvement',
      'commits-per-pr',
      'documentation-updated',
      'pull-request',
    ]);
    for (const record of records) expect(record.status).toBe('partial');
  });

  test('with a token (on the fake GitHub): four complete records from one request', async () => {
    const { fake, world } = await startFakeGitHub();
    try {
      const repo = world.addRepo('Codertocat', 'Hello-World', { default_branch: 'master' });
      addPullRequest(world, repo, { number: 2, id: 279147437, createdAt: '2019-05-15T15:20:33Z' });
      const records = await deliverMergedExample('ghp_local', fake.baseUrl);
      expect(records).toHaveLength(4);
      for (const record of records) expect(record.status).toBe('complete');
      expect(fake.count()).toBe(1);
    } finally {
      await fake.stop();
    }
  });
});
