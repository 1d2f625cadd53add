import type { Report } from '../report';
import { lastDay } from '../window';

/**
 * What a reader must know before trusting the figures, in plain sentences: the window holds no record, or
 * pull requests were recorded without their reviews (no GITHUB_TOKEN when they were collected). Every
 * format shows them; `telemetry report` also prints them on standard error.
 */
export function reportNotices(report: Report): string[] {
  const notices: string[] = [];
  const { window, records, flow } = report;
  if (records.used === 0) {
    notices.push(
      `No records between ${window.since.slice(0, 10)} and ${lastDay(window.until)}. Records count by when they happened (occurred_at), not when they were collected: choose the window with --since and --until (the bundled examples of \`telemetry send\` happened between 2019 and 2021: --since 2019-01-01 --until 2021-12-31).`,
    );
  }
  const unknown = flow.merged_without_review.unknown;
  if (unknown > 0) {
    notices.push(
      `${unknown} of ${flow.merged} merged pull requests were recorded without their reviews and commits (partial records: no GITHUB_TOKEN when they were collected, or the GitHub API failed): their review and stage figures are unknown, not zero. Set GITHUB_TOKEN before \`npm start\`, or collect them again with \`telemetry backfill\` and a token.`,
    );
  }
  return notices;
}
