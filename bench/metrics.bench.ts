import { performance } from 'node:perf_hooks';
import { createGitHubClient } from '../src/github/client';
import { metrics } from '../src/metrics/registry';
import { defaultMetricSettings } from '../src/metrics/settings';
import { collectMetrics } from '../src/pipeline/collect-metrics';
import type { SignedEvent } from '../src/pipeline/types';
import { contentsRoutes, setFiles, setFilesAt } from '../test/fake-github/routes/contents';
import {
  addCommits,
  addDeployment,
  addDeploymentStatus,
  addMergedPull,
  deploymentRoutes,
} from '../test/fake-github/routes/deployments';
import { addPullRequest, pullRequestEvent, registerPullRoutes } from '../test/fake-github/routes/pulls';
import { FakeGitHub } from '../test/fake-github/server';
import { type FakeDeployment, type Rest, World } from '../test/fake-github/world';
import { examplesOf, signedEventFrom } from '../test/support/webhooks';
import { percentile, round } from './stats';

/**
 * `npm run bench -- metrics`: GitHub requests and collect time per event on the reference mix of issue 3
 * (70% workflow_job, 10% check_suite, 12% pull_request of which a quarter closed, 3% deployment and
 * deployment_status, 2% create, 3% issues). Every event goes through collectMetrics with the real registry
 * and the real client against the fake GitHub, one at a time so each request is attributed to its event. The
 * world is seeded so that every enrichment finds its data (no partial records), and deployments appear in it
 * as their events arrive, as they would live. After them, the day's scheduled tooling-usage snapshot of each of
 * the two repositories (package manifests, workflows, Dockerfile, the documentation skeleton's configuration)
 * is counted in too: 3,002 events.
 *
 * Route modules registered: this branch's (deployments, contents). Pull-request routes belong to the
 * pull-request metrics: register them here too once those metrics are in the registry.
 */

const EVENTS = 3000;
const DEPLOYMENTS = Math.round(EVENTS * 0.01); // each: created, in_progress, success = 3% of events
const COMMITS_PER_DEPLOYMENT = 12;
const PULLS_PER_DEPLOYMENT = 3;

type Kind =
  | 'workflow_job'
  | 'check_suite'
  | 'pull_request.closed'
  | 'pull_request.other'
  | 'deployment'
  | 'create'
  | 'issues'
  | 'tooling-usage';

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same mix. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(random: () => number): Kind[] {
  const counts: [Kind, number][] = [
    ['workflow_job', 0.7],
    ['check_suite', 0.1],
    ['pull_request.closed', 0.03],
    ['pull_request.other', 0.09],
    ['deployment', 0.03],
    ['create', 0.02],
    ['issues', 0.03],
  ];
  const kinds = counts.flatMap(([kind, share]) => Array<Kind>(Math.round(EVENTS * share)).fill(kind));
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j] as Kind, kinds[i] as Kind];
  }
  // The daily snapshot of each repository, after the day's deliveries.
  kinds.push('tooling-usage', 'tooling-usage');
  return kinds;
}

export async function run(): Promise<Record<string, unknown>> {
  const random = prng(20261101);
  const world = new World();
  const fake = new FakeGitHub();
  deploymentRoutes(fake, world);
  contentsRoutes(fake, world);
  registerPullRoutes(fake, world);
  await fake.start();
  const github = createGitHubClient({ token: 'bench-token', baseUrl: fake.baseUrl });

  // The deployed repository: 30 deployments to production, each shipping 12 commits in 3 merged pulls.
  const repo = world.addRepo('octo-org', 'shop');
  const webRepo = world.addRepo('octo-org', 'web');
  const t0 = Date.parse('2026-10-01T00:00:00Z');
  const commits = addCommits(world, repo, DEPLOYMENTS * COMMITS_PER_DEPLOYMENT, {
    start: new Date(t0).toISOString(),
    stepMs: 20 * 60_000,
  });
  const perPull = COMMITS_PER_DEPLOYMENT / PULLS_PER_DEPLOYMENT;
  for (let p = 0; p < DEPLOYMENTS * PULLS_PER_DEPLOYMENT; p++) {
    const own = commits.slice(p * perPull, (p + 1) * perPull);
    const mergedAt = new Date(
      Date.parse(own[own.length - 1]?.commit.author.date) + 30 * 60_000,
    ).toISOString();
    addMergedPull(world, repo, { number: 100 + p, commits: own, mergedAt });
  }
  // What the tooling-usage snapshots read at each repository's head (the last deployed commit).
  setFiles(repo, {
    'package.json': JSON.stringify({
      name: 'shop',
      version: `1.${DEPLOYMENTS - 1}.0`,
      engines: { node: '>=22' },
      devDependencies: { jest: '30.5.2' },
    }),
    '.nvmrc': '22.11.0\n',
    Dockerfile: 'FROM node:22-alpine\nCOPY . /app\n',
    '.github/workflows/ci.yml': 'jobs:\n  test:\n    steps:\n      - uses: actions/checkout@v4\n',
    'deven-skeleton-install.config.json': '{"version": "2.1.0", "documentationDirectory": "docs"}',
  });
  addCommits(world, webRepo, 1, { start: new Date(t0).toISOString() });
  setFiles(webRepo, { 'package.json': JSON.stringify({ name: 'web', dependencies: { react: '19.2.0' } }) });
  let snapshot = 0;
  // Each earlier deployed commit declares its version in package.json (the deployment metric reads it there).
  for (let k = 0; k < DEPLOYMENTS - 1; k++) {
    const sha = (commits[(k + 1) * COMMITS_PER_DEPLOYMENT - 1] as Rest).sha as string;
    setFilesAt(repo, sha, { 'package.json': JSON.stringify({ name: 'shop', version: `1.${k}.0` }) });
  }
  const deployAt = (k: number) => {
    const last = commits[(k + 1) * COMMITS_PER_DEPLOYMENT - 1] as Rest;
    return Date.parse(last.commit.author.date) + 60 * 60_000;
  };
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

  const base = {
    workflow_job: examplesOf('workflow_job', 'completed'),
    check_suite: examplesOf('check_suite', 'completed'),
    otherPulls: examplesOf('pull_request').filter((p) => p.action !== 'closed'),
    deployment: examplesOf('deployment', 'created')[0] as Record<string, unknown>,
    status: examplesOf('deployment_status', 'created')[0] as Record<string, unknown>,
    create: examplesOf('create')[0] as Record<string, unknown>,
    issues: examplesOf('issues'),
    labeled: examplesOf('issues', 'labeled')[0] as Record<string, unknown>,
  };
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)] as T;

  // The deployment family in arrival order: created, in_progress, success per deployment.
  let deploymentStep = 0;
  let current: FakeDeployment | undefined;
  let closedPull = 0;
  let tag = 0;
  let issue = 0;

  /** Builds the next event of `kind` (mutating the world first where a live event would find it there). */
  function next(kind: Kind, index: number): SignedEvent {
    const delivery = { deliveryId: `bench-${index}`, receivedAt: new Date(t0 + index * 1000).toISOString() };
    switch (kind) {
      case 'workflow_job': {
        const payload = structuredClone(pick(base.workflow_job)) as { workflow_job: Rest };
        payload.workflow_job.id = 5_000_000 + index;
        if (random() < 0.5) payload.workflow_job.steps[6].name = 'Run npm test';
        return signedEventFrom('workflow_job', payload, delivery);
      }
      case 'check_suite':
        return signedEventFrom('check_suite', structuredClone(pick(base.check_suite)), delivery);
      case 'pull_request.closed': {
        // A realistic closed pull request in its own repository: 1-20 commits, 1-40 files, 0-6 reviews,
        // one in five closed without merging; all four pull-request metrics read it through one query.
        closedPull += 1;
        const pull = addPullRequest(world, webRepo, {
          number: closedPull,
          commits: 1 + Math.floor(random() * 20),
          files: 1 + Math.floor(random() * 40),
          reviews: Math.floor(random() * 7),
          merged: random() >= 0.2,
        });
        return signedEventFrom('pull_request', pullRequestEvent(webRepo, pull), delivery);
      }
      case 'pull_request.other':
        return signedEventFrom('pull_request', structuredClone(pick(base.otherPulls)), delivery);
      case 'deployment': {
        const k = Math.floor(deploymentStep / 3);
        const step = deploymentStep++ % 3;
        if (step === 0) {
          const sha = (commits[(k + 1) * COMMITS_PER_DEPLOYMENT - 1] as Rest).sha;
          current = addDeployment(world, repo, {
            environment: 'production',
            sha,
            createdAt: iso(deployAt(k)),
          });
          return signedEventFrom(
            'deployment',
            { ...structuredClone(base.deployment), deployment: current.deployment, repository: repo.repo },
            delivery,
          );
        }
        const state = step === 1 ? 'in_progress' : 'success';
        const status = addDeploymentStatus(world, repo, current as FakeDeployment, {
          state,
          createdAt: iso(deployAt(k) + step * 90_000),
        });
        return signedEventFrom(
          'deployment_status',
          {
            ...structuredClone(base.status),
            deployment_status: status,
            deployment: current?.deployment,
            repository: repo.repo,
          },
          delivery,
        );
      }
      case 'create': {
        const payload = structuredClone(base.create);
        payload.ref = tag % 2 === 0 ? `v1.${tag}.0` : `release-${tag}`;
        tag++;
        return signedEventFrom('create', payload, delivery);
      }
      case 'tooling-usage': {
        const target = snapshot++ === 0 ? repo : webRepo;
        return {
          trigger: 'schedule::tooling-usage',
          source: 'schedule',
          event: 'tooling-usage',
          deliveryId: `schedule-tooling-usage-${target.repo.id}-20261001`,
          receivedAt: delivery.receivedAt,
          collectedBy: 'schedule',
          payload: { repository: target.repo.full_name },
        };
      }
      case 'issues': {
        // A third are incidents (labelled, or closed), the rest ordinary issue activity.
        const n = issue++;
        if (n % 3 !== 0) return signedEventFrom('issues', structuredClone(pick(base.issues)), delivery);
        const payload = structuredClone(base.labeled) as Rest;
        payload.action = n % 2 === 0 ? 'labeled' : 'closed';
        payload.label = { ...payload.label, name: 'incident' };
        payload.issue.labels = [payload.label];
        if (payload.action === 'closed') payload.issue.closed_at = '2019-05-15T18:00:00Z';
        return signedEventFrom('issues', payload, delivery);
      }
    }
  }

  const ctx = { github, settings: defaultMetricSettings, now: () => new Date() };
  const perTrigger = new Map<string, { ms: number[]; requests: number }>();
  const all: number[] = [];
  let requests = 0;
  let records = 0;
  let partial = 0;
  const kinds = mix(random);
  for (const [index, kind] of kinds.entries()) {
    const event = next(kind, index);
    const before = fake.requests.length;
    const started = performance.now();
    const result = await collectMetrics(event, metrics, ctx);
    const ms = performance.now() - started;
    if (result.failures.length > 0) throw new Error(`${event.trigger}: ${result.failures[0]?.message}`);
    const used = fake.requests.length - before;
    requests += used;
    records += result.records.length;
    partial += result.records.filter((r) => r.status === 'partial').length;
    all.push(ms);
    // Statuses split by state: only `success` reads GitHub.
    const state = (event.payload.deployment_status as { state?: string } | undefined)?.state;
    const key = state ? `${event.trigger} (${state})` : event.trigger;
    const entry = perTrigger.get(key) ?? { ms: [], requests: 0 };
    entry.ms.push(ms);
    entry.requests += used;
    perTrigger.set(key, entry);
  }
  await fake.stop();

  const byTrigger = Object.fromEntries(
    [...perTrigger]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([trigger, e]) => [
        trigger,
        {
          events: e.ms.length,
          requests: e.requests,
          requests_per_event: round(e.requests / e.ms.length, 3),
          collect_ms_p50: round(percentile(e.ms, 50), 3),
          collect_ms_p99: round(percentile(e.ms, 99), 3),
        },
      ]),
  );
  return {
    events: kinds.length,
    requests,
    requests_per_event: round(requests / kinds.length, 4),
    target_requests_per_event: 0.1,
    collect_ms_p50: round(percentile(all, 50), 3),
    collect_ms_p99: round(percentile(all, 99), 3),
    records,
    partial_records: partial,
    registered_metrics: metrics.map((m) => m.name),
    note: 'Every registered metric runs against the fake GitHub API; closed pull requests are real builders (1-20 commits, 1-40 files, 0-6 reviews); a created deployment reads its version file; the last 2 events are the daily tooling-usage snapshots of the 2 repositories.',
    by_trigger: byTrigger,
  };
}
