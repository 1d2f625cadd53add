import { createGitHubClient, type GitHubClient } from '../../src/github/client';
import { contentsRoutes } from '../fake-github/routes/contents';
import { deploymentRoutes } from '../fake-github/routes/deployments';
import { FakeGitHub } from '../fake-github/server';
import { World } from '../fake-github/world';

/** A fresh world and fake GitHub with this branch's route modules, and a client pointed at it. */
export interface GitHubFixture {
  world: World;
  fake: FakeGitHub;
  github: GitHubClient;
  /** Requests seen since the last call, as `METHOD path` (GraphQL as `POST /graphql Operation`). */
  takeRequests(): string[];
}

export function useFakeGitHub(): () => GitHubFixture {
  let fixture: GitHubFixture | undefined;
  beforeEach(async () => {
    const world = new World();
    const fake = new FakeGitHub();
    deploymentRoutes(fake, world);
    contentsRoutes(fake, world);
    await fake.start();
    const github = createGitHubClient({ token: 'test-token', baseUrl: fake.baseUrl, retries: 0 });
    let seen = 0;
    fixture = {
      world,
      fake,
      github,
      takeRequests() {
        const list = fake.requests.slice(seen).map((r) => `${r.method} ${r.path}`);
        seen = fake.requests.length;
        return list;
      },
    };
  });
  afterEach(async () => {
    await fixture?.fake.stop();
    fixture = undefined;
  });
  return () => {
    if (!fixture) throw new Error('useFakeGitHub() fixture used outside a test');
    return fixture;
  };
}
