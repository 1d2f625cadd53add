import { z } from 'zod';
import { githubId, isoTime, parsePayload, repositorySchema } from '../github/payloads';
import {
  fetchPullRequestData,
  isBotLogin,
  PULL_REQUEST_DATA_CALL,
  type PullRequestData,
  type PullReview,
  type PullTimelineEvent,
} from '../github/pull-request-data';
import type { MetricDraft } from '../pipeline/record';
import type { SignedEvent } from '../pipeline/types';
import { toUtcIso } from '../time';
import { type Enriched, enrich } from './enrich';
import { type MetricContext, shared } from './types';

/**
 * What the four pull-request metrics (pull-request, code-review-involvement, commits-per-pr,
 * documentation-updated) share: the closed `pull_request` payload, its natural key, the one API read per
 * event, and the timeline arithmetic (draft periods, first review, first approval).
 */

export const CLOSED_PULL_REQUEST_TRIGGER = 'github::pull_request.closed';

const login = z.looseObject({ login: z.string(), type: z.string().optional() });

export const closedPullRequestPayload = z.looseObject({
  action: z.literal('closed'),
  pull_request: z.looseObject({
    id: githubId,
    number: z.number().int().positive(),
    title: z.string(),
    user: login.nullable(),
    draft: z.boolean().optional().default(false),
    merged: z.boolean().nullable().optional(),
    created_at: isoTime,
    closed_at: isoTime,
    merged_at: isoTime.nullable().optional(),
    merge_commit_sha: z.string().nullable().optional(),
    merged_by: login.nullable().optional(),
    base: z.looseObject({ ref: z.string() }),
    head: z.looseObject({ ref: z.string(), sha: z.string().optional() }),
    labels: z.array(z.looseObject({ name: z.string() })).default([]),
    requested_reviewers: z.array(z.looseObject({ login: z.string().optional() })).default([]),
    requested_teams: z.array(z.looseObject({ slug: z.string().optional() })).default([]),
    commits: z.number().int().nonnegative().optional(),
    additions: z.number().int().nonnegative().optional(),
    deletions: z.number().int().nonnegative().optional(),
    changed_files: z.number().int().nonnegative().optional(),
    review_comments: z.number().int().nonnegative().optional(),
    comments: z.number().int().nonnegative().optional(),
  }),
  repository: repositorySchema,
});

export type ClosedPullRequest = z.infer<typeof closedPullRequestPayload>;

export function parseClosedPullRequest(event: SignedEvent): ClosedPullRequest {
  return parsePayload(closedPullRequestPayload, event.payload, 'pull_request payload');
}

export const isClosedPullRequest = (event: SignedEvent) => event.trigger === CLOSED_PULL_REQUEST_TRIGGER;

/**
 * The condition of the merged-only metrics. It never throws: a payload of the wrong shape matches, so that
 * `collect` rejects it with the message naming what is wrong (and the event is parked, not dropped).
 */
export function isMergedPullRequest(event: SignedEvent): boolean {
  if (!isClosedPullRequest(event)) return false;
  const parsed = closedPullRequestPayload.safeParse(event.payload);
  return !parsed.success || isMerged(parsed.data);
}

/** Merged: `merged` when the payload has it, else a non-null `merged_at`. */
export function isMerged(payload: ClosedPullRequest): boolean {
  return payload.pull_request.merged ?? Boolean(payload.pull_request.merged_at);
}

/** Pull request id + closed_at: a pull request reopened and closed again is a second record. */
export function pullRequestKey(payload: ClosedPullRequest): string {
  return `${payload.pull_request.id}:${toUtcIso(payload.pull_request.closed_at)}`;
}

/** Commits, files, reviews and timeline events, read once per event however many metrics ask. */
export function readPullRequestData(
  ctx: MetricContext,
  payload: ClosedPullRequest,
): Promise<Enriched<PullRequestData>> {
  const pull = {
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    number: payload.pull_request.number,
  };
  return shared(ctx, `pull-request-data:${pull.owner}/${pull.repo}#${pull.number}`, () =>
    enrich(ctx, PULL_REQUEST_DATA_CALL, (github) => fetchPullRequestData(github, pull)),
  );
}

/**
 * The one draft every pull-request metric returns: keyed and placed by the closed pull request, partial
 * (naming the failed read) when its data could not be read.
 */
export function closedPullRequestDraft<O>(
  payload: ClosedPullRequest,
  data: Enriched<unknown>,
  output: O,
): MetricDraft<O> {
  return {
    naturalKey: pullRequestKey(payload),
    owner: payload.repository.owner.login,
    repo: payload.repository.name,
    occurredAt: payload.pull_request.closed_at,
    ...(data.ok ? {} : { errors: [data.error] }),
    output,
  };
}

/** The head commit when closed: joins a pull request to its check suites and jobs (their `head_sha`). */
export const headSha = (payload: ClosedPullRequest) => payload.pull_request.head.sha ?? null;

export const authorIsBot = (payload: ClosedPullRequest) =>
  payload.pull_request.user?.type === 'Bot' || isBotLogin(payload.pull_request.user?.login);

export const utcOrNull = (time: string | null | undefined) => (time ? toUtcIso(time) : null);

/** Submitted reviews by someone other than the pull request's author, oldest first (pending ones are drafts). */
export function othersReviews(reviews: readonly PullReview[], author: string | null): PullReview[] {
  return reviews
    .filter((r) => r.state !== 'PENDING' && r.submitted_at && r.login !== author)
    .sort((a, b) => Date.parse(a.submitted_at ?? '') - Date.parse(b.submitted_at ?? ''));
}

export function firstReviewAt(reviews: readonly PullReview[], author: string | null): string | null {
  return utcOrNull(othersReviews(reviews, author)[0]?.submitted_at);
}

export function firstApprovalAt(reviews: readonly PullReview[], author: string | null): string | null {
  return utcOrNull(othersReviews(reviews, author).find((r) => r.state === 'APPROVED')?.submitted_at);
}

export interface DraftHistory {
  opened_as_draft: boolean;
  /** When it was first open for review: created_at, or the first ready_for_review of a draft. */
  review_open_at: string | null;
  /** The last ready_for_review (when it last left draft), null if none. */
  ready_at: string | null;
  /** Time spent as a draft between created_at and closed_at, in ms. */
  time_in_draft_ms: number;
}

/**
 * Draft periods from the ready_for_review / convert_to_draft events. Whether it was opened as a draft: the
 * first such event says (a ready_for_review means it started as draft); with none, it was a draft all along
 * exactly when it is still one at closing.
 */
export function draftHistory(
  timeline: readonly PullTimelineEvent[],
  createdAt: string,
  closedAt: string,
  draftAtClose: boolean,
): DraftHistory {
  const toggles = timeline.filter((e) => e.type === 'ready_for_review' || e.type === 'convert_to_draft');
  const openedAsDraft = toggles.length > 0 ? toggles[0]?.type === 'ready_for_review' : draftAtClose;
  let inDraftSince: number | null = openedAsDraft ? Date.parse(createdAt) : null;
  let draftMs = 0;
  let firstReady: string | null = null;
  let lastReady: string | null = null;
  for (const toggle of toggles) {
    const at = Date.parse(toggle.at);
    if (toggle.type === 'ready_for_review' && inDraftSince !== null) {
      draftMs += Math.max(0, at - inDraftSince);
      inDraftSince = null;
      firstReady ??= toggle.at;
      lastReady = toggle.at;
    } else if (toggle.type === 'convert_to_draft' && inDraftSince === null) {
      inDraftSince = at;
    }
  }
  if (inDraftSince !== null) draftMs += Math.max(0, Date.parse(closedAt) - inDraftSince);
  return {
    opened_as_draft: openedAsDraft,
    review_open_at: openedAsDraft ? utcOrNull(firstReady) : toUtcIso(createdAt),
    ready_at: utcOrNull(lastReady),
    time_in_draft_ms: draftMs,
  };
}

/** `to − from` in ms, null when either is missing; never negative (a review while still a draft is 0). */
export function stageMs(from: string | null | undefined, to: string | null | undefined): number | null {
  if (!from || !to) return null;
  return Math.max(0, Date.parse(to) - Date.parse(from));
}
