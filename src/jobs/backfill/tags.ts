import { checkBudget, getPage, listPages } from '../listing';
import { backfillDeliveryId, payloads } from './payloads';
import { NewestFirstScan } from './scan';
import type { BackfillKind } from './types';

/**
 * Tags → `create` (ref_type tag). The tags listing carries no dates, so:
 * - a tag is dated by its commit's committer date (GET …/git/commits/{sha}, one request per tag a metric
 *   collects, e.g. semantic versions). That date becomes the reconstructed delivery's received_at, hence the
 *   record's occurred_at (release-versions dates a tag by its delivery). A live record of the same tag has the
 *   same id; it lands on the same file only when the tag was pushed in the same minute as its commit (the hot
 *   layout's folder, src/data/layout.ts). A tag pushed later is stored twice, under both minutes: readers
 *   keep one per id and compaction merges them, so no figure counts it twice;
 * - known tags (and their dates) are kept in the state, so a daily run reads only the listing, conditionally
 *   when it fits on one page (a 304 costs nothing).
 */
export const tags: BackfillKind = {
  name: 'tags',
  triggers: ['github::create'],
  async run(repository, window, saved, ctx) {
    const scan = new NewestFirstScan(saved, window);
    const owner = repository.owner.login;
    const repo = repository.name;
    const url = 'tags';
    const known = { ...(saved?.tags ?? {}) };
    const etag = scan.savedEtag(url);
    scan.pendingExtra = { tags: known };
    return scan.run(async () => {
      const params = { owner, repo, per_page: 100 };
      const first = await getPage(ctx, 'GET /repos/{owner}/{repo}/tags', params, { etag });
      if (first === 'not-modified') return { tags: known };
      for await (const page of listPages(ctx, 'GET /repos/{owner}/{repo}/tags', params, { first })) {
        if (page === 'not-modified') break;
        for (const tag of page.items) {
          const name = String(tag.name);
          if (scan.resuming && known[name]) continue;
          const payload = payloads.tagCreated(name, repository);
          if (!ctx.sink.wants('create', payload)) continue;
          ctx.onItem();
          let date = known[name];
          if (!date) {
            checkBudget(ctx);
            const commit = await ctx.github.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', {
              owner,
              repo,
              commit_sha: String(tag.commit?.sha),
            });
            date = new Date(commit.data.committer?.date ?? commit.data.author?.date).toISOString();
          }
          const time = Date.parse(date);
          if (time >= window.since && time <= window.until) {
            await ctx.sink.emit('create', payload, backfillDeliveryId('tag', repository.id, name), date);
          }
          known[name] = date;
        }
      }
      // Only a single page is a safe ETag: a new tag may sort onto a later page and leave the first unchanged.
      return first.next ? { tags: known } : { tags: known, etag: first.etag, etag_url: url };
    });
  },
};
