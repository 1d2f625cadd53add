import { toUtcIso } from '../../time';
import {
  authorIsBot,
  closedPullRequestDraft,
  draftHistory,
  firstApprovalAt,
  firstReviewAt,
  headSha,
  isClosedPullRequest,
  isMerged,
  othersReviews,
  parseClosedPullRequest,
  readPullRequestData,
  stageMs,
  utcOrNull,
} from '../closed-pull-request';
import { commitTimes } from '../commits-per-pr';
import type { Metric } from '../types';
import type { PullRequestOutput } from './output';

export const pullRequest: Metric<PullRequestOutput> = {
  name: 'pull-request',
  description:
    'One record per closed pull request (merged or not): cycle-time stages, time in draft, size, labels.',
  triggers: ['github::pull_request.closed'],
  permissions: { pull_requests: 'read' },
  matches: isClosedPullRequest,
  async collect(event, ctx) {
    const payload = parseClosedPullRequest(event);
    const pr = payload.pull_request;
    const merged = isMerged(payload);
    const author = pr.user?.login ?? null;
    const data = await readPullRequestData(ctx, payload);
    const api = data.ok ? data.value : null;

    const endedAt = toUtcIso(merged && pr.merged_at ? pr.merged_at : pr.closed_at);
    const firstCommitAt = api ? commitTimes(api.commits).first_commit_at : null;
    const draft = api ? draftHistory(api.timeline, pr.created_at, pr.closed_at, pr.draft) : null;
    const firstReview = api ? firstReviewAt(api.reviews, author) : null;
    const firstApproval = api ? firstApprovalAt(api.reviews, author) : null;
    const createdAt = toUtcIso(pr.created_at);
    // Work may start before the first commit's author date claims (or a commit may be authored after
    // opening): the cycle starts at whichever came first.
    const cycleStart =
      firstCommitAt && Date.parse(firstCommitAt) < Date.parse(createdAt) ? firstCommitAt : createdAt;
    const reviewOpenAt = draft ? draft.review_open_at : createdAt;

    return [
      closedPullRequestDraft(payload, data, {
        pull_request_id: pr.id,
        number: pr.number,
        title: pr.title,
        author,
        author_is_bot: authorIsBot(payload),
        outcome: merged ? 'merged' : 'closed',
        base_branch: pr.base.ref,
        head_branch: pr.head.ref,
        head_sha: headSha(payload),
        into_default_branch: merged && pr.base.ref === payload.repository.default_branch,
        labels: pr.labels.map((l) => l.name),
        draft: pr.draft,
        opened_as_draft: draft ? draft.opened_as_draft : null,
        created_at: createdAt,
        closed_at: toUtcIso(pr.closed_at),
        merged_at: merged ? utcOrNull(pr.merged_at) : null,
        merge_commit_sha: merged ? (pr.merge_commit_sha ?? null) : null,
        first_commit_at: firstCommitAt,
        ready_at: draft ? draft.ready_at : null,
        first_review_at: firstReview,
        first_approval_at: firstApproval,
        time_in_draft_ms: draft ? draft.time_in_draft_ms : null,
        additions: pr.additions ?? 0,
        deletions: pr.deletions ?? 0,
        changed_files: pr.changed_files ?? 0,
        commits: pr.commits ?? api?.commitsTotal ?? 0,
        reviews: api ? othersReviews(api.reviews, author).length : null,
        stages: {
          coding_ms: stageMs(firstCommitAt, createdAt),
          pickup_ms: stageMs(reviewOpenAt, firstReview),
          review_ms: stageMs(firstReview, firstApproval),
          merge_ms: api ? stageMs(firstApproval ?? firstReview ?? reviewOpenAt ?? createdAt, endedAt) : null,
          cycle_ms: api ? stageMs(cycleStart, endedAt) : null,
        },
      }),
    ];
  },
};
