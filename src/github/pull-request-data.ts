import { z } from 'zod';
import type { GitHubClient } from './client';
import { parsePayload } from './payloads';

/**
 * Everything the pull-request metrics read from the API about one pull request (commits, changed files,
 * reviews, and the timeline events review_requested / ready_for_review / convert_to_draft /
 * head_ref_force_pushed), in ONE GraphQL query per round. The first round asks for the first 100 items of
 * every connection; each further round asks only for the next page of the connections that have one, in the
 * same query (`@include`), so a pull request with 250 commits, 330 files and 120 reviews costs 4 requests and
 * the common small pull request costs 1. REST would cost at least 5 (commits, files, reviews, timeline,
 * plus pages).
 *
 * GitHub lists at most 250 commits of a pull request (GraphQL and REST alike); `commitsTotal` is GitHub's
 * own count, and callers use the REST `commits` count of the webhook payload as the authority.
 */
export const PULL_REQUEST_DATA_QUERY = `query PullRequestData(
  $owner: String!, $name: String!, $number: Int!, $first: Int!,
  $withCommits: Boolean!, $commitsAfter: String,
  $withFiles: Boolean!, $filesAfter: String,
  $withReviews: Boolean!, $reviewsAfter: String,
  $withTimeline: Boolean!, $timelineAfter: String
) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      commits(first: $first, after: $commitsAfter) @include(if: $withCommits) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { commit { oid authoredDate committedDate author { name email user { login } } } }
      }
      files(first: $first, after: $filesAfter) @include(if: $withFiles) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { path additions deletions changeType }
      }
      reviews(first: $first, after: $reviewsAfter) @include(if: $withReviews) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { databaseId state submittedAt author { __typename login } }
      }
      timelineItems(
        first: $first, after: $timelineAfter,
        itemTypes: [REVIEW_REQUESTED_EVENT, READY_FOR_REVIEW_EVENT, CONVERT_TO_DRAFT_EVENT, HEAD_REF_FORCE_PUSHED_EVENT]
      ) @include(if: $withTimeline) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes {
          __typename
          ... on ReviewRequestedEvent {
            createdAt
            requestedReviewer {
              __typename
              ... on User { login }
              ... on Bot { login }
              ... on Mannequin { login }
              ... on Team { slug }
            }
          }
          ... on ReadyForReviewEvent { createdAt }
          ... on ConvertToDraftEvent { createdAt }
          ... on HeadRefForcePushedEvent { createdAt }
        }
      }
    }
  }
}`;

/** How the enrichment is named in a partial record's `errors`. */
export const PULL_REQUEST_DATA_CALL =
  'POST /graphql (query PullRequestData: commits, files, reviews, timeline)';

/** GitHub's cap on the commits it lists for one pull request. */
export const PULL_REQUEST_COMMITS_LIMIT = 250;

const PAGE_SIZE = 100;
/** A guard against a server that never stops paging: 200 rounds = 20,000 items per connection. */
const MAX_ROUNDS = 200;

const pageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const connection = <T extends z.ZodType>(node: T) =>
  z.looseObject({ totalCount: z.number().int().nonnegative(), pageInfo, nodes: z.array(node.nullable()) });

const commitNode = z.looseObject({
  commit: z.looseObject({
    oid: z.string(),
    authoredDate: z.string(),
    committedDate: z.string(),
    author: z
      .looseObject({
        name: z.string().nullable().optional(),
        email: z.string().nullable().optional(),
        user: z.looseObject({ login: z.string() }).nullable().optional(),
      })
      .nullable()
      .optional(),
  }),
});
const fileNode = z.looseObject({
  path: z.string(),
  additions: z.number().int(),
  deletions: z.number().int(),
  changeType: z.string(),
});
const reviewNode = z.looseObject({
  databaseId: z.number().int().nullable().optional(),
  state: z.string(),
  submittedAt: z.string().nullable().optional(),
  author: z.looseObject({ __typename: z.string().optional(), login: z.string() }).nullable().optional(),
});
const timelineNode = z.looseObject({
  __typename: z.string(),
  createdAt: z.string().optional(),
  requestedReviewer: z
    .looseObject({ __typename: z.string(), login: z.string().optional(), slug: z.string().optional() })
    .nullable()
    .optional(),
});

const answerSchema = z.looseObject({
  repository: z
    .looseObject({
      pullRequest: z
        .looseObject({
          commits: connection(commitNode).optional(),
          files: connection(fileNode).optional(),
          reviews: connection(reviewNode).optional(),
          timelineItems: connection(timelineNode).optional(),
        })
        .nullable(),
    })
    .nullable(),
});

export interface PullCommit {
  sha: string;
  authored_at: string;
  committed_at: string;
  /** GitHub login when GitHub maps the author's email to a user (bots and unknown emails: null). */
  login: string | null;
  name: string | null;
  email: string | null;
}

export interface PullFile {
  path: string;
  additions: number;
  deletions: number;
  /** ADDED, DELETED, MODIFIED, RENAMED, COPIED, CHANGED */
  change_type: string;
}

export interface PullReview {
  id: string | null;
  /** APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING */
  state: string;
  submitted_at: string | null;
  login: string | null;
  is_bot: boolean;
}

export type PullTimelineEvent =
  | {
      type: 'review_requested';
      at: string;
      reviewer: { kind: 'user' | 'team'; name: string; is_bot: boolean } | null;
    }
  | { type: 'ready_for_review' | 'convert_to_draft' | 'head_ref_force_pushed'; at: string };

export interface PullRequestData {
  commits: PullCommit[];
  /** GitHub's count of the pull request's commits (the list stops at 250). */
  commitsTotal: number;
  files: PullFile[];
  reviews: PullReview[];
  /** Oldest first. */
  timeline: PullTimelineEvent[];
  /** GraphQL requests this read cost. */
  requests: number;
}

/** An API answer saying the token cannot read the repository: enrich() reports 404/403 as such. */
export class GitHubAccessError extends Error {
  override readonly name = 'GitHubAccessError';
  constructor(
    message: string,
    readonly status: 403 | 404,
  ) {
    super(message);
  }
}

type ConnectionName = 'commits' | 'files' | 'reviews' | 'timelineItems';
const CONNECTIONS: readonly ConnectionName[] = ['commits', 'files', 'reviews', 'timelineItems'];
const INCLUDE: Record<ConnectionName, string> = {
  commits: 'Commits',
  files: 'Files',
  reviews: 'Reviews',
  timelineItems: 'Timeline',
};

export async function fetchPullRequestData(
  github: GitHubClient,
  pull: { owner: string; repo: string; number: number },
): Promise<PullRequestData> {
  const after = new Map<ConnectionName, string | null>(CONNECTIONS.map((c) => [c, null]));
  const nodes: Record<ConnectionName, unknown[]> = { commits: [], files: [], reviews: [], timelineItems: [] };
  let commitsTotal = 0;
  let requests = 0;
  while (after.size > 0) {
    if (requests >= MAX_ROUNDS) throw new Error(`PullRequestData: still paging after ${MAX_ROUNDS} requests`);
    const variables: Record<string, unknown> = {
      owner: pull.owner,
      name: pull.repo,
      number: pull.number,
      first: PAGE_SIZE,
    };
    for (const name of CONNECTIONS) {
      variables[`with${INCLUDE[name]}`] = after.has(name);
      variables[`${name === 'timelineItems' ? 'timeline' : name}After`] = after.get(name) ?? null;
    }
    requests += 1;
    const answer = parsePayload(
      answerSchema,
      await query(github, variables),
      'GitHub GraphQL answer to PullRequestData',
    );
    const pr = answer.repository?.pullRequest;
    if (!pr) {
      throw new GitHubAccessError(
        `pull request ${pull.owner}/${pull.repo}#${pull.number} not found or not readable`,
        404,
      );
    }
    for (const name of [...after.keys()]) {
      const page = pr[name];
      if (!page) throw new Error(`PullRequestData: the answer lacks ${name}`);
      nodes[name].push(...page.nodes.filter((n) => n !== null));
      if (name === 'commits') commitsTotal = page.totalCount;
      if (page.pageInfo.hasNextPage) {
        if (!page.pageInfo.endCursor)
          throw new Error(`PullRequestData: ${name} has a next page but no cursor`);
        after.set(name, page.pageInfo.endCursor);
      } else {
        after.delete(name);
      }
    }
  }
  return {
    commits: (nodes.commits as z.infer<typeof commitNode>[]).map(({ commit }) => ({
      sha: commit.oid,
      authored_at: commit.authoredDate,
      committed_at: commit.committedDate,
      login: commit.author?.user?.login ?? null,
      name: commit.author?.name ?? null,
      email: commit.author?.email ?? null,
    })),
    commitsTotal,
    files: (nodes.files as z.infer<typeof fileNode>[]).map((f) => ({
      path: f.path,
      additions: f.additions,
      deletions: f.deletions,
      change_type: f.changeType,
    })),
    reviews: (nodes.reviews as z.infer<typeof reviewNode>[]).map((r) => ({
      id: r.databaseId != null ? String(r.databaseId) : null,
      state: r.state,
      submitted_at: r.submittedAt ?? null,
      login: r.author?.login ?? null,
      is_bot: r.author?.__typename === 'Bot' || isBotLogin(r.author?.login),
    })),
    timeline: (nodes.timelineItems as z.infer<typeof timelineNode>[])
      .flatMap((item): PullTimelineEvent[] => timelineEvent(item))
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at)),
    requests,
  };
}

function timelineEvent(item: z.infer<typeof timelineNode>): PullTimelineEvent[] {
  if (!item.createdAt) return [];
  const at = item.createdAt;
  switch (item.__typename) {
    case 'ReviewRequestedEvent': {
      const r = item.requestedReviewer;
      const name = r?.__typename === 'Team' ? r.slug : r?.login;
      return [
        {
          type: 'review_requested',
          at,
          reviewer:
            r && name
              ? {
                  kind: r.__typename === 'Team' ? 'team' : 'user',
                  name,
                  is_bot: r.__typename === 'Bot' || isBotLogin(name),
                }
              : null,
        },
      ];
    }
    case 'ReadyForReviewEvent':
      return [{ type: 'ready_for_review', at }];
    case 'ConvertToDraftEvent':
      return [{ type: 'convert_to_draft', at }];
    case 'HeadRefForcePushedEvent':
      return [{ type: 'head_ref_force_pushed', at }];
    default:
      return [];
  }
}

/** octokit.graphql, with GitHub's NOT_FOUND / FORBIDDEN GraphQL errors turned into access errors. */
async function query(github: GitHubClient, variables: Record<string, unknown>): Promise<unknown> {
  try {
    return await github.graphql(PULL_REQUEST_DATA_QUERY, variables);
  } catch (error) {
    const errors = (error as { errors?: { type?: string; message?: string }[] }).errors;
    const denied = errors?.find((e) => e.type === 'NOT_FOUND' || e.type === 'FORBIDDEN');
    if (denied) {
      throw new GitHubAccessError(
        `GraphQL ${denied.type}: ${denied.message ?? 'no message'}`,
        denied.type === 'FORBIDDEN' ? 403 : 404,
      );
    }
    throw error;
  }
}

/**
 * GitHub bot accounts: logins `name[bot]` (Apps), and the noreply emails GitHub gives them in commits
 * (`12345+name[bot]@users.noreply.github.com`).
 */
export function isBotLogin(value: string | null | undefined): boolean {
  return typeof value === 'string' && /\[bot\](@users\.noreply\.github\.com)?$/i.test(value);
}
