import type { GitHubClient } from '../../github/client';

/**
 * The GitHub reads behind lead time for changes. Three requests for a typical successful deployment: the
 * previous successful deployment to the environment (GraphQL), the commits between its sha and this one
 * (REST compare, every page), and the pull requests of those commits (GraphQL, 100 commits per query).
 */

export const PREVIOUS_SUCCESS_CALL = 'POST /graphql (PreviousSuccessfulDeployment)';
export const COMPARE_CALL = 'GET /repos/{owner}/{repo}/compare/{basehead}';
export const PULL_REQUESTS_CALL = 'POST /graphql (ShippedPullRequests)';

const PREVIOUS_SUCCESS_QUERY = `query PreviousSuccessfulDeployment($owner: String!, $name: String!, $environment: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    deployments(environments: [$environment], orderBy: {field: CREATED_AT, direction: DESC}, first: $first, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        databaseId
        commitOid
        createdAt
        statuses(first: 100) { nodes { state createdAt } }
      }
    }
  }
}`;

interface PreviousSuccessPage {
  repository: {
    deployments: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: ({
        databaseId: number | null;
        commitOid: string;
        createdAt: string;
        statuses: { nodes: ({ state: string; createdAt: string } | null)[] } | null;
      } | null)[];
    };
  } | null;
}

/** A deployment to the environment that reached `success`, and when it first did. */
export interface EarlierSuccess {
  deploymentId: string | null;
  sha: string;
  createdAt: string;
  succeededAt: string;
}

export interface PreviousSuccess {
  deploymentId: string | null;
  sha: string;
}

/** Where the reading of the environment's deployments stopped, to read further back when needed. */
export interface DeploymentHistory {
  /** Every deployment read that reached success before this one did (newest created first). */
  successes: EarlierSuccess[];
  /** createdAt of the oldest deployment read. */
  oldestCreatedAt: string | null;
  /** Cursor of the next page, null when the environment has no more. */
  next: string | null;
}

interface ThisDeployment {
  id: string;
  createdAt: string;
  /** When this deployment reached success (the status being collected). */
  succeededAt: string;
}

/** Orders successes by when they reached production; equal times by creation, then id. */
function reachedBefore(
  a: { succeededAt: string; createdAt: string; deploymentId: string | null },
  b: { succeededAt: string; createdAt: string; deploymentId: string | null },
): boolean {
  const bySuccess = Date.parse(a.succeededAt) - Date.parse(b.succeededAt);
  if (bySuccess !== 0) return bySuccess < 0;
  const byCreation = Date.parse(a.createdAt) - Date.parse(b.createdAt);
  if (byCreation !== 0) return byCreation < 0;
  // Ids are decimal strings (they may pass 2^53): compare by length, then digits.
  const x = a.deploymentId ?? '';
  const y = b.deploymentId ?? '';
  return x.length !== y.length ? x.length < y.length : x < y;
}

/** Reads one page of the environment's deployments (newest created first) into `history`. */
async function readDeployments(
  github: GitHubClient,
  query: { owner: string; repo: string; environment: string; first: number },
  self: ThisDeployment,
  history: DeploymentHistory,
  after: string | null,
): Promise<void> {
  const page: PreviousSuccessPage = await github.graphql<PreviousSuccessPage>(PREVIOUS_SUCCESS_QUERY, {
    owner: query.owner,
    name: query.repo,
    environment: query.environment,
    first: query.first,
    after,
  });
  if (!page.repository)
    throw Object.assign(new Error(`repository ${query.owner}/${query.repo} not found`), { status: 404 });
  const { nodes, pageInfo } = page.repository.deployments;
  const me = { ...self, deploymentId: self.id };
  for (const node of nodes) {
    if (!node) continue;
    history.oldestCreatedAt = node.createdAt;
    const deploymentId = node.databaseId === null ? null : String(node.databaseId);
    if (deploymentId === self.id) continue;
    const successes = (node.statuses?.nodes ?? [])
      .filter((s) => s?.state === 'SUCCESS')
      .map((s) => Date.parse(s?.createdAt ?? ''))
      .filter((t) => !Number.isNaN(t));
    if (successes.length === 0) continue;
    const success: EarlierSuccess = {
      deploymentId,
      sha: node.commitOid,
      createdAt: node.createdAt,
      succeededAt: new Date(Math.min(...successes)).toISOString(),
    };
    if (reachedBefore(success, me)) history.successes.push(success);
  }
  history.next = pageInfo.hasNextPage && pageInfo.endCursor ? pageInfo.endCursor : null;
}

/**
 * The deployment to `environment` that reached production last before this one did: of the deployments
 * read, the one whose first `success` status is the latest before this deployment's. Not the most recently
 * *created*: when deployments overlap, an older one can finish after a newer one, and the production state
 * this deployment replaces is the last one to finish. A deployment that succeeded and was later marked
 * `inactive` (GitHub does that when a newer one succeeds) still counts: all its statuses are checked.
 * Pages of 10 deployments, newest created first, read until one that succeeded is found; the rest of that
 * page is looked at too (overlaps are between neighbours).
 */
export async function previousSuccessfulDeployment(
  github: GitHubClient,
  owner: string,
  repo: string,
  environment: string,
  self: ThisDeployment,
): Promise<{ previous: PreviousSuccess | null; history: DeploymentHistory }> {
  const history: DeploymentHistory = { successes: [], oldestCreatedAt: null, next: null };
  let after: string | null = null;
  do {
    await readDeployments(github, { owner, repo, environment, first: 10 }, self, history, after);
    after = history.next;
  } while (history.successes.length === 0 && after !== null);
  let latest: EarlierSuccess | null = null;
  for (const s of history.successes) {
    if (!latest || reachedBefore(latest, s)) latest = s;
  }
  return { previous: latest ? { deploymentId: latest.deploymentId, sha: latest.sha } : null, history };
}

/** At most this many further deployments are read (100 a page) to find the earlier successes of a range. */
export const EARLIER_SUCCESS_PAGES = 3;

/**
 * Reads further back in the environment's deployments until every deployment created since `since` (the
 * oldest committer date of the compared commits: no deployment of one of them can be older) is known, at
 * most EARLIER_SUCCESS_PAGES pages of 100. Usually nothing to read: the lookup's page already reaches back
 * that far.
 */
export async function readEarlierSuccesses(
  github: GitHubClient,
  owner: string,
  repo: string,
  environment: string,
  self: ThisDeployment,
  history: DeploymentHistory,
  since: string,
): Promise<void> {
  for (let page = 0; page < EARLIER_SUCCESS_PAGES; page++) {
    if (history.next === null) return;
    if (history.oldestCreatedAt !== null && Date.parse(history.oldestCreatedAt) < Date.parse(since)) return;
    await readDeployments(github, { owner, repo, environment, first: 100 }, self, history, history.next);
  }
}

/**
 * The commits of `previous..sha` that reach production for the first time: those that are not the sha of an
 * earlier successful deployment, or an ancestor of one, within the range. After a rollback (B deployed, then
 * A again, then C), the range A..C holds B's commits, which production already had: they are not counted
 * twice. The same holds for overlapping deployments. Ancestry is followed through the compared commits'
 * parents, so it costs no request.
 */
export function firstShipped(
  commits: readonly ComparedCommit[],
  earlier: readonly EarlierSuccess[],
): { first: ComparedCommit[]; already: ComparedCommit[] } {
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const shipped = new Set<string>();
  const stack = earlier.map((e) => e.sha).filter((sha) => bySha.has(sha));
  while (stack.length > 0) {
    const sha = stack.pop() as string;
    if (shipped.has(sha)) continue;
    shipped.add(sha);
    for (const parent of bySha.get(sha)?.parents ?? []) if (bySha.has(parent)) stack.push(parent);
  }
  return {
    first: commits.filter((c) => !shipped.has(c.sha)),
    already: commits.filter((c) => shipped.has(c.sha)),
  };
}

export interface ComparedCommit {
  sha: string;
  node_id: string;
  authored_at: string | null;
  committed_at: string | null;
  parents: string[];
}

/**
 * `git log base..head` through the compare API, every page (100 commits a page; an unpaginated compare stops
 * at 250 commits). Commits come oldest first.
 */
export async function commitsBetween(
  github: GitHubClient,
  owner: string,
  repo: string,
  base: string,
  head: string,
): Promise<ComparedCommit[]> {
  const commits: ComparedCommit[] = [];
  const pages = github.paginate.iterator(COMPARE_CALL, {
    owner,
    repo,
    basehead: `${base}...${head}`,
    per_page: 100,
  });
  for await (const page of pages) {
    const data = page.data as unknown as {
      commits?: {
        sha: string;
        node_id: string;
        commit: { author: { date?: string } | null; committer: { date?: string } | null };
        parents?: { sha: string }[];
      }[];
    };
    for (const c of data.commits ?? []) {
      commits.push({
        sha: c.sha,
        node_id: c.node_id,
        authored_at: c.commit.author?.date ?? null,
        committed_at: c.commit.committer?.date ?? null,
        parents: (c.parents ?? []).map((p) => p.sha),
      });
    }
  }
  return commits;
}

const PULL_REQUESTS_QUERY = `query ShippedPullRequests($ids: [ID!]!) {
  nodes(ids: $ids) {
    ... on Commit {
      oid
      associatedPullRequests(first: 10) { nodes { number mergedAt state } }
    }
  }
}`;

interface PullRequestsPage {
  nodes: ({
    oid?: string;
    associatedPullRequests?: { nodes: ({ number: number; mergedAt: string | null; state: string } | null)[] };
  } | null)[];
}

/**
 * The pull requests that brought `commits` in, one GraphQL query per 100 commits. Merged ones, and open ones
 * (a branch deployed before its pull request was merged); closed-unmerged ones shipped nothing. Sorted by
 * number, each once.
 */
export async function pullRequestsOf(
  github: GitHubClient,
  commits: readonly ComparedCommit[],
): Promise<{ number: number; merged_at: string | null }[]> {
  const found = new Map<number, string | null>();
  for (let i = 0; i < commits.length; i += 100) {
    const ids = commits.slice(i, i + 100).map((c) => c.node_id);
    const page = await github.graphql<PullRequestsPage>(PULL_REQUESTS_QUERY, { ids });
    for (const node of page.nodes) {
      for (const pr of node?.associatedPullRequests?.nodes ?? []) {
        if (!pr || pr.state === 'CLOSED') continue;
        found.set(pr.number, pr.mergedAt);
      }
    }
  }
  return [...found].sort(([a], [b]) => a - b).map(([number, merged_at]) => ({ number, merged_at }));
}
