import { checkBudget, getPage, listPages } from '../listing';
import { backfillDeliveryId, payloads } from './payloads';
import { NewestFirstScan } from './scan';
import type { BackfillKind } from './types';

/**
 * Closed pull requests → `pull_request.closed`. Listed by `updated` newest first (GitHub has no `since` on
 * this listing), read down to the cursor; the first page is conditional, so an unchanged repository costs
 * nothing. Each pull request is then read in full (GET …/pulls/{n}): the listing leaves out what the
 * webhook payload carries (merged, merged_by, additions, deletions, changed_files, commits, comments).
 */
export const pulls: BackfillKind = {
  name: 'pulls',
  triggers: ['github::pull_request.closed'],
  async run(repository, window, saved, ctx) {
    const scan = new NewestFirstScan(saved, window);
    const owner = repository.owner.login;
    const repo = repository.name;
    const params = { owner, repo, state: 'closed', sort: 'updated', direction: 'desc', per_page: 100 };
    const url = `pulls?state=closed&sort=updated&direction=desc`;
    const etag = scan.savedEtag(url);
    let firstEtag: string | null = null;
    return scan.run(async () => {
      const first = await getPage(ctx, 'GET /repos/{owner}/{repo}/pulls', params, { etag });
      if (first === 'not-modified') return {};
      firstEtag = first.etag;
      for await (const page of listPages(ctx, 'GET /repos/{owner}/{repo}/pulls', params, { first })) {
        if (page === 'not-modified') break;
        for (const item of page.items) {
          const updated = Date.parse(item.updated_at);
          if (scan.isBelow(updated)) return { etag: firstEtag, etag_url: url };
          ctx.onItem();
          const closed = item.closed_at ? Date.parse(item.closed_at) : Number.NaN;
          if (scan.isDone(updated) || !(closed >= window.since && closed <= window.until)) {
            scan.seen(updated);
            continue;
          }
          checkBudget(ctx);
          const full = await ctx.github.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
            owner,
            repo,
            pull_number: item.number,
          });
          await ctx.sink.emit(
            'pull_request',
            payloads.pullRequestClosed(full.data, repository),
            backfillDeliveryId('pr', item.id),
          );
          scan.collected(updated);
        }
      }
      return { etag: firstEtag, etag_url: url };
    });
  },
};
