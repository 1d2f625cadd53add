import { z } from 'zod';
import { forEachLimited } from '../../concurrency';
import { type AppPermissions, BASE_PERMISSIONS, unionPermissions } from '../../github/permissions';
import { errorMessage } from '../../log/logger';
import { metrics as allMetrics } from '../../metrics/registry';
import { RateBudget, StopJob } from '../budget';
import { type Repository, repositorySelection, selectRepositories, withoutIgnored } from '../repositories';
import { RecordSink } from '../sink';
import { readState, stateSegment, writeState } from '../state';
import type { Job, JobContext, JobSummary } from '../types';
import { isTimeSpec, parseTimeSpec } from '../window';
import { deployments } from './deployments';
import { incidents } from './incidents';
import { pulls } from './pulls';
import { runs } from './runs';
import { tags } from './tags';
import { type BackfillKind, type KindContext, kindStateSchema, type Window } from './types';

export const BACKFILL_KINDS: readonly BackfillKind[] = [pulls, runs, deployments, tags, incidents];
const KIND_NAMES = ['pulls', 'runs', 'deployments', 'tags', 'incidents'] as const;

const timeSpec = z.string().refine(isTimeSpec, 'an age (90d, 24h, 30m, 2w) or an ISO-8601 time');

export const backfillInput = z
  .object({
    ...repositorySelection,
    /** Start of the window: an age counted back from now (`90d`) or an ISO time. */
    since: timeSpec.default('90d'),
    /** End of the window; without it the window is open-ended and cursors are read and saved. */
    until: timeSpec.optional(),
    kinds: z
      .array(z.enum(KIND_NAMES))
      .min(1)
      .default([...KIND_NAMES]),
    /** Share of the token's hourly request budget this run may use; it stops cleanly before passing it. */
    budgetShare: z.number().gt(0).max(1).default(0.5),
    /** Repositories read at once. */
    concurrency: z.number().int().min(1).max(16).default(4),
    /** Items of one repository collected at once (a workflow run costs a jobs listing). */
    itemConcurrency: z.number().int().min(1).max(16).default(4),
    /** Records per store write (one commit in the data repository). */
    batchSize: z.number().int().min(1).max(10_000).default(500),
  })
  .strict()
  .refine((input) => input.org !== undefined || input.repos.length > 0, {
    message: 'name an organisation (org) or at least one repository (repos)',
    path: ['org'],
  });
export type BackfillInput = z.infer<typeof backfillInput>;

/** What each kind's listings read (the metrics its items run through declare their own). */
const KIND_PERMISSIONS: Readonly<Record<(typeof KIND_NAMES)[number], AppPermissions>> = {
  pulls: { pull_requests: 'read' },
  runs: { actions: 'read' },
  deployments: { deployments: 'read' },
  tags: { contents: 'read' },
  incidents: { issues: 'read' },
};

export function kindStatePath(repository: Repository, kind: string): string {
  return `backfill/${stateSegment(repository.owner.login)}/${stateSegment(repository.name)}/${kind}.json`;
}

/**
 * `backfill`: lists the history of each repository (closed pull requests, workflow runs and jobs,
 * deployments and statuses, tags, incident issues), rebuilds from each item the delivery the webhook would
 * have sent, and runs it through the same `collectMetrics`: same metric code, same natural keys, same ids,
 * `collected_by: "backfill"`. Records are stored in batches; per repository and kind a cursor in
 * `_state/backfill/` makes the next run read only what is new. Records are written before the cursors move.
 */
export const backfill: Job<BackfillInput> = {
  name: 'backfill',
  description:
    'Collect the history of an organisation or repositories into the same records the webhook makes.',
  input: backfillInput,
  permissions: (input) =>
    unionPermissions([BASE_PERMISSIONS, ...input.kinds.map((kind) => KIND_PERMISSIONS[kind])]),
  async run(input, ctx) {
    const now = ctx.now();
    const window: Window = {
      since: parseTimeSpec(input.since, now).getTime(),
      until: input.until ? parseTimeSpec(input.until, now).getTime() : now.getTime(),
      openEnded: input.until === undefined,
    };
    if (window.since >= window.until) throw new Error('since must be before until');
    const budget = new RateBudget(input.budgetShare, 25, () => ctx.now().getTime());
    const detach = budget.attach(ctx.github);
    const sink = new RecordSink({
      store: ctx.store,
      metrics: ctx.metrics ?? allMetrics,
      context: { github: ctx.github, settings: ctx.config.metrics, now: ctx.now },
      logger: ctx.logger,
      collectedBy: 'backfill',
      batchSize: input.batchSize,
      ...(ctx.dryRun ? { dryRun: true } : {}),
    });
    const kinds = BACKFILL_KINDS.filter(
      (kind) =>
        (input.kinds as readonly string[]).includes(kind.name) && kind.triggers.some((t) => sink.collects(t)),
    );
    const skipped = input.kinds.filter((name) => !kinds.some((k) => k.name === name));
    if (skipped.length > 0) ctx.logger.info('backfill: no metric collects these kinds', { kinds: skipped });

    let items = 0;
    let reposDone = 0;
    let stopReason: string | null = null;
    const failures: string[] = [];
    let repositories: Repository[] = [];
    const report = () =>
      ctx.onProgress?.({
        phase: 'repositories',
        done: reposDone,
        total: repositories.length,
        items,
        records: sink.counts.records,
        requestsLeft: budget.left,
      });
    const kindCtx: KindContext = {
      github: ctx.github,
      budget,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      sink,
      settings: ctx.config.metrics,
      now: ctx.now,
      concurrency: input.itemConcurrency,
      onItem: () => {
        items += 1;
        if (items % 50 === 0) report();
      },
    };

    try {
      try {
        const selected = withoutIgnored(await selectRepositories(kindCtx, input), ctx.config.metrics);
        repositories = selected.kept;
        if (selected.ignored.length > 0)
          ctx.logger.info('backfill: ignored repositories skipped', { repositories: selected.ignored });
        ctx.logger.info('backfill: repositories selected', {
          repositories: repositories.length,
          kinds: kinds.map((k) => k.name),
        });
      } catch (error) {
        if (!(error instanceof StopJob)) throw error;
        stopReason = error.message;
      }
      report();
      await forEachLimited(repositories, input.concurrency, async (repository) => {
        if (stopReason) return;
        const states: { path: string; state: unknown }[] = [];
        for (const kind of kinds) {
          const path = kindStatePath(repository, kind.name);
          const saved = window.openEnded ? await readState(ctx.store, path, kindStateSchema) : undefined;
          let result: Awaited<ReturnType<BackfillKind['run']>>;
          try {
            result = await kind.run(repository, window, saved, kindCtx);
          } catch (error) {
            // GitHub refused one listing (no access to Actions or issues, a repository gone): that kind of
            // that repository keeps its cursor and is tried again next run; the others go on. Anything else
            // (the store failing) stops the job.
            if (typeof (error as { status?: unknown }).status !== 'number') throw error;
            failures.push(`${repository.full_name} ${kind.name}: ${errorMessage(error)}`);
            ctx.logger.warn('backfill: a listing failed', {
              repository: repository.full_name,
              kind: kind.name,
              error: errorMessage(error),
            });
            continue;
          }
          states.push({ path, state: result.state });
          ctx.logger.info('backfill: read', {
            repository: repository.full_name,
            kind: kind.name,
            ...(result.stopped ? { stopped: true } : {}),
          });
          if (result.stopped) {
            stopReason ??= ctx.signal?.aborted ? 'aborted' : 'request budget spent';
            break;
          }
        }
        // Records first, cursors after: a crash between the two re-reads, it never skips.
        await sink.flush();
        if (window.openEnded && !ctx.dryRun) {
          for (const { path, state } of states) await writeState(ctx.store, path, state);
        }
        if (!stopReason) reposDone += 1;
        ctx.logger.info('backfill: repository done', {
          repository: repository.full_name,
          repositories_done: reposDone,
          repositories: repositories.length,
          records: sink.counts.records,
        });
        report();
      });
      await sink.flush();
    } catch (error) {
      ctx.logger.error('backfill failed', { error: errorMessage(error) });
      throw error;
    } finally {
      detach();
    }

    const counts = {
      repositories: repositories.length,
      repositories_done: reposDone,
      items,
      ...sink.counts,
      listings_failed: failures.length,
      requests: budget.requests,
    };
    return summarize(
      counts,
      stopReason,
      failures,
      ctx,
      kinds.map((k) => k.name),
    );
  },
};

function summarize(
  counts: Record<string, number>,
  stopReason: string | null,
  failures: string[],
  ctx: JobContext,
  kinds: string[],
): JobSummary {
  const verb = ctx.dryRun ? 'would store' : 'stored';
  const head = `backfill of ${counts.repositories_done}/${counts.repositories} repositories (${kinds.join(', ') || 'no kinds'}): ${counts.items} items, ${counts.records} records (${ctx.dryRun ? counts.records : counts.written} ${verb} new, ${counts.unchanged} already there), ${counts.failed} failed, ${counts.requests} requests`;
  const failed =
    failures.length > 0
      ? `; ${failures.length} listing(s) failed and will be read again next run: ${failures.slice(0, 5).join('; ')}`
      : '';
  return {
    job: 'backfill',
    finished: stopReason === null,
    counts,
    message: stopReason
      ? `${head}${failed}; stopped early (${stopReason}): the next run resumes from the cursors`
      : `${head}${failed}`,
  };
}
