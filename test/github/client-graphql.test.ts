import { createGitHubClient } from '../../src/github/client';
import { graphqlOperation } from '../fake-github/routes/graphql';
import { FakeGitHub } from '../fake-github/server';

let fake: FakeGitHub;
let inFlight = 0;
let maxInFlight = 0;

beforeEach(async () => {
  fake = new FakeGitHub();
  inFlight = 0;
  maxInFlight = 0;
  graphqlOperation(fake, 'Probe', async () => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 40));
    inFlight -= 1;
    return { viewer: { login: 'probe' } };
  });
  await fake.start();
});
afterEach(() => fake.stop());

describe('GraphQL through the shared client', () => {
  test('queries run concurrently (not paced like writes), mutations one at a time', async () => {
    const github = createGitHubClient({ token: 't', baseUrl: fake.baseUrl });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => github.graphql('query Probe { viewer { login } }')),
    );
    expect(answers).toEqual(Array(5).fill({ viewer: { login: 'probe' } }));
    expect(maxInFlight).toBeGreaterThan(1);

    maxInFlight = 0;
    await Promise.all(Array.from({ length: 2 }, () => github.graphql({ query: 'mutation Probe { noop }' })));
    expect(maxInFlight).toBe(1);
  });

  test('queries keep the retries of the shared client', async () => {
    fake.injectFault({ kind: '502', match: (r) => r.path === '/graphql' });
    const github = createGitHubClient({ token: 't', baseUrl: fake.baseUrl, retries: 1 });
    await expect(github.graphql('query Probe { viewer { login } }')).resolves.toEqual({
      viewer: { login: 'probe' },
    });
    expect(fake.requests.map((r) => r.status)).toEqual([502, 200]);
  });
});
