import { readFile } from 'node:fs/promises';
import { configSchema } from '../../src/config/config';
import { jsonLogger } from '../../src/log/logger';
import { type LocalCollector, startLocalCollector } from '../../src/server/server';
import { installApp } from '../fake-github/routes/app';
import { addCommits, addDeployment, deploymentRoutes } from '../fake-github/routes/deployments';
import { type AppWorld, appKeys, startAppWorld } from '../support/github-app';
import { storedRecords } from '../support/stored-records';
import { listFiles, tempDir } from '../support/temp';
import { example, signedDelivery } from '../support/webhooks';

const SECRET = 'app-webhook-secret';
let w: AppWorld;
let dir: Awaited<ReturnType<typeof tempDir>>;
let collector: LocalCollector;
const lines: string[] = [];
/** Every credential the fake saw (JWTs and installation tokens): none may leak anywhere. */
const presented = new Set<string>();

beforeAll(async () => {
  w = await startAppWorld();
  deploymentRoutes(w.fake, w.world);
  const repo = w.world.addRepo('Codertocat', 'Hello-World');
  const [commit] = addCommits(w.world, repo, 1, { start: '2019-05-15T10:00:00Z' });
  addDeployment(w.world, repo, {
    id: 145988746,
    environment: 'production',
    sha: commit?.sha as string,
    createdAt: '2019-05-15T15:20:53Z',
  });
  installApp(w.app, 'Codertocat', { permissions: { metadata: 'read', deployments: 'read' } });
  const check = w.fake.authenticate;
  w.fake.authenticate = (request) => {
    if (request.token) presented.add(request.token);
    return check?.(request);
  };
  dir = await tempDir();
  const config = configSchema.parse({
    server: { port: 0, host: '127.0.0.1', dataDir: dir.path },
    github: { apiUrl: w.fake.baseUrl },
    githubAuth: { source: 'app', owners: ['Codertocat'] },
  });
  collector = await startLocalCollector({
    config,
    webhookSecrets: [SECRET],
    githubAuth: { app: w.client().githubApp },
    logger: jsonLogger({ level: 'debug', write: (line) => lines.push(line) }),
  });
});
afterAll(async () => {
  await collector.close();
  await w.stop();
  await dir.remove();
});

async function post(event: string, payload: unknown, secret = SECRET) {
  const delivery = await signedDelivery(event, payload, secret);
  const response = await fetch(collector.url, {
    method: 'POST',
    headers: delivery.headers,
    body: delivery.body,
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test("an App delivery (same endpoint, same signature) is collected with the installation's token", async () => {
  const answer = await post('deployment', example('deployment', 'created'));
  expect(answer).toMatchObject({ status: 202, body: { outcome: 'queued' } });
  let files: string[] = [];
  for (let i = 0; i < 100 && files.length === 0; i += 1) {
    await new Promise((r) => setTimeout(r, 20));
    files = (await listFiles(dir.path)).filter((f) => f.startsWith('hot/deployment/') && f.endsWith('.idx'));
  }
  expect(files).toHaveLength(1);
  const stored = await storedRecords(dir.path, 'hot/deployment/');
  expect(stored.map((r) => [r.metric, r.status])).toEqual([['deployment', 'complete']]);
  expect(w.app.tokensIssued).toBeGreaterThan(0);
  expect(w.fake.count('GET', '/repos/Codertocat/Hello-World/deployments')).toBeGreaterThan(0);
});

test('installation events: nothing stored, the change logged once, the installations read again', async () => {
  const listed = w.fake.count('GET', '/app/installations');
  const payload = example('installation_repositories', 'added');
  const before = lines.length;
  const answer = await post('installation_repositories', payload);
  expect(answer).toMatchObject({ status: 202, body: { outcome: 'installation', action: 'added' } });
  const changes = lines
    .slice(before)
    .map((l) => JSON.parse(l))
    .filter((l) => l.message.startsWith('github app installation changed'));
  expect(changes).toHaveLength(1);
  const installation = payload.installation as { id: number; account: { login: string } };
  expect(changes[0]).toMatchObject({
    event: 'installation_repositories',
    action: 'added',
    installation_id: String(installation.id),
    owner: installation.account.login,
    repositories_added: (payload.repositories_added as { full_name: string }[]).map((r) => r.full_name),
    repositories_removed: [],
  });

  const removed = await post('installation', example('installation', 'deleted'));
  expect(removed).toMatchObject({ status: 202, body: { outcome: 'installation', action: 'deleted' } });

  // The next enrichment lists the installations again (the change may have added or removed an owner).
  await post('deployment', example('deployment', 'created'));
  for (let i = 0; i < 100 && w.fake.count('GET', '/app/installations') === listed; i += 1)
    await new Promise((r) => setTimeout(r, 20));
  expect(w.fake.count('GET', '/app/installations')).toBe(listed + 1);
});

test('an installation event with a bad signature is refused like any delivery (401)', async () => {
  const answer = await post('installation', example('installation', 'created'), 'not-the-secret');
  expect(answer.status).toBe(401);
});

test('the private key, JWTs and installation tokens are in no log line and no record', async () => {
  const keyLines = appKeys()
    .privateKey.split('\n')
    .filter((l) => l.length > 40);
  const secrets = [...keyLines, ...presented, ...w.app.tokens.keys()];
  expect(presented.size).toBeGreaterThan(1); // at least one JWT and one installation token were used
  const records = await Promise.all(
    (await listFiles(dir.path)).map(async (f) => readFile(`${dir.path}/${f}`, 'utf8')),
  );
  const everything = [...lines, ...records].join('\n');
  for (const secret of secrets) expect(everything.includes(secret)).toBe(false);
});
