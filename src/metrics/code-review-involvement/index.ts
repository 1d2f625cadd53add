import type { PullTimelineEvent } from '../../github/pull-request-data';
import { toUtcIso } from '../../time';
import {
  closedPullRequestDraft,
  draftHistory,
  firstApprovalAt,
  firstReviewAt,
  isClosedPullRequest,
  isMerged,
  othersReviews,
  parseClosedPullRequest,
  readPullRequestData,
  stageMs,
  utcOrNull,
} from '../closed-pull-request';
import type { Metric } from '../types';

/**
 * `code-review-involvement`: one record per closed pull request (merged or not). Natural key: pull request
 * id + closed_at. occurred_at = closed_at. Durations in ms, times UTC ISO-8601; API-derived fields are null
 * when the API could not be read (partial record).
 */
export interface CodeReviewInvolvementOutput {
  pull_request_id: string;
  number: number;
  author: string | null;
  outcome: 'merged' | 'closed';
  created_at: string;
  closed_at: string;
  merged_at: string | null;
  /** Everyone who submitted a review (the author's own replies excluded), with their reviews by state. */
  reviewers: { login: string; is_bot: boolean; reviews: number; states: Record<string, number> }[] | null;
  reviewer_count: number | null;
  /** Users ever asked to review (timeline review_requested events), whether or not the request was answered or removed. */
  requested_reviewers: { login: string; is_bot: boolean }[] | null;
  /** Teams ever asked to review (slugs). */
  requested_teams: string[] | null;
  /** Requested users who never submitted a review. */
  requested_not_reviewed: string[] | null;
  /** Requests still pending when the pull request closed (the payload's requested_reviewers/teams). */
  pending_at_close: string[];
  first_review_requested_at: string | null;
  /** Submitted reviews (not the author's) by state, lower-case: approved, changes_requested, commented, dismissed. */
  reviews_by_state: Record<string, number> | null;
  reviews: number | null;
  /** Review comments (comments on lines of the diff), from the payload's count. */
  review_comments: number;
  first_review_at: string | null;
  first_approval_at: string | null;
  /** First review − when it was opened for review (created, or first ready for review when opened as a draft), in ms; null without a review. */
  time_to_first_review_ms: number | null;
  /** First approval − when it was opened for review, in ms; null without an approval. */
  time_to_first_approval_ms: number | null;
  /** Merged with no approval submitted before the merge (false for pull requests closed without merging). */
  merged_without_approval: boolean | null;
}

export const codeReviewInvolvement: Metric<CodeReviewInvolvementOutput> = {
  name: 'code-review-involvement',
  description:
    'One record per closed pull request: who reviewed, who was requested, reviews by state, time to first review and approval.',
  triggers: ['github::pull_request.closed'],
  matches: isClosedPullRequest,
  async collect(event, ctx) {
    const payload = parseClosedPullRequest(event);
    const pr = payload.pull_request;
    const merged = isMerged(payload);
    const author = pr.user?.login ?? null;
    const data = await readPullRequestData(ctx, payload);
    const api = data.ok ? data.value : null;

    const reviews = api ? othersReviews(api.reviews, author) : null;
    const reviewers = reviews ? reviewersOf(reviews) : null;
    const requests = api ? api.timeline.filter(isReviewRequest) : null;
    const requestedUsers = requests ? distinctRequested(requests, 'user') : null;
    const requestedTeams = requests ? distinctRequested(requests, 'team').map((r) => r.login) : null;
    const firstReview = api ? firstReviewAt(api.reviews, author) : null;
    const firstApproval = api ? firstApprovalAt(api.reviews, author) : null;
    const openAt = api
      ? draftHistory(api.timeline, pr.created_at, pr.closed_at, pr.draft).review_open_at
      : null;
    const mergedAt = merged ? utcOrNull(pr.merged_at ?? pr.closed_at) : null;

    return [
      closedPullRequestDraft(payload, data, {
        pull_request_id: pr.id,
        number: pr.number,
        author,
        outcome: merged ? 'merged' : 'closed',
        created_at: toUtcIso(pr.created_at),
        closed_at: toUtcIso(pr.closed_at),
        merged_at: mergedAt,
        reviewers,
        reviewer_count: reviewers ? reviewers.length : null,
        requested_reviewers: requestedUsers,
        requested_teams: requestedTeams,
        requested_not_reviewed:
          requestedUsers && reviewers
            ? requestedUsers.map((r) => r.login).filter((l) => !reviewers.some((x) => x.login === l))
            : null,
        pending_at_close: [
          ...pr.requested_reviewers.flatMap((r) => (r.login ? [r.login] : [])),
          ...pr.requested_teams.flatMap((t) => (t.slug ? [`team:${t.slug}`] : [])),
        ],
        first_review_requested_at: utcOrNull(requests?.[0]?.at),
        reviews_by_state: reviews ? countStates(reviews.map((r) => r.state)) : null,
        reviews: reviews ? reviews.length : null,
        review_comments: pr.review_comments ?? 0,
        first_review_at: firstReview,
        first_approval_at: firstApproval,
        time_to_first_review_ms: stageMs(openAt, firstReview),
        time_to_first_approval_ms: stageMs(openAt, firstApproval),
        merged_without_approval: mergedWithoutApproval(mergedAt, api !== null, firstApproval),
      }),
    ];
  },
};

/** False when not merged; null when merged but the reviews could not be read. */
function mergedWithoutApproval(mergedAt: string | null, known: boolean, firstApproval: string | null) {
  if (mergedAt === null) return false;
  if (!known) return null;
  return firstApproval === null || Date.parse(firstApproval) > Date.parse(mergedAt);
}

type ReviewRequest = Extract<PullTimelineEvent, { type: 'review_requested' }>;
const isReviewRequest = (e: PullTimelineEvent): e is ReviewRequest => e.type === 'review_requested';

function distinctRequested(requests: readonly ReviewRequest[], kind: 'user' | 'team') {
  const seen = new Map<string, { login: string; is_bot: boolean }>();
  for (const { reviewer } of requests) {
    if (reviewer?.kind === kind && !seen.has(reviewer.name.toLowerCase())) {
      seen.set(reviewer.name.toLowerCase(), { login: reviewer.name, is_bot: reviewer.is_bot });
    }
  }
  return [...seen.values()];
}

function countStates(states: readonly string[]): Record<string, number> {
  const out: Record<string, number> = Object.create(null);
  for (const state of states) out[state.toLowerCase()] = (out[state.toLowerCase()] ?? 0) + 1;
  return out;
}

function reviewersOf(reviews: ReturnType<typeof othersReviews>) {
  const byLogin = new Map<string, { login: string; is_bot: boolean; states: string[] }>();
  for (const r of reviews) {
    const login = r.login ?? 'ghost';
    const entry = byLogin.get(login) ?? { login, is_bot: r.is_bot, states: [] };
    entry.states.push(r.state);
    byLogin.set(login, entry);
  }
  return [...byLogin.values()].map((r) => ({
    login: r.login,
    is_bot: r.is_bot,
    reviews: r.states.length,
    states: countStates(r.states),
  }));
}
