import { createHash } from 'node:crypto';
import { type FakeGitHub, type FakeRequest, type FakeResponse, paginate } from '../server';
import type { FakeDeployment, FakePull, FakeRepo, Rest, World } from '../world';
import { graphqlOperation } from './graphql';

/**
 * Deployments, deployment statuses, commits and compare, plus the two GraphQL operations the deployment
 * metrics send (`PreviousSuccessfulDeployment`, `ShippedPullRequests`). Builders create realistic objects
 * in the world so that tests, the backfill and the benchmarks seed the same data the same way.
 */

const notFound: FakeResponse = {
  status: 404,
  body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' },
};

const user = (login: string, world: World): Rest => ({
  login,
  id: world.id(),
  node_id: `U_${login}`,
  type: login.endsWith('[bot]') ? 'Bot' : 'User',
  site_admin: false,
});

/** A 40-hex sha, deterministic per repository and sequence number. */
export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export interface CommitOptions {
  /** Author date of the first commit (UTC ISO-8601). */
  start: string;
  /** Time between commits (default 10 min). */
  stepMs?: number;
  author?: string;
  message?: (index: number) => string;
}

/** Appends `count` commits to the repository's default-branch history (oldest first) and returns them. */
export function addCommits(world: World, repo: FakeRepo, count: number, options: CommitOptions): Rest[] {
  const step = options.stepMs ?? 600_000;
  const author = options.author ?? 'octocat';
  const added: Rest[] = [];
  for (let i = 0; i < count; i++) {
    const n = repo.history.length;
    const sha = fakeSha(`${repo.repo.full_name}#${n}`);
    const date = new Date(Date.parse(options.start) + i * step).toISOString().replace('.000Z', 'Z');
    const parent = repo.history[n - 1];
    const commit: Rest = {
      sha,
      node_id: `C_${sha}`,
      commit: {
        author: { name: author, email: `${author}@users.noreply.github.com`, date },
        committer: { name: 'GitHub', email: 'noreply@github.com', date },
        message: options.message ? options.message(i) : `change ${n}`,
        tree: { sha: fakeSha(`tree:${sha}`) },
        comment_count: 0,
      },
      url: `https://api.github.com/repos/${repo.repo.full_name}/commits/${sha}`,
      html_url: `https://github.com/${repo.repo.full_name}/commit/${sha}`,
      author: user(author, world),
      committer: user('web-flow', world),
      parents: parent ? [{ sha: parent }] : [],
    };
    repo.commits.set(sha, commit);
    repo.history.push(sha);
    added.push(commit);
  }
  return added;
}

export interface DeploymentOptions {
  /** Default: a fresh world id. */
  id?: number;
  environment: string;
  sha: string;
  createdAt: string;
  ref?: string;
  task?: string;
  creator?: string;
  productionEnvironment?: boolean;
  /** Statuses in the order they happened. */
  statuses?: { state: string; createdAt: string; creator?: string }[];
}

/** Adds a deployment (and its statuses) as `GET /repos/{owner}/{repo}/deployments/{id}` returns it. */
export function addDeployment(world: World, repo: FakeRepo, options: DeploymentOptions): FakeDeployment {
  const id = options.id ?? world.id();
  const full = repo.repo.full_name;
  const deployment: FakeDeployment = {
    deployment: {
      url: `https://api.github.com/repos/${full}/deployments/${id}`,
      id,
      node_id: `DE_${id}`,
      sha: options.sha,
      ref: options.ref ?? repo.repo.default_branch,
      task: options.task ?? 'deploy',
      payload: {},
      original_environment: options.environment,
      environment: options.environment,
      description: null,
      creator: user(options.creator ?? 'octocat', world),
      created_at: options.createdAt,
      updated_at: options.createdAt,
      statuses_url: `https://api.github.com/repos/${full}/deployments/${id}/statuses`,
      repository_url: `https://api.github.com/repos/${full}`,
      transient_environment: false,
      production_environment: options.productionEnvironment ?? options.environment === 'production',
    },
    statuses: [],
  };
  repo.deployments.push(deployment);
  for (const status of options.statuses ?? []) addDeploymentStatus(world, repo, deployment, status);
  return deployment;
}

/** Adds a status to a deployment (statuses are listed newest first, as GitHub does). */
export function addDeploymentStatus(
  world: World,
  repo: FakeRepo,
  deployment: FakeDeployment,
  options: { state: string; createdAt: string; creator?: string },
): Rest {
  const id = world.id();
  const full = repo.repo.full_name;
  const status: Rest = {
    url: `https://api.github.com/repos/${full}/deployments/${deployment.deployment.id}/statuses/${id}`,
    id,
    node_id: `DES_${id}`,
    state: options.state,
    creator: user(options.creator ?? 'octocat', world),
    description: '',
    environment: deployment.deployment.environment,
    target_url: '',
    log_url: '',
    created_at: options.createdAt,
    updated_at: options.createdAt,
    deployment_url: deployment.deployment.url,
    repository_url: `https://api.github.com/repos/${full}`,
  };
  deployment.statuses.unshift(status);
  return status;
}

/**
 * A merged pull request whose commits are `commits` (already in the history), for `associatedPullRequests`.
 * Only the fields the deployment metrics read; the pull-request routes may enrich the same entry.
 */
export function addMergedPull(
  world: World,
  repo: FakeRepo,
  options: { number: number; commits: Rest[]; mergedAt: string; author?: string; state?: 'merged' | 'open' },
): FakePull {
  const merged = options.state !== 'open';
  const last = options.commits[options.commits.length - 1];
  const pull: FakePull = {
    pull: {
      id: world.id(),
      node_id: `PR_${options.number}`,
      number: options.number,
      state: merged ? 'closed' : 'open',
      title: `Pull request ${options.number}`,
      user: user(options.author ?? 'octocat', world),
      created_at: options.commits[0]?.commit.author.date ?? options.mergedAt,
      closed_at: merged ? options.mergedAt : null,
      merged_at: merged ? options.mergedAt : null,
      merged: merged,
      merge_commit_sha: merged ? (last?.sha ?? null) : null,
      base: { ref: repo.repo.default_branch },
      head: { ref: `feature-${options.number}`, sha: last?.sha },
    },
    commits: options.commits,
    files: [],
    reviews: [],
    reviewComments: [],
    timeline: [],
  };
  repo.pulls.set(options.number, pull);
  return pull;
}

function newestFirst(a: FakeDeployment, b: FakeDeployment): number {
  return (
    Date.parse(b.deployment.created_at) - Date.parse(a.deployment.created_at) ||
    b.deployment.id - a.deployment.id
  );
}

/** Registers the REST routes and GraphQL operations of this module on `fake`, reading `world`. */
export function deploymentRoutes(fake: FakeGitHub, world: World): void {
  const repoOf = (request: FakeRequest) => world.repo(request.params.owner ?? '', request.params.repo ?? '');
  const deploymentOf = (request: FakeRequest) =>
    repoOf(request)?.deployments.find((d) => String(d.deployment.id) === request.params.deployment_id);

  fake.route('GET', '/repos/{owner}/{repo}/deployments', (request) => {
    const repo = repoOf(request);
    if (!repo) return notFound;
    const filters = ['environment', 'sha', 'ref', 'task'] as const;
    const list = repo.deployments
      .filter((d) =>
        filters.every((f) => {
          const wanted = request.query.get(f);
          return wanted === null || String(d.deployment[f]) === wanted;
        }),
      )
      .sort(newestFirst)
      .map((d) => d.deployment);
    return paginate(request, list, fake.baseUrl);
  });

  fake.route('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}', (request) => {
    const deployment = deploymentOf(request);
    return deployment ? { status: 200, body: deployment.deployment } : notFound;
  });

  fake.route('GET', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses', (request) => {
    const deployment = deploymentOf(request);
    return deployment ? paginate(request, deployment.statuses, fake.baseUrl) : notFound;
  });

  fake.route('GET', '/repos/{owner}/{repo}/compare/{basehead}', (request) => {
    const repo = repoOf(request);
    if (!repo) return notFound;
    return compare(request, repo, fake.baseUrl);
  });

  graphqlOperation(fake, 'PreviousSuccessfulDeployment', (variables) => {
    const repo = world.repo(String(variables.owner), String(variables.name));
    if (!repo) return { repository: null };
    const list = repo.deployments
      .filter((d) => d.deployment.environment === variables.environment)
      .sort(newestFirst);
    const first = Math.min(100, Number(variables.first ?? 10));
    const start = variables.after ? Number(Buffer.from(String(variables.after), 'base64').toString()) : 0;
    const page = list.slice(start, start + first);
    const end = start + page.length;
    return {
      repository: {
        deployments: {
          pageInfo: {
            hasNextPage: end < list.length,
            endCursor: Buffer.from(String(end)).toString('base64'),
          },
          nodes: page.map((d) => ({
            databaseId: d.deployment.id,
            commitOid: d.deployment.sha,
            createdAt: d.deployment.created_at,
            statuses: {
              nodes: d.statuses
                .slice(0, 100)
                .map((s) => ({ state: s.state.toUpperCase(), createdAt: s.created_at })),
            },
          })),
        },
      },
    };
  });

  graphqlOperation(fake, 'ShippedPullRequests', (variables) => {
    const ids = (variables.ids ?? []) as string[];
    if (ids.length > 100) throw new Error('nodes(ids:) takes at most 100 ids');
    const named = world.repo(String(variables.owner), String(variables.name));
    return {
      repository: named ? { id: named.repo.node_id } : null,
      nodes: ids.map((id) => {
        for (const repo of world.repos.values()) {
          const commit = [...repo.commits.values()].find((c) => c.node_id === id);
          if (!commit) continue;
          const pulls = [...repo.pulls.values()].filter(
            (p) => p.pull.merge_commit_sha === commit.sha || p.commits.some((c) => c.sha === commit.sha),
          );
          return {
            oid: commit.sha,
            associatedPullRequests: {
              nodes: pulls.slice(0, 10).map((p) => ({
                number: p.pull.number,
                mergedAt: p.pull.merged_at,
                state: p.pull.merged_at ? 'MERGED' : p.pull.state === 'open' ? 'OPEN' : 'CLOSED',
              })),
            },
          };
        }
        return null;
      }),
    };
  });
}

/**
 * `GET /repos/{owner}/{repo}/compare/{base}...{head}` with GitHub's semantics: commits in chronological order
 * (`git log base..head`), `total_commits`, `ahead_by`/`behind_by`, `status`; without `per_page`/`page` at
 * most the first 250 commits, with them real pages and a `Link` header; `files` only on the first page.
 */
function compare(request: FakeRequest, repo: FakeRepo, baseUrl: string): FakeResponse {
  const [base, head] = (request.params.basehead ?? '').split('...');
  const resolve = (ref: string | undefined) => {
    if (!ref) return -1;
    if (ref === repo.repo.default_branch || ref === 'HEAD') return repo.history.length - 1;
    return repo.history.findIndex((sha) => sha === ref || (ref.length >= 7 && sha.startsWith(ref)));
  };
  const from = resolve(base);
  const to = resolve(head);
  if (from < 0 || to < 0) {
    return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
  }
  const ahead = repo.history.slice(from + 1, to + 1);
  const behindBy = Math.max(0, from - to);
  const commits = ahead.map((sha) => repo.commits.get(sha));
  const status = ahead.length === 0 ? (behindBy === 0 ? 'identical' : 'behind') : 'ahead';
  const paged = request.query.has('per_page') || request.query.has('page');
  const page = paged
    ? paginate(request, commits, baseUrl)
    : { status: 200, body: commits.slice(0, 250), headers: {} };
  const first = !paged || Number(request.query.get('page') ?? 1) <= 1;
  const full = repo.repo.full_name;
  return {
    status: 200,
    headers: page.headers ?? {},
    body: {
      url: `https://api.github.com/repos/${full}/compare/${base}...${head}`,
      html_url: `https://github.com/${full}/compare/${base}...${head}`,
      base_commit: repo.commits.get(repo.history[from] as string),
      merge_base_commit: repo.commits.get(repo.history[Math.min(from, to)] as string),
      status,
      ahead_by: ahead.length,
      behind_by: behindBy,
      total_commits: ahead.length,
      commits: page.body,
      files: first ? [] : undefined,
    },
  };
}
