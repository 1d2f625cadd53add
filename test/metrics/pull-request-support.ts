import { createGitHubClient } from '../../src/github/client';
import { defaultMetricSettings, type MetricSettings } from '../../src/metrics/settings';
import type { MetricContext } from '../../src/metrics/types';
import type { MetricRecord } from '../../src/pipeline/types';
import { registerPullRoutes } from '../fake-github/routes/pulls';
import { FakeGitHub } from '../fake-github/server';
import { type FakePull, type Rest, World } from '../fake-github/world';
import { collectAll, testContext } from '../support/collect';
import { example, signedEventFrom } from '../support/webhooks';

/** A fake GitHub with the pull request routes, started on 127.0.0.1. */
export async function startFakeGitHub(): Promise<{ fake: FakeGitHub; world: World }> {
  const fake = new FakeGitHub();
  const world = new World();
  registerPullRoutes(fake, world);
  await fake.start();
  return { fake, world };
}

/** The metric context with a client on the fake (null: no token), on the fixed test clock. */
export function contextFor(
  fake: FakeGitHub | null,
  settings: MetricSettings = defaultMetricSettings,
): MetricContext {
  return testContext({
    ...(fake ? { github: createGitHubClient({ token: 'ghp_test', baseUrl: fake.baseUrl, retries: 0 }) } : {}),
    settings,
  });
}

/**
 * The real `pull_request.closed` example of @octokit/webhooks-examples, with the counts of its
 * `pull_request` (commits, files, lines, review comments) and `overrides` taken from the fake pull request,
 * so payload and API agree as they do on GitHub.
 */
export function closedExample(pull: FakePull, overrides: Rest = {}): Rest {
  const payload = example('pull_request', 'closed') as Rest;
  const p = pull.pull;
  Object.assign(payload.pull_request, {
    commits: p.commits,
    additions: p.additions,
    deletions: p.deletions,
    changed_files: p.changed_files,
    review_comments: p.review_comments,
    ...overrides,
  });
  return payload;
}

/** Runs every registered metric on the payload, as the worker does, and returns the records by metric. */
export async function collect(
  payload: Rest,
  ctx: MetricContext,
): Promise<Record<string, MetricRecord<Rest> | undefined>> {
  const records = await collectAll(signedEventFrom('pull_request', payload), ctx);
  return Object.fromEntries(records.map((r) => [r.metric, r as MetricRecord<Rest>]));
}
