import { createHash } from 'node:crypto';
import { type FakeGitHub, type FakeRequest, type FakeResponse, paginate } from '../server';
import type { FakePull, FakeRepo, Rest, World } from '../world';
import { GraphqlError, graphqlOperation } from './graphql';

/**
 * Pull requests of the fake GitHub: the REST endpoints (pull, commits, files, reviews, review comments, issue
 * timeline; every list paged as GitHub pages it) and the GraphQL `PullRequestData` operation, all answered
 * from the same `World`. Builders below make realistic pull requests for tests and benchmarks.
 */

/** GitHub lists at most 250 commits of a pull request, in REST and in GraphQL (totalCount stays exact). */
export const PULL_COMMITS_LIMIT = 250;

export function registerPullRoutes(fake: FakeGitHub, world: World): void {
  const pullOf = (request: FakeRequest): FakePull | undefined =>
    world
      .repo(request.params.owner ?? '', request.params.repo ?? '')
      ?.pulls.get(Number(request.params.number));
  const notFound: FakeResponse = {
    status: 404,
    body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
  };
  const list = (pick: (pull: FakePull) => readonly Rest[]) => (request: FakeRequest) => {
    const pull = pullOf(request);
    return pull ? paginate(request, pick(pull), fake.baseUrl) : notFound;
  };

  fake.route('GET', '/repos/{owner}/{repo}/pulls/{number}', (request) => {
    const pull = pullOf(request);
    return pull ? { status: 200, body: pull.pull } : notFound;
  });
  fake.route(
    'GET',
    '/repos/{owner}/{repo}/pulls/{number}/commits',
    list((pull) => pull.commits.slice(0, PULL_COMMITS_LIMIT)),
  );
  fake.route(
    'GET',
    '/repos/{owner}/{repo}/pulls/{number}/files',
    list((pull) => pull.files),
  );
  fake.route(
    'GET',
    '/repos/{owner}/{repo}/pulls/{number}/reviews',
    list((pull) => pull.reviews),
  );
  fake.route(
    'GET',
    '/repos/{owner}/{repo}/pulls/{number}/comments',
    list((pull) => pull.reviewComments),
  );
  fake.route(
    'GET',
    '/repos/{owner}/{repo}/issues/{number}/timeline',
    list((pull) => pull.timeline),
  );

  graphqlOperation(fake, 'PullRequestData', (variables) => pullRequestData(world, variables));
}

// ---------------------------------------------------------------------------------------------------------
// GraphQL: the same data in GraphQL shapes, with GitHub's cursor paging (first/after, pageInfo, totalCount).

const TIMELINE_TYPES: Record<string, string> = {
  review_requested: 'REVIEW_REQUESTED_EVENT',
  ready_for_review: 'READY_FOR_REVIEW_EVENT',
  convert_to_draft: 'CONVERT_TO_DRAFT_EVENT',
  head_ref_force_pushed: 'HEAD_REF_FORCE_PUSHED_EVENT',
};

function pullRequestData(world: World, v: Record<string, unknown>): unknown {
  const owner = String(v.owner);
  const name = String(v.name);
  const repo = world.repo(owner, name);
  if (!repo) {
    // GitHub answers 200 with `repository: null` and a NOT_FOUND error, also for repositories the token
    // cannot see.
    throw new GraphqlError(
      `Could not resolve to a Repository with the name '${owner}/${name}'.`,
      'NOT_FOUND',
      ['repository'],
    );
  }
  const pull = repo.pulls.get(Number(v.number));
  if (!pull) {
    throw new GraphqlError(
      `Could not resolve to a PullRequest with the number of ${v.number}.`,
      'NOT_FOUND',
      ['repository', 'pullRequest'],
    );
  }
  const out: Rest = {};
  if (v.withCommits) {
    out.commits = connection(
      pull.commits.slice(0, PULL_COMMITS_LIMIT).map(graphqlCommit),
      v.commitsAfter,
      v.first,
      pull.commits.length,
    );
  }
  if (v.withFiles) out.files = connection(pull.files.map(graphqlFile), v.filesAfter, v.first);
  if (v.withReviews) out.reviews = connection(pull.reviews.map(graphqlReview), v.reviewsAfter, v.first);
  if (v.withTimeline) {
    const items = pull.timeline.filter((e) => TIMELINE_TYPES[e.event]).map(graphqlTimelineItem);
    out.timelineItems = connection(items, v.timelineAfter, v.first);
  }
  return { repository: { pullRequest: out } };
}

/** Cursor paging as GitHub does it: opaque cursors, `first` at most 100, `hasNextPage` and `endCursor`. */
function connection(items: Rest[], after: unknown, first: unknown, totalCount = items.length): Rest {
  const size = Math.min(100, Math.max(1, Number(first ?? 100) || 100));
  const start = typeof after === 'string' && after ? decodeCursor(after) + 1 : 0;
  const nodes = items.slice(start, start + size);
  const end = start + nodes.length - 1;
  return {
    totalCount,
    pageInfo: {
      hasNextPage: start + size < items.length,
      endCursor: nodes.length > 0 ? encodeCursor(end) : null,
    },
    nodes,
  };
}

const encodeCursor = (index: number) => Buffer.from(`cursor:v2:${index}`).toString('base64');
function decodeCursor(cursor: string): number {
  const match = /^cursor:v2:(\d+)$/.exec(Buffer.from(cursor, 'base64').toString('utf8'));
  if (!match) throw new Error(`invalid cursor ${cursor}`);
  return Number(match[1]);
}

const isBotUser = (user: Rest | null | undefined) => user?.type === 'Bot';

function graphqlCommit(c: Rest): Rest {
  return {
    commit: {
      oid: c.sha,
      authoredDate: c.commit.author.date,
      committedDate: c.commit.committer.date,
      // GitActor.user is a User: bots (and unknown emails) have none, as on GitHub.
      author: {
        name: c.commit.author.name,
        email: c.commit.author.email,
        user: c.author && !isBotUser(c.author) ? { login: c.author.login } : null,
      },
    },
  };
}

const CHANGE_TYPES: Record<string, string> = {
  added: 'ADDED',
  removed: 'DELETED',
  modified: 'MODIFIED',
  renamed: 'RENAMED',
  copied: 'COPIED',
  changed: 'CHANGED',
  unchanged: 'MODIFIED',
};

function graphqlFile(f: Rest): Rest {
  return {
    path: f.filename,
    additions: f.additions,
    deletions: f.deletions,
    changeType: CHANGE_TYPES[f.status] ?? 'MODIFIED',
  };
}

function graphqlReview(r: Rest): Rest {
  return {
    databaseId: r.id,
    state: r.state,
    submittedAt: r.submitted_at ?? null,
    author: r.user ? { __typename: isBotUser(r.user) ? 'Bot' : 'User', login: r.user.login } : null,
  };
}

function graphqlTimelineItem(e: Rest): Rest {
  const typename = {
    review_requested: 'ReviewRequestedEvent',
    ready_for_review: 'ReadyForReviewEvent',
    convert_to_draft: 'ConvertToDraftEvent',
    head_ref_force_pushed: 'HeadRefForcePushedEvent',
  }[e.event as string];
  const item: Rest = { __typename: typename, createdAt: e.created_at };
  if (e.event === 'review_requested') {
    item.requestedReviewer = e.requested_team
      ? { __typename: 'Team', slug: e.requested_team.slug }
      : e.requested_reviewer
        ? { __typename: isBotUser(e.requested_reviewer) ? 'Bot' : 'User', login: e.requested_reviewer.login }
        : null;
  }
  return item;
}

// ---------------------------------------------------------------------------------------------------------
// Builders: realistic REST objects, as GitHub returns them.

export interface ReviewSpec {
  user: string;
  state: 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';
  /** submitted_at (ISO); PENDING reviews have none. */
  at?: string;
}

export interface CommitSpec {
  /** Login of the GitHub user (`name[bot]` → a bot); null for an email GitHub cannot map. */
  author: string | null;
  authoredAt: string;
  committedAt?: string;
}

export interface PullRequestSpec {
  number?: number;
  /** Numeric id (defaults to a fresh world id). */
  id?: number;
  title?: string;
  /** Login of the author; `name[bot]` makes a bot. */
  author?: string;
  createdAt?: string;
  /** Defaults to createdAt + 2 days. */
  closedAt?: string;
  merged?: boolean;
  base?: string;
  head?: string;
  labels?: string[];
  /** A count (authors cycle through `commitAuthors`) or exact commits. */
  commits?: number | CommitSpec[];
  commitAuthors?: string[];
  /** A count of source files, or exact paths. */
  files?: number | string[];
  /** A count (reviewers cycle, states COMMENTED → CHANGES_REQUESTED → APPROVED) or exact reviews. */
  reviews?: number | ReviewSpec[];
  reviewComments?: number;
  /** Reviewers ever requested (`team:slug` for a team), as timeline review_requested events at creation. */
  requested?: string[];
  /** Still pending when closed (REST `requested_reviewers`). Defaults to none. */
  pending?: string[];
  /** Opened as a draft. */
  draft?: boolean;
  /** When it was marked ready for review (only with draft); absent = still a draft when closed. */
  readyAt?: string;
  /** Adds a head_ref_force_pushed timeline event at this time. */
  forcePushedAt?: string;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const sha = (seed: string) => createHash('sha1').update(seed).digest('hex');

export function user(world: World, login: string): Rest {
  const bot = login.endsWith('[bot]');
  return {
    login,
    id: world.id(),
    node_id: `U_${login}`,
    type: bot ? 'Bot' : 'User',
    site_admin: false,
    html_url: `https://github.com/${bot ? `apps/${login.slice(0, -5)}` : login}`,
  };
}

/** Adds a pull request to `repo` and returns it; the webhook payload's `pull_request` is `result.pull`. */
export function addPullRequest(world: World, repo: FakeRepo, spec: PullRequestSpec = {}): FakePull {
  const number = spec.number ?? repo.pulls.size + 1;
  const created = Date.parse(spec.createdAt ?? '2026-10-05T09:00:00Z');
  const closed = spec.closedAt ? Date.parse(spec.closedAt) : created + 2 * DAY;
  const merged = spec.merged ?? true;
  const authorLogin = spec.author ?? 'octocat';
  const full = repo.repo.full_name as string;
  const users = new Map<string, Rest>();
  const u = (login: string) => {
    let found = users.get(login);
    if (!found) {
      found = user(world, login);
      users.set(login, found);
    }
    return found;
  };

  const commitSpecs: CommitSpec[] = Array.isArray(spec.commits)
    ? spec.commits
    : Array.from({ length: spec.commits ?? 3 }, (_, i) => {
        const count = typeof spec.commits === 'number' ? spec.commits : 3;
        const authors = spec.commitAuthors ?? [authorLogin];
        // Oldest first, one minute apart, the last one an hour before the pull request was opened.
        const at = iso(created - 3_600_000 - (count - 1 - i) * 60_000);
        return { author: authors[i % authors.length] ?? authorLogin, authoredAt: at };
      });
  const commits = commitSpecs.map((c, i) => {
    const hash = sha(`${full}#${number}:commit:${i}`);
    const person = c.author ? u(c.author) : null;
    const name = c.author ?? 'Unknown Person';
    const email = c.author?.endsWith('[bot]')
      ? `${person?.id}+${c.author}@users.noreply.github.com`
      : `${(c.author ?? 'unknown').toLowerCase()}@example.com`;
    return {
      sha: hash,
      node_id: `C_${hash.slice(0, 12)}`,
      commit: {
        author: { name, email, date: c.authoredAt },
        committer: { name, email, date: c.committedAt ?? c.authoredAt },
        message: `change ${i + 1}`,
        tree: { sha: sha(`tree:${hash}`) },
        comment_count: 0,
        verification: { verified: false, reason: 'unsigned' },
      },
      url: `https://api.github.com/repos/${full}/commits/${hash}`,
      html_url: `https://github.com/${full}/commit/${hash}`,
      author: person,
      committer: person,
      parents: i > 0 ? [{ sha: sha(`${full}#${number}:commit:${i - 1}`) }] : [],
    };
  });

  const paths = Array.isArray(spec.files)
    ? spec.files
    : Array.from({ length: spec.files ?? 2 }, (_, i) => `src/module-${Math.floor(i / 10)}/file-${i}.ts`);
  const files = paths.map((filename, i) => {
    const additions = (i % 7) + 1;
    const deletions = i % 3;
    return {
      sha: sha(`${full}#${number}:file:${filename}`),
      filename,
      status: i % 11 === 10 ? 'added' : 'modified',
      additions,
      deletions,
      changes: additions + deletions,
      blob_url: `https://github.com/${full}/blob/${commits.at(-1)?.sha ?? 'main'}/${filename}`,
      raw_url: `https://github.com/${full}/raw/${commits.at(-1)?.sha ?? 'main'}/${filename}`,
      contents_url: `https://api.github.com/repos/${full}/contents/${filename}`,
      patch: '@@ -1 +1 @@\n-old\n+new',
    };
  });

  const reviewStart = spec.draft && spec.readyAt ? Date.parse(spec.readyAt) : created;
  const reviewSpecs: ReviewSpec[] = Array.isArray(spec.reviews)
    ? spec.reviews
    : Array.from({ length: spec.reviews ?? 0 }, (_, i) => ({
        user: `reviewer-${i % 7}`,
        state: (['COMMENTED', 'CHANGES_REQUESTED', 'APPROVED'] as const)[i % 3] ?? 'COMMENTED',
        at: iso(reviewStart + 3_600_000 + i * 60_000),
      }));
  const reviews = reviewSpecs.map((r) => {
    const id = world.id();
    return {
      id,
      node_id: `PRR_${id}`,
      user: u(r.user),
      body: r.state === 'APPROVED' ? 'LGTM' : 'A few comments',
      state: r.state,
      html_url: `https://github.com/${full}/pull/${number}#pullrequestreview-${id}`,
      pull_request_url: `https://api.github.com/repos/${full}/pulls/${number}`,
      author_association: 'MEMBER',
      ...(r.state === 'PENDING' ? {} : { submitted_at: r.at }),
      commit_id: commits.at(-1)?.sha ?? null,
    };
  });

  const reviewComments = Array.from({ length: spec.reviewComments ?? 0 }, (_, i) => {
    const id = world.id();
    const reviewer = reviews[i % Math.max(1, reviews.length)];
    return {
      id,
      node_id: `PRRC_${id}`,
      pull_request_review_id: reviewer?.id ?? null,
      path: files[i % Math.max(1, files.length)]?.filename ?? 'README.md',
      body: `comment ${i + 1}`,
      user: reviewer?.user ?? u('reviewer-0'),
      created_at: iso(reviewStart + 3_600_000 + i * 30_000),
      updated_at: iso(reviewStart + 3_600_000 + i * 30_000),
      commit_id: commits.at(-1)?.sha ?? null,
    };
  });

  const timeline: Rest[] = [];
  const event = (name: string, at: number | string, extra: Rest = {}) => {
    const id = world.id();
    timeline.push({
      id,
      node_id: `E_${id}`,
      event: name,
      actor: u(authorLogin),
      created_at: typeof at === 'string' ? at : iso(at),
      ...extra,
    });
  };
  for (const requested of spec.requested ?? []) {
    if (requested.startsWith('team:')) {
      const slug = requested.slice(5);
      event('review_requested', created + 1000, {
        requested_team: { id: world.id(), slug, name: slug },
      });
    } else {
      event('review_requested', created + 1000, { requested_reviewer: u(requested) });
    }
  }
  if (spec.draft && spec.readyAt) event('ready_for_review', spec.readyAt);
  if (spec.forcePushedAt) {
    event('head_ref_force_pushed', spec.forcePushedAt, {
      commit_id: commits.at(-1)?.sha ?? null,
    });
  }
  // The timeline also holds events the metrics do not read; GitHub lists them in time order.
  event('labeled', created + 500, { label: { name: 'enhancement', color: 'a2eeef' } });
  event('closed', closed);
  timeline.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));

  const id = spec.id ?? world.id();
  const head = spec.head ?? `feature-${number}`;
  const base = spec.base ?? (repo.repo.default_branch as string);
  const pull: Rest = {
    url: `https://api.github.com/repos/${full}/pulls/${number}`,
    id,
    node_id: `PR_${id}`,
    html_url: `https://github.com/${full}/pull/${number}`,
    number,
    state: 'closed',
    locked: false,
    title: spec.title ?? `Change number ${number}`,
    user: u(authorLogin),
    body: 'Please pull these awesome changes in!',
    created_at: iso(created),
    updated_at: iso(closed),
    closed_at: iso(closed),
    merged_at: merged ? iso(closed) : null,
    merge_commit_sha: sha(`${full}#${number}:merge`),
    assignee: null,
    assignees: [],
    requested_reviewers: (spec.pending ?? []).map(u),
    requested_teams: [],
    labels: (spec.labels ?? []).map((name) => ({
      id: world.id(),
      node_id: `LA_${name}`,
      name,
      color: 'd73a4a',
      default: false,
    })),
    milestone: null,
    draft: Boolean(spec.draft && !spec.readyAt),
    head: { label: `${repo.repo.owner.login}:${head}`, ref: head, sha: commits.at(-1)?.sha, repo: repo.repo },
    base: {
      label: `${repo.repo.owner.login}:${base}`,
      ref: base,
      sha: sha(`${full}:${base}`),
      repo: repo.repo,
    },
    author_association: 'MEMBER',
    auto_merge: null,
    merged,
    mergeable: null,
    merged_by: merged ? u(authorLogin) : null,
    comments: 0,
    review_comments: reviewComments.length,
    maintainer_can_modify: false,
    commits: commits.length,
    additions: files.reduce((n, f) => n + f.additions, 0),
    deletions: files.reduce((n, f) => n + f.deletions, 0),
    changed_files: files.length,
  };

  const fakePull: FakePull = { pull, commits, files, reviews, reviewComments, timeline };
  repo.pulls.set(number, fakePull);
  return fakePull;
}

/** A `pull_request` webhook payload for a built pull request (same shape as @octokit/webhooks-examples). */
export function pullRequestEvent(repo: FakeRepo, pull: FakePull, action = 'closed'): Rest {
  return {
    action,
    number: pull.pull.number,
    pull_request: pull.pull,
    repository: repo.repo,
    sender: pull.pull.user,
  };
}
