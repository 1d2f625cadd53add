import { z } from 'zod';
import { BASE_PERMISSIONS } from '../github/permissions';
import { metrics as allMetrics } from '../metrics/registry';
import type { SignedEvent } from '../pipeline/types';
import { RateBudget, StopJob } from './budget';
import { checkBudget } from './listing';
import { repositorySelection, selectRepositories, withoutIgnored } from './repositories';
import { RecordSink } from './sink';
import type { Job } from './types';

export const TOOLING_TRIGGER = 'schedule::tooling-usage';

export const toolingUsageInput = z
  .object({
    ...repositorySelection,
    budgetShare: z.number().gt(0).max(1).default(0.5),
  })
  .strict()
  .refine((input) => input.org !== undefined || input.repos.length > 0, {
    message: 'name an organisation (org) or at least one repository (repos)',
    path: ['org'],
  });
export type ToolingUsageInput = z.infer<typeof toolingUsageInput>;

/**
 * `tooling-usage`: one `schedule::tooling-usage` event per repository, payload `{ repository }`, collected
 * by whichever metric listens to that trigger (the repository snapshot of tooling-usage: one record per
 * repository and UTC day, so running it twice a day stores one).
 */
export const toolingUsage: Job<ToolingUsageInput> = {
  name: 'tooling-usage',
  description: 'Snapshot the tooling every repository uses (package manifests, workflows, Dockerfiles).',
  input: toolingUsageInput,
  // Listing the repositories only; the tooling-usage metric declares the contents it reads.
  permissions: () => BASE_PERMISSIONS,
  async run(input, ctx) {
    const metrics = ctx.metrics ?? allMetrics;
    const sink = new RecordSink({
      store: ctx.store,
      metrics,
      context: { github: ctx.github, settings: ctx.config.metrics, now: ctx.now },
      logger: ctx.logger,
      collectedBy: 'schedule',
      ...(ctx.dryRun ? { dryRun: true } : {}),
    });
    if (!sink.collects(TOOLING_TRIGGER)) {
      return {
        job: 'tooling-usage',
        finished: true,
        counts: { repositories: 0, records: 0 },
        message: `no metric collects ${TOOLING_TRIGGER}: nothing to do`,
      };
    }
    const budget = new RateBudget(input.budgetShare, 25, () => ctx.now().getTime());
    const detach = budget.attach(ctx.github);
    const lctx = { github: ctx.github, budget, ...(ctx.signal ? { signal: ctx.signal } : {}) };
    let done = 0;
    let stopped: string | null = null;
    let total = 0;
    try {
      const { kept: repositories } = withoutIgnored(
        await selectRepositories(lctx, input),
        ctx.config.metrics,
      );
      total = repositories.length;
      const day = ctx.now().toISOString().slice(0, 10).replaceAll('-', '');
      for (const repository of repositories) {
        checkBudget(lctx);
        const event: SignedEvent = {
          trigger: TOOLING_TRIGGER,
          source: 'schedule',
          event: 'tooling-usage',
          deliveryId: `schedule-tooling-usage-${repository.id}-${day}`,
          receivedAt: ctx.now().toISOString(),
          collectedBy: 'schedule',
          payload: { repository },
        };
        await sink.collect(event);
        done += 1;
        ctx.onProgress?.({
          phase: 'repositories',
          done,
          total,
          records: sink.counts.records,
          requestsLeft: budget.left,
        });
      }
    } catch (error) {
      if (!(error instanceof StopJob)) throw error;
      stopped = error.message;
    } finally {
      await sink.flush();
      detach();
    }
    const counts = {
      repositories: total,
      repositories_done: done,
      ...sink.counts,
      requests: budget.requests,
    };
    const head = `tooling-usage of ${done}/${total} repositories: ${sink.counts.records} records (${sink.counts.written} new), ${sink.counts.failed} failed`;
    return {
      job: 'tooling-usage',
      // Snapshots are per day: the next run takes every repository again, there is no cursor to resume.
      finished: stopped === null,
      counts,
      message: stopped ? `${head}; stopped early (${stopped})` : head,
    };
  },
};
