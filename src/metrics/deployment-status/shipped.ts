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

export interface PreviousSuccess {
  deploymentId: string | null;
  sha: string;
}

/**
 * The newest deployment to `environment` created before `before` that reached `success` no later than
 * `succeededBy`. A deployment that succeeded and was later marked `inactive` (GitHub does that to the previous
 * deployment when a new one succeeds) still counts: its statuses, not its latest one, are checked. Pages of
 * 10 deployments, newest first, read until one is found or the environment has no more.
 */
export async function previousSuccessfulDeployment(
  github: GitHubClient,
  owner: string,
  repo: string,
  environment: string,
  before: string,
  succeededBy: string,
): Promise<PreviousSuccess | null> {
  const createdBefore = Date.parse(before);
  const successBy = Date.parse(succeededBy);
  let after: string | null = null;
  for (;;) {
    const page: PreviousSuccessPage = await github.graphql<PreviousSuccessPage>(PREVIOUS_SUCCESS_QUERY, {
      owner,
      name: repo,
      environment,
      first: 10,
      after,
    });
    if (!page.repository)
      throw Object.assign(new Error(`repository ${owner}/${repo} not found`), { status: 404 });
    const { nodes, pageInfo } = page.repository.deployments;
    for (const node of nodes) {
      if (!node || Date.parse(node.createdAt) >= createdBefore) continue;
      const succeeded = (node.statuses?.nodes ?? []).some(
        (s) => s?.state === 'SUCCESS' && Date.parse(s.createdAt) <= successBy,
      );
      if (succeeded) {
        return {
          deploymentId: node.databaseId === null ? null : String(node.databaseId),
          sha: node.commitOid,
        };
      }
    }
    if (!pageInfo.hasNextPage || !pageInfo.endCursor) return null;
    after = pageInfo.endCursor;
  }
}

export interface ComparedCommit {
  sha: string;
  node_id: string;
  authored_at: string | null;
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
      commits?: { sha: string; node_id: string; commit: { author: { date?: string } | null } }[];
    };
    for (const c of data.commits ?? []) {
      commits.push({ sha: c.sha, node_id: c.node_id, authored_at: c.commit.author?.date ?? null });
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
