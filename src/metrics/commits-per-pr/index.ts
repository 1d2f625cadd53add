import { isBotLogin, type PullCommit } from '../../github/pull-request-data';
import { toUtcIso } from '../../time';
import {
  closedPullRequestDraft,
  headSha,
  isMergedPullRequest,
  parseClosedPullRequest,
  readPullRequestData,
  stageMs,
} from '../closed-pull-request';
import type { Metric } from '../types';

/**
 * `commits-per-pr`: one record per merged pull request. Natural key: pull request id + closed_at.
 * occurred_at = closed_at (= merged_at). Times UTC ISO-8601; null where the API could not be read (partial record).
 */
export interface CommitsPerPrOutput {
  pull_request_id: string;
  number: number;
  base_branch: string;
  /** The pull request's head commit when merged (join key to check-suite, workflow-job, workflow-run). */
  head_sha: string | null;
  merged_at: string;
  /** Commits in the pull request: the REST count of the payload (authoritative). */
  commits: number;
  /** Commits GitHub listed (it lists at most 250); null when the API could not be read. */
  commits_listed: number | null;
  /** True when GitHub listed fewer commits than `commits` (more than 250): times and authors cover the listed ones. */
  commits_truncated: boolean | null;
  /** Earliest author date: when the work started (author dates survive rebases). */
  first_commit_at: string | null;
  /** Latest committer date: when the last change was committed (a rebase or force push moves it). */
  last_commit_at: string | null;
  /** last_commit_at − first_commit_at, in ms. */
  commit_span_ms: number | null;
  /** Distinct commit authors, by GitHub login, else by name, with their commit counts. */
  authors: { name: string; login: string | null; is_bot: boolean; commits: number }[] | null;
  /** Number of distinct authors (bots included); null when unknown. */
  author_count: number | null;
  /** Commits authored by bots. */
  bot_commits: number | null;
  /** Times the head branch was force-pushed while the pull request was open. */
  force_pushes: number | null;
  /**
   * Every listed commit in GitHub's order, with its author date (when it was written; a rebase keeps it) and
   * committer date (when it was last committed; a rebase or amend moves it). A squash merge's new commit on
   * the base branch is not one of them.
   */
  commit_times: { sha: string; authored_at: string | null; committed_at: string | null }[] | null;
}

const isoOrNull = (time: string) => (Number.isNaN(Date.parse(time)) ? null : toUtcIso(time));

/** First author date and last committer date, whatever order the commits come in (rebases reorder them). */
export function commitTimes(commits: readonly PullCommit[]): {
  first_commit_at: string | null;
  last_commit_at: string | null;
} {
  let first: number | null = null;
  let last: number | null = null;
  for (const c of commits) {
    const authored = Date.parse(c.authored_at);
    const committed = Date.parse(c.committed_at);
    if (!Number.isNaN(authored) && (first === null || authored < first)) first = authored;
    const end = Number.isNaN(committed) ? authored : committed;
    if (!Number.isNaN(end) && (last === null || end > last)) last = end;
  }
  return {
    first_commit_at: first === null ? null : new Date(first).toISOString(),
    last_commit_at: last === null ? null : new Date(last).toISOString(),
  };
}

const commitIsBot = (c: PullCommit) => isBotLogin(c.login) || isBotLogin(c.name) || isBotLogin(c.email);

function commitAuthors(commits: readonly PullCommit[]): NonNullable<CommitsPerPrOutput['authors']> {
  const byKey = new Map<string, NonNullable<CommitsPerPrOutput['authors']>[number]>();
  for (const c of commits) {
    const name = c.login ?? c.name ?? c.email ?? 'unknown';
    const key = (c.login ?? c.email ?? name).toLowerCase();
    const entry = byKey.get(key) ?? { name, login: c.login, is_bot: commitIsBot(c), commits: 0 };
    entry.commits += 1;
    byKey.set(key, entry);
  }
  return [...byKey.values()].sort((a, b) => b.commits - a.commits || a.name.localeCompare(b.name));
}

export const commitsPerPr: Metric<CommitsPerPrOutput> = {
  name: 'commits-per-pr',
  description: 'One record per merged pull request: commit count, first and last commit times, authors.',
  triggers: ['github::pull_request.closed'],
  permissions: { pull_requests: 'read' },
  matches: isMergedPullRequest,
  async collect(event, ctx) {
    const payload = parseClosedPullRequest(event);
    const pr = payload.pull_request;
    const data = await readPullRequestData(ctx, payload);
    const api = data.ok ? data.value : null;
    const times = api ? commitTimes(api.commits) : { first_commit_at: null, last_commit_at: null };
    const commits = pr.commits ?? api?.commitsTotal ?? 0;
    const authors = api ? commitAuthors(api.commits) : null;
    return [
      closedPullRequestDraft(payload, data, {
        pull_request_id: pr.id,
        number: pr.number,
        base_branch: pr.base.ref,
        head_sha: headSha(payload),
        merged_at: toUtcIso(pr.merged_at ?? pr.closed_at),
        commits,
        commits_listed: api ? api.commits.length : null,
        commits_truncated: api ? api.commits.length < commits : null,
        ...times,
        commit_span_ms: stageMs(times.first_commit_at, times.last_commit_at),
        authors,
        author_count: authors ? authors.length : null,
        bot_commits: api ? api.commits.filter(commitIsBot).length : null,
        force_pushes: api ? api.timeline.filter((e) => e.type === 'head_ref_force_pushed').length : null,
        commit_times: api
          ? api.commits.map((c) => ({
              sha: c.sha,
              authored_at: isoOrNull(c.authored_at),
              committed_at: isoOrNull(c.committed_at),
            }))
          : null,
      }),
    ];
  },
};
