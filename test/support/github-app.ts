import { generateKeyPairSync } from 'node:crypto';
import { GitHubApp, type GitHubAppOptions } from '../../src/github/auth';
import { createGitHubClient, type GitHubClient } from '../../src/github/client';
import { silentLogger } from '../../src/log/logger';
import { appRoutes, type FakeApp } from '../fake-github/routes/app';
import { hookRoutes } from '../fake-github/routes/hooks';
import { listingRoutes } from '../fake-github/routes/listings';
import { FakeGitHub } from '../fake-github/server';
import { World } from '../fake-github/world';

export const APP_ID = 424242;

let keys: { privateKey: string; publicKey: string } | undefined;

/** One RSA key pair per test file (2048 bits, as GitHub issues them): the App's private key and its public half. */
export function appKeys(): { privateKey: string; publicKey: string } {
  keys ??= generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return keys;
}

export interface AppWorld {
  fake: FakeGitHub;
  world: World;
  app: FakeApp;
  clock: { now: number };
  /** A GitHubApp with the test's private key on the fake's clock, and a client authenticated with it. */
  client(options?: GitHubAppOptions): { githubApp: GitHubApp; github: GitHubClient };
  stop(): Promise<void>;
}

/** A fake GitHub with listings, hooks and a GitHub App whose JWTs are verified with the test's public key. */
export async function startAppWorld(options: { tokenLifetimeMs?: number } = {}): Promise<AppWorld> {
  const clock = { now: Date.parse('2026-11-20T12:00:00Z') };
  const fake = new FakeGitHub({ now: () => clock.now, primaryLimit: 1_000_000 });
  const world = new World();
  listingRoutes(fake, world);
  hookRoutes(fake, world);
  const app = appRoutes(fake, world, {
    appId: APP_ID,
    publicKeyPem: appKeys().publicKey,
    ...(options.tokenLifetimeMs ? { tokenLifetimeMs: options.tokenLifetimeMs } : {}),
  });
  await fake.start();
  return {
    fake,
    world,
    app,
    clock,
    client(appOptions = {}) {
      const githubApp = new GitHubApp(
        { appId: String(APP_ID), privateKey: appKeys().privateKey },
        { now: () => clock.now, ...appOptions },
      );
      const github = createGitHubClient({
        app: githubApp,
        baseUrl: fake.baseUrl,
        retries: 0,
        rateLimitRetries: 0,
        throttle: false,
        logger: silentLogger,
      });
      return { githubApp, github };
    },
    stop: () => fake.stop(),
  };
}
