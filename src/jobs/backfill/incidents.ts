import { listPages, type Rest } from '../listing';
import { isoSeconds } from '../window';
import { backfillDeliveryId, payloads } from './payloads';
import { NewestFirstScan } from './scan';
import type { BackfillKind } from './types';

/**
 * Issues carrying an incident label (`metrics.incidentLabels`) → `issues.opened` and, once closed,
 * `issues.closed`. One listing per label (GitHub's `labels=` means all of them), oldest update first from
 * the label's cursor (`since=`), so a stop keeps everything read before it.
 */
export const incidents: BackfillKind = {
  name: 'incidents',
  triggers: ['github::issues.opened', 'github::issues.closed'],
  async run(repository, window, saved, ctx) {
    const scan = new NewestFirstScan(saved, window);
    const owner = repository.owner.login;
    const repo = repository.name;
    const labels = scan.resuming ? { ...scan.state.labels } : {};
    scan.pendingExtra = { labels };
    const seen = new Set<string>();
    const collectIssue = async (issue: Rest) => {
      const opened = Date.parse(issue.created_at);
      const closed = issue.closed_at ? Date.parse(issue.closed_at) : Number.NaN;
      if (opened >= window.since && opened <= window.until) {
        const payload = payloads.issueOpened(issue, repository);
        await ctx.sink.emit('issues', payload, backfillDeliveryId('issue', issue.id, 'opened'));
      }
      if (closed >= window.since && closed <= window.until) {
        const payload = payloads.issueClosed(issue, repository);
        await ctx.sink.emit('issues', payload, backfillDeliveryId('issue', issue.id, 'closed'));
      }
    };
    return scan.run(async () => {
      for (const label of ctx.settings.incidentLabels) {
        const cursor = labels[label] ? Date.parse(labels[label]) : Number.NEGATIVE_INFINITY;
        const since = Math.max(window.since, cursor);
        const params = {
          owner,
          repo,
          labels: label,
          state: 'all',
          sort: 'updated',
          direction: 'asc',
          since: isoSeconds(since),
        };
        let last: number | null = null;
        for await (const page of listPages(ctx, 'GET /repos/{owner}/{repo}/issues', params)) {
          if (page === 'not-modified') break;
          for (const issue of page.items) {
            const updated = Date.parse(issue.updated_at);
            // `since` is inclusive: what sits at the cursor was collected last time.
            if (issue.pull_request || updated <= cursor || updated > window.until) continue;
            ctx.onItem();
            if (!seen.has(String(issue.id))) {
              seen.add(String(issue.id));
              await collectIssue(issue);
            }
            // Just below this item until the listing is done: others updated in the same instant may follow.
            labels[label] = new Date(updated - 1).toISOString();
            last = updated;
          }
        }
        if (last !== null) labels[label] = new Date(last).toISOString();
      }
      return { labels };
    });
  },
};
