import { forEachLimited } from '../../concurrency';
import { checkBudget, getPage, listPages, type Page, type Rest } from '../listing';
import type { Repository } from '../repositories';
import { isoSeconds } from '../window';
import { backfillDeliveryId, payloads } from './payloads';
import { NewestFirstScan, PendingEntities } from './scan';
import type { BackfillKind, KindContext } from './types';

/** GitHub serves at most this many results of one workflow-run query, whatever `total_count` says. */
export const RUN_LISTING_CAP = 1000;

/**
 * Workflow runs → `workflow_run.completed` (every attempt) and their jobs → `workflow_job.completed`.
 * Runs are listed with a `created=` range; a range holding more than GitHub's 1,000-result cap is cut in
 * two, recursively, newest half first. Runs still in progress are remembered as pending and fetched by id on
 * the next run, so the cursor never waits for them. Jobs of every attempt come from one listing per run
 * (`filter=all`).
 */
export const runs: BackfillKind = {
  name: 'runs',
  triggers: ['github::workflow_run.completed', 'github::workflow_job.completed'],
  async run(repository, window, saved, ctx) {
    const scan = new NewestFirstScan(saved, window);
    const owner = repository.owner.login;
    const repo = repository.name;
    const pending = scan.pending;

    const collect = async (run: Rest) => {
      await collectRun(repository, run, ctx);
      pending.drop(String(run.id));
    };

    /**
     * One page of runs, newest first. Runs are collected `ctx.concurrency` at a time (each costs a jobs
     * listing); the scan is told about them in listing order, up to the first one not finished, so a stop
     * half way through a page leaves no gap (runs finished after that point are collected again, harmlessly).
     */
    const collectPage = async (items: Rest[]) => {
      const finished: boolean[] = items.map(() => false);
      let stop: unknown = null;
      await forEachLimited(items, ctx.concurrency, async (run, i) => {
        if (stop) return;
        try {
          const created = Date.parse(run.created_at);
          if (!scan.isBelow(created) && created <= window.until && !scan.isDone(created)) {
            if (run.status === 'completed') await collect(run);
            else pending.keep(String(run.id), run.created_at);
          }
          finished[i] = true;
        } catch (error) {
          stop ??= error;
        }
      });
      for (const [i, run] of items.entries()) {
        if (!finished[i]) break;
        const created = Date.parse(run.created_at);
        if (scan.isBelow(created) || created > window.until) continue;
        ctx.onItem();
        if (run.status === 'completed' && !scan.isDone(created)) scan.collected(created);
        else scan.seen(created);
      }
      if (stop) throw stop;
    };

    const list = async (from: number, to: number, topLevel: boolean): Promise<string | null> => {
      const created =
        topLevel && window.openEnded ? `>=${isoSeconds(from)}` : `${isoSeconds(from)}..${isoSeconds(to)}`;
      const etag = topLevel ? scan.savedEtag(created) : null;
      const params = { owner, repo, created, per_page: 100 };
      const first = await getPage(ctx, 'GET /repos/{owner}/{repo}/actions/runs', params, {
        key: 'workflow_runs',
        etag,
      });
      if (first === 'not-modified') return etag;
      if ((first.totalCount ?? 0) > RUN_LISTING_CAP && to - from >= 2000) {
        const mid = Math.floor((from + to) / 2000) * 1000;
        await list(mid + 1000, to, false); // newest half first: the scan reads newest first
        await list(from, mid, false);
        return first.etag;
      }
      for await (const page of listPages(ctx, 'GET /repos/{owner}/{repo}/actions/runs', params, {
        key: 'workflow_runs',
        first: first as Page,
      })) {
        if (page === 'not-modified') break;
        await collectPage(page.items);
      }
      return first.etag;
    };

    return scan.run(async () => {
      // Runs that were in progress last time, by id (they are below the cursor now).
      for (const entry of pending.list()) {
        checkBudget(ctx);
        const run = await ctx.github
          .request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
            owner,
            repo,
            run_id: Number(entry.id),
          })
          .then((r) => r.data as Rest)
          .catch((error: { status?: number }) => {
            if (error.status === 404) return null;
            throw error;
          });
        if (run?.status === 'completed') await collect(run);
        else if (!run || PendingEntities.expired(entry.created_at, ctx.now())) pending.drop(entry.id);
      }
      const from = Math.max(window.since, Date.parse(scan.state.cursor));
      const to = window.openEnded ? ctx.now().getTime() : window.until;
      const created = window.openEnded ? `>=${isoSeconds(from)}` : null;
      const etag = await list(from, to, true);
      return { pending: pending.list(), etag, etag_url: created };
    });
  },
};

/** One completed run: its `workflow_run.completed` deliveries (one per attempt) and its jobs' deliveries. */
async function collectRun(repository: Repository, run: Rest, ctx: KindContext): Promise<void> {
  const owner = repository.owner.login;
  const repo = repository.name;
  if (ctx.sink.collects('github::workflow_run.completed')) {
    const attempts = Number(run.run_attempt ?? 1);
    for (let attempt = 1; attempt < attempts; attempt += 1) {
      checkBudget(ctx);
      const earlier = await ctx.github.request(
        'GET /repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}',
        {
          owner,
          repo,
          run_id: run.id,
          attempt_number: attempt,
        },
      );
      await ctx.sink.emit(
        'workflow_run',
        payloads.workflowRunCompleted(earlier.data as Rest, repository),
        backfillDeliveryId('run', run.id, attempt),
      );
    }
    await ctx.sink.emit(
      'workflow_run',
      payloads.workflowRunCompleted(run, repository),
      backfillDeliveryId('run', run.id, attempts),
    );
  }
  if (ctx.sink.collects('github::workflow_job.completed')) {
    const params = { owner, repo, run_id: run.id, filter: 'all', per_page: 100 };
    for await (const page of listPages(ctx, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs', params, {
      key: 'jobs',
    })) {
      if (page === 'not-modified') break;
      for (const job of page.items) {
        if (job.status !== 'completed') continue;
        await ctx.sink.emit(
          'workflow_job',
          payloads.workflowJobCompleted(job, repository),
          backfillDeliveryId('job', job.id, job.run_attempt ?? 1),
        );
      }
    }
  }
}
