import { checkBudget, getPage, listPages, type Rest } from '../listing';
import type { Repository } from '../repositories';
import { backfillDeliveryId, payloads } from './payloads';
import { NewestFirstScan, PendingEntities } from './scan';
import type { BackfillKind, KindContext } from './types';

/** Deployment states after which no further status is expected. */
const FINAL = new Set(['success', 'failure', 'error', 'inactive']);

/**
 * Deployments → `deployment.created`, and each of their statuses → `deployment_status.created`. Listed
 * newest first, read down to the cursor (first page conditional). A deployment whose latest status is not
 * final is remembered as pending and its statuses read again next run, so late statuses are not missed.
 */
export const deployments: BackfillKind = {
  name: 'deployments',
  triggers: ['github::deployment.created', 'github::deployment_status.created'],
  async run(repository, window, saved, ctx) {
    const scan = new NewestFirstScan(saved, window);
    const owner = repository.owner.login;
    const repo = repository.name;
    const pending = scan.pending;
    const url = 'deployments';
    const etag = scan.savedEtag(url);

    const track = (deployment: Rest, final: boolean) => {
      const id = String(deployment.id);
      if (final || PendingEntities.expired(deployment.created_at, ctx.now())) pending.drop(id);
      else pending.keep(id, deployment.created_at);
    };

    return scan.run(async () => {
      for (const entry of pending.list()) {
        checkBudget(ctx);
        const deployment = await ctx.github
          .request('GET /repos/{owner}/{repo}/deployments/{deployment_id}', {
            owner,
            repo,
            deployment_id: Number(entry.id),
          })
          .then((r) => r.data as Rest)
          .catch((error: { status?: number }) => {
            if (error.status === 404) return null;
            throw error;
          });
        if (!deployment) {
          pending.drop(entry.id);
          continue;
        }
        track(deployment, await collectStatuses(repository, deployment, ctx));
      }

      const params = { owner, repo, per_page: 100 };
      const first = await getPage(ctx, 'GET /repos/{owner}/{repo}/deployments', params, { etag });
      if (first === 'not-modified') return { pending: pending.list() };
      for await (const page of listPages(ctx, 'GET /repos/{owner}/{repo}/deployments', params, { first })) {
        if (page === 'not-modified') break;
        for (const deployment of page.items) {
          const created = Date.parse(deployment.created_at);
          if (scan.isBelow(created)) return { pending: pending.list(), etag: first.etag, etag_url: url };
          if (created > window.until) continue;
          ctx.onItem();
          if (scan.isDone(created)) {
            scan.seen(created);
            continue;
          }
          if (ctx.sink.collects('github::deployment.created')) {
            await ctx.sink.emit(
              'deployment',
              payloads.deploymentCreated(deployment, repository),
              backfillDeliveryId('deployment', deployment.id),
            );
          }
          track(deployment, await collectStatuses(repository, deployment, ctx));
          scan.collected(created);
        }
      }
      return { pending: pending.list(), etag: first.etag, etag_url: url };
    });
  },
};

/** Emits every status of `deployment`; true when the latest one is final. */
async function collectStatuses(repository: Repository, deployment: Rest, ctx: KindContext): Promise<boolean> {
  const params = { owner: repository.owner.login, repo: repository.name, deployment_id: deployment.id };
  let latest: Rest | undefined;
  for await (const page of listPages(
    ctx,
    'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
    params,
  )) {
    if (page === 'not-modified') break;
    for (const status of page.items) {
      // Listed newest first.
      latest ??= status;
      if (ctx.sink.collects('github::deployment_status.created')) {
        await ctx.sink.emit(
          'deployment_status',
          payloads.deploymentStatusCreated(status, deployment, repository),
          backfillDeliveryId('status', status.id),
        );
      }
    }
  }
  return latest !== undefined && FINAL.has(String(latest.state));
}
