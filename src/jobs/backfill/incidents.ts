import { listPages } from '../listing';
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
    return scan.run(async () => {
      for (const label of ctx.settings.incidentLabels) {
        const since = Math.max(window.since, labels[label] ? Date.parse(labels[label]) : 0);
        const params = {
          owner,
          repo,
          labels: label,
          state: 'all',
          sort: 'updated',
          direction: 'asc',
          since: isoSeconds(since),
        };
        for await (const page of listPages(ctx, 'GET /repos/{owner}/{repo}/issues', params)) {
          if (page === 'not-modified') break;
          for (const issue of page.items) {
            if (issue.pull_request) continue; // the issues listing includes pull requests
            const updated = Date.parse(issue.updated_at);
            if (updated > window.until) break;
            ctx.onItem();
            if (!seen.has(String(issue.id))) {
              seen.add(String(issue.id));
              const opened = Date.parse(issue.created_at);
              const closed = issue.closed_at ? Date.parse(issue.closed_at) : Number.NaN;
              if (opened >= window.since && opened <= window.until) {
                await ctx.sink.emit(
                  'issues',
                  payloads.issueOpened(issue, repository),
                  backfillDeliveryId('issue', issue.id, 'opened'),
                );
              }
              if (closed >= window.since && closed <= window.until) {
                await ctx.sink.emit(
                  'issues',
                  payloads.issueClosed(issue, repository),
                  backfillDeliveryId('issue', issue.id, 'closed'),
                );
              }
            }
            labels[label] = new Date(updated).toISOString();
          }
        }
      }
      return { labels };
    });
  },
};
