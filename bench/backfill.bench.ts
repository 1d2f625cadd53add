import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { configSchema } from '../src/config/config';
import { INDEX_SUFFIX } from '../src/data/layout';
import { createGitHubClient } from '../src/github/client';
import { backfill } from '../src/jobs/backfill';
import { silentLogger } from '../src/log/logger';
import { collectedTriggers, metrics } from '../src/metrics/registry';
import { addSignature } from '../src/pipeline/add-signature';
import type { SignedEvent } from '../src/pipeline/types';
import { FileStore } from '../src/store/file-store';
import { processBatch } from '../src/worker/process-batch';
import { deploymentRoutes } from '../test/fake-github/routes/deployments';
import { hookRoutes } from '../test/fake-github/routes/hooks';
import { addRun, listingRoutes } from '../test/fake-github/routes/listings';
import { addPullRequest, pullRequestEvent, registerPullRoutes } from '../test/fake-github/routes/pulls';
import { FakeGitHub } from '../test/fake-github/server';
import { type Rest, World } from '../test/fake-github/world';
import { example } from '../test/support/webhooks';
import { round } from './stats';

/**
 * `backfill`: an organisation of 50 repositories with 200 closed pull requests and 1,000 workflow runs (2 jobs
 * each) per repository over the last 80 days, half of it already recorded by the live webhook (the worker's
 * `processBatch` on real example payloads). Then one `backfill --org --since 90d` against the fake GitHub.
 * - records: record files after the backfill (one per entity); duplicates: ids stored under two paths (0);
 * - lost: entities of the world without a record (0); requests_per_record: GitHub requests per record the
 *   backfill collected; records_per_s: records collected per second of the backfill.
 */
const REPOS = Number(process.env.BENCH_BACKFILL_REPOS ?? 50);
const RUNS = Number(process.env.BENCH_BACKFILL_RUNS ?? 1000);
const PULLS = Number(process.env.BENCH_BACKFILL_PULLS ?? 200);
const JOBS = ['build', 'lint'];
const NOW = Date.parse('2026-11-20T12:00:00Z');
const DAY = 86_400_000;

export async function run(): Promise<Record<string, unknown>> {
  const fake = new FakeGitHub({ now: () => NOW, primaryLimit: 10_000_000 });
  const world = new World();
  listingRoutes(fake, world);
  hookRoutes(fake, world);
  deploymentRoutes(fake, world);
  registerPullRoutes(fake, world);
  await fake.start();
  const dir = await mkdtemp(join(tmpdir(), 'bench-backfill-'));
  try {
    for (let r = 0; r < REPOS; r += 1) {
      const repo = world.addRepo('acme', `service-${String(r).padStart(2, '0')}`);
      for (let i = 0; i < RUNS; i += 1) {
        addRun(world, repo, {
          createdAt: new Date(NOW - 80 * DAY + Math.floor((i * 80 * DAY) / RUNS) + r * 1000).toISOString(),
          jobs: JOBS,
          attempts: i % 50 === 0 ? 2 : 1,
          conclusion: i % 7 === 0 ? 'failure' : 'success',
        });
      }
      for (let p = 1; p <= PULLS; p += 1) {
        // Realistic closed pull requests (every fifth closed without merging) that the four pull-request
        // metrics read through one GraphQL query each.
        const closedAt = new Date(NOW - 70 * DAY + p * 3_600_000).toISOString();
        const { pull } = addPullRequest(world, repo, {
          number: p,
          createdAt: new Date(Date.parse(closedAt) - DAY).toISOString(),
          closedAt,
          merged: p % 5 !== 0,
          commits: 3,
          files: p % 2 === 0 ? ['docs/guide.md', 'src/app.ts'] : ['src/app.ts'],
          reviews: 1,
        });
        pull.updated_at = closedAt;
      }
    }
    const repos = [...world.repos.values()];
    const github = createGitHubClient({ token: 'bench', baseUrl: fake.baseUrl, logger: silentLogger });

    // Half the history arrives live: every other run's deliveries through the worker into the store.
    const store = new FileStore(dir);
    const collected = collectedTriggers();
    const live: SignedEvent[] = [];
    const liveStarted = Date.now();
    let liveRecords = 0;
    const flushLive = async () => {
      const outcome = await processBatch(live.splice(0), {
        metrics,
        store,
        logger: silentLogger,
        context: { github, settings: configSchema.parse({}).metrics, now: () => new Date(NOW) },
      });
      liveRecords += outcome.written;
    };
    for (const repo of repos) {
      for (const [i, { run: entry, jobs }] of repo.runs.entries()) {
        if (i % 2 === 1) continue;
        for (let attempt = 1; attempt <= entry.run_attempt; attempt += 1) {
          const state = attempt === entry.run_attempt ? entry : attemptOf(entry, jobs, attempt);
          live.push(
            signed(
              'workflow_run',
              { ...example('workflow_run', 'completed'), workflow_run: state, repository: repo.repo },
              collected,
            ),
          );
        }
        for (const job of jobs) {
          live.push(
            signed(
              'workflow_job',
              { ...example('workflow_job', 'completed'), workflow_job: job, repository: repo.repo },
              collected,
            ),
          );
        }
        if (live.length >= 1000) await flushLive();
      }
      // Every other pull request was recorded live too (the webhook's pull_request.closed).
      for (const [number, pull] of repo.pulls) {
        if (number % 2 === 1) continue;
        live.push(signed('pull_request', pullRequestEvent(repo, pull), collected));
      }
    }
    await flushLive();
    const liveSeconds = (Date.now() - liveStarted) / 1000;

    const before = fake.requests.length;
    const started = Date.now();
    const summary = await backfill.run(
      backfill.input.parse({
        org: 'acme',
        since: '90d',
        concurrency: 8,
        itemConcurrency: 4,
        batchSize: 1000,
      }),
      { github, store, config: configSchema.parse({}), logger: silentLogger, now: () => new Date(NOW) },
    );
    const seconds = (Date.now() - started) / 1000;
    const requests = fake.requests.length - before;

    // One index entry per stored id (hot records), one file per tombstone.
    const files = (await readdir(dir, { recursive: true })).filter(
      (f) => (f.endsWith(INDEX_SUFFIX) || f.endsWith('.json')) && !f.startsWith('_'),
    );
    const ids = files.map((f) => basename(basename(f, INDEX_SUFFIX), '.json'));
    const unique = new Set(ids);
    // One record per run attempt and per job; per closed pull request pull-request and
    // code-review-involvement, plus commits-per-pr and documentation-updated when merged.
    const entities = repos.reduce(
      (n, repo) =>
        n +
        repo.runs.reduce((m, r) => m + r.run.run_attempt + r.jobs.length, 0) +
        [...repo.pulls.values()].reduce((m, p) => m + (p.pull.merged_at ? 4 : 2), 0),
      0,
    );
    const records = summary.counts.records ?? 0;
    const figures = {
      repositories: REPOS,
      runs: REPOS * RUNS,
      jobs: repos.reduce((n, repo) => n + repo.runs.reduce((m, r) => m + r.jobs.length, 0), 0),
      pull_requests: REPOS * PULLS,
      live_records: liveRecords,
      live_s: round(liveSeconds, 1),
      backfill_finished: summary.finished,
      backfill_records_collected: records,
      backfill_records_new: summary.counts.written,
      backfill_records_already_there: summary.counts.unchanged,
      backfill_s: round(seconds, 1),
      requests,
      records: unique.size,
      requests_per_record: round(requests / Math.max(1, records), 3),
      records_per_s: round(records / seconds, 0),
      duplicates: ids.length - unique.size,
      lost: Math.max(0, entities - unique.size),
    };
    return figures;
  } finally {
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function signed(event: string, payload: Rest, collected: Set<string>): SignedEvent {
  const result = addSignature(
    {
      headers: { 'x-github-event': event, 'x-github-delivery': crypto.randomUUID() },
      body: Buffer.from(JSON.stringify(payload)),
      receivedAt: new Date(NOW).toISOString(),
    },
    collected,
  );
  if (result.kind !== 'accepted') throw new Error(`${event} not collected`);
  return result.event;
}

/** An earlier attempt of a run as the webhook carried it (what GET …/attempts/{n} answers). */
function attemptOf(run: Rest, jobs: Rest[], attempt: number): Rest {
  const mine = jobs.filter((j) => j.run_attempt === attempt);
  const completed =
    mine
      .map((j) => j.completed_at)
      .sort()
      .at(-1) ?? run.updated_at;
  return {
    ...run,
    run_attempt: attempt,
    run_started_at: mine[0]?.created_at ?? run.created_at,
    updated_at: completed,
  };
}
