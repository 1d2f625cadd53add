import { createGitHubClient } from '../../src/github/client';
import { EtagCache } from '../../src/github/etag-cache';
import { addPullRequest } from '../fake-github/routes/pulls';
import type { FakeGitHub } from '../fake-github/server';
import type { FakePull, World } from '../fake-github/world';
import { startFakeGitHub } from '../metrics/pull-request-support';

let fake: FakeGitHub;
let world: World;
let pull: FakePull;

beforeEach(async () => {
  ({ fake, world } = await startFakeGitHub());
  pull = addPullRequest(world, world.addRepo('acme', 'shop'), { number: 1, files: 330 });
});
afterEach(() => fake.stop());

const listFiles = (github: ReturnType<typeof createGitHubClient>) =>
  github.paginate(github.rest.pulls.listFiles, {
    owner: 'acme',
    repo: 'shop',
    pull_number: 1,
    per_page: 100,
  });
const statuses = () => fake.requests.map((r) => r.status);

describe('conditional requests (ETag) through createGitHubClient', () => {
  test('a listing read again costs 304s, which the caller never sees, and no rate limit', async () => {
    const cache = new EtagCache();
    const github = createGitHubClient({ token: 'ghp_x', baseUrl: fake.baseUrl, etagCache: cache });
    const first = await listFiles(github);
    const second = await listFiles(github);
    expect(first).toHaveLength(330);
    expect(second).toEqual(first);
    expect(statuses()).toEqual([200, 200, 200, 200, 304, 304, 304, 304]);
    expect(cache.stats()).toMatchObject({ hits: 4, misses: 4, entries: 4, evictions: 0 });
    // The eight requests charged only the four 200s: the next one is the fifth.
    const next = await github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
      owner: 'acme',
      repo: 'shop',
      pull_number: 1,
    });
    expect(next.headers['x-ratelimit-used']).toBe('5');
  });

  test('a changed page is read again in full; unchanged pages stay 304', async () => {
    const cache = new EtagCache();
    const github = createGitHubClient({ token: 'ghp_x', baseUrl: fake.baseUrl, etagCache: cache });
    await listFiles(github);
    pull.files.push({ ...pull.files[0], filename: 'src/new-file.ts' });
    const again = await listFiles(github);
    expect(again).toHaveLength(331);
    expect(again.at(-1)?.filename).toBe('src/new-file.ts');
    expect(statuses().slice(4)).toEqual([304, 304, 304, 200]);
  });

  test('bounded: the least recently used response is evicted first', async () => {
    const cache = new EtagCache({ maxEntries: 2 });
    const github = createGitHubClient({ token: 'ghp_x', baseUrl: fake.baseUrl, etagCache: cache });
    const get = (path: string) => github.request(`GET /repos/acme/shop/pulls/1${path}`);
    await get('');
    await get('/commits');
    await get(''); // 304, now the most recent
    await get('/reviews'); // evicts /commits, the least recently used
    await get(''); // still remembered
    await get('/commits'); // read in full again
    expect(statuses()).toEqual([200, 200, 304, 200, 304, 200]);
    expect(cache.stats()).toMatchObject({ entries: 2, hits: 2 });
    expect(cache.stats().evictions).toBeGreaterThanOrEqual(1);
    expect(() => new EtagCache({ maxEntries: 0 })).toThrow(/maxEntries/);
  });

  test('without a cache no request is conditional', async () => {
    const github = createGitHubClient({ token: 'ghp_x', baseUrl: fake.baseUrl });
    await listFiles(github);
    await listFiles(github);
    expect(statuses()).toEqual(Array(8).fill(200));
  });

  test('callers that rewrite response.data do not corrupt what is remembered', async () => {
    const cache = new EtagCache();
    const github = createGitHubClient({ token: 'ghp_x', baseUrl: fake.baseUrl, etagCache: cache });
    const route = 'GET /repos/acme/shop/pulls/1';
    const first = await github.request(route);
    (first.data as { title: string }).title = 'mutated by a caller';
    const second = await github.request(route);
    expect(second.status).toBe(200);
    expect((second.data as { title: string }).title).toBe(pull.pull.title);
    expect(statuses()).toEqual([200, 304]);
  });
});
