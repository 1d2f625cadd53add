import { generateKeyPairSync } from 'node:crypto';
import { AppNotInstalledError, GitHubApp } from '../../src/github/auth';
import { createGitHubClient } from '../../src/github/client';
import { RateBudget } from '../../src/jobs/budget';
import { silentLogger } from '../../src/log/logger';
import { installApp } from '../fake-github/routes/app';
import { APP_ID, type AppWorld, appKeys, startAppWorld } from '../support/github-app';

let w: AppWorld;
const seen: { path: string; token: string | undefined }[] = [];

beforeAll(async () => {
  w = await startAppWorld();
  w.world.addRepo('acme', 'widgets');
  w.world.addRepo('globex', 'gears');
  installApp(w.app, 'acme', { permissions: { metadata: 'read', pull_requests: 'read' }, rateLimit: 12_500 });
  installApp(w.app, 'globex');
  // Watches which token each repository request carries (the credential check runs before routing).
  const check = w.fake.authenticate;
  w.fake.authenticate = (request) => {
    const refused = check?.(request);
    if (!refused && /^\/repos\/[^/]+\/[^/]+$/.test(request.path))
      seen.push({ path: request.path, token: request.token });
    return refused;
  };
});
afterAll(() => w.stop());

function tokenOwner(token: string | undefined): string | undefined {
  const issued = token ? w.app.tokens.get(token) : undefined;
  return w.app.installations.find((i) => i.id === issued?.installationId)?.owner;
}

test('each request is signed with the installation of the owner it is about, found once and cached', async () => {
  const { github } = w.client();
  const before = w.fake.count('GET', '/app/installations');
  const a = await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' });
  const b = await github.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'gears' });
  await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' });
  expect(a.data.full_name).toBe('acme/widgets');
  expect(b.data.full_name).toBe('globex/gears');
  expect(seen.slice(-3).map((s) => tokenOwner(s.token))).toEqual(['acme', 'globex', 'acme']);
  expect(w.fake.count('GET', '/app/installations') - before).toBe(1);
  // The installation's own rate limit (12,500) is what a job's budget reads, not a PAT's 5,000.
  expect(a.headers['x-ratelimit-limit']).toBe('12500');
});

test('an installation token is replaced before it expires, on the clock, without a refused request', async () => {
  const { github, githubApp } = w.client();
  await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' });
  const first = seen.at(-1)?.token;
  const installationId = String(w.app.installations[0]?.id);
  const expiresAt = Date.parse(githubApp.tokens.expiresAt(installationId) ?? '');
  expect(expiresAt - w.clock.now).toBe(3_600_000);

  w.clock.now += 50 * 60_000; // 10 minutes left: the cached token is still used
  await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' });
  expect(seen.at(-1)?.token).toBe(first);

  w.clock.now += 6 * 60_000; // 4 minutes left, under the 5-minute margin: a new token first
  const refusedBefore = w.fake.requests.filter((r) => r.status === 401).length;
  await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' });
  const second = seen.at(-1)?.token;
  expect(second).not.toBe(first);
  expect(tokenOwner(second)).toBe('acme');
  expect(w.fake.requests.filter((r) => r.status === 401).length).toBe(refusedBefore);

  w.clock.now += 5 * 60_000; // the first token is now past its expiry on GitHub's side too
  await expect(
    createGitHubClient({
      token: first as string,
      baseUrl: w.fake.baseUrl,
      retries: 0,
      throttle: false,
    }).request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' }),
  ).rejects.toMatchObject({ status: 401 });
});

test('a token GitHub refuses early (revoked) is replaced once and the request succeeds', async () => {
  const { github } = w.client();
  await github.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'gears' });
  const revoked = seen.at(-1)?.token as string;
  w.app.tokens.delete(revoked);
  const answer = await github.request('GET /repos/{owner}/{repo}', { owner: 'globex', repo: 'gears' });
  expect(answer.status).toBe(200);
  expect(seen.at(-1)?.token).not.toBe(revoked);
});

test('an owner without an installation is named; the installations are listed again at most once a minute', async () => {
  const { github } = w.client();
  await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' });
  const listings = w.fake.count('GET', '/app/installations');
  const error = await github
    .request('GET /repos/{owner}/{repo}', { owner: 'initech', repo: 'tps' })
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AppNotInstalledError);
  expect((error as Error).message).toContain('"initech"');
  expect(w.fake.count('GET', '/app/installations')).toBe(listings); // listed less than a minute ago

  w.world.addRepo('initech', 'tps');
  installApp(w.app, 'initech');
  w.clock.now += 61_000;
  const answer = await github.request('GET /repos/{owner}/{repo}', { owner: 'initech', repo: 'tps' });
  expect(answer.data.full_name).toBe('initech/tps');
  expect(w.fake.count('GET', '/app/installations')).toBe(listings + 1);
});

test('GET /app is signed with the JWT the fake verifies; a wrong key is refused and never echoed', async () => {
  const { github } = w.client();
  const answer = await github.request('GET /app');
  expect(answer.data?.id).toBe(APP_ID);

  const other = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const wrong = createGitHubClient({
    app: new GitHubApp({ appId: String(APP_ID), privateKey: other.privateKey }),
    baseUrl: w.fake.baseUrl,
    retries: 0,
    throttle: false,
    logger: silentLogger,
  });
  const refusals = w.app.jwtRefusals.length;
  const error = (await wrong.request('GET /app').catch((e: unknown) => e)) as Error;
  expect(error).toMatchObject({ status: 401 });
  expect(w.app.jwtRefusals.length).toBe(refusals + 1);
  const body = other.privateKey.split('\n')[1] as string;
  expect(JSON.stringify({ ...error, text: error.message })).not.toContain(body);
});

test('a job budget reads the installation limit: half of 12,500 is 6,250 requests', async () => {
  const { github } = w.client();
  const budget = new RateBudget(0.5, 0, () => w.clock.now);
  const detach = budget.attach(github);
  await github.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' });
  detach();
  expect(budget.limit).toBe(12_500);
  expect(budget.left).toBe((budget.remaining ?? 0) - 6_250);
});

test('a request GitHub keeps refusing fails with an error that carries no token, JWT or key', async () => {
  const { github } = w.client();
  const presented: string[] = [];
  const check = w.fake.authenticate;
  w.fake.authenticate = (request) => {
    if (request.token) presented.push(request.token);
    if (request.token?.startsWith('ghs_')) return { status: 401, body: { message: 'Bad credentials' } };
    return check?.(request);
  };
  try {
    const error = (await github
      .request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'widgets' })
      .catch((e: unknown) => e)) as Error & { request?: unknown; response?: unknown };
    expect(error).toMatchObject({ status: 401 });
    const text = JSON.stringify({ message: error.message, request: error.request, response: error.response });
    const keyLine = appKeys().privateKey.split('\n')[1] as string;
    expect(presented.some((t) => t.startsWith('ghs_'))).toBe(true);
    expect(presented.some((t) => t.split('.').length === 3)).toBe(true); // the JWT that minted them
    for (const secret of [...presented, keyLine]) expect(text.includes(secret)).toBe(false);
  } finally {
    w.fake.authenticate = check;
  }
});

test('GraphQL: the owner variable picks the installation; a query naming none goes to the first configured owner', async () => {
  const tokens: (string | undefined)[] = [];
  w.fake.route('POST', '/graphql', (request) => {
    tokens.push(request.token);
    return { status: 200, body: { data: { ok: true } } };
  });
  const { github } = w.client({ defaultOwner: 'globex' });
  await github.graphql(
    'query Q($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { id } }',
    {
      owner: 'acme',
      name: 'widgets',
    },
  );
  await github.graphql('query N($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['X'] });
  expect(tokens.map(tokenOwner)).toEqual(['acme', 'globex']);

  const { github: noDefault } = w.client();
  await expect(
    noDefault.graphql('query N($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: ['X'] }),
  ).rejects.toThrow('githubAuth.owners');
});
