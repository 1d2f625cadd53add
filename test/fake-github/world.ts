/**
 * The fake GitHub's data: one "world" that every route module reads, so that, e.g., the pull requests a
 * backfill lists are the same ones whose commits and reviews the metrics then read. Objects are stored in the
 * shape GitHub's REST API returns them (snake_case, as in the OpenAPI description), so routes return them as
 * they are. Route modules may add optional fields; builders of realistic objects live next to their routes.
 */

// biome-ignore lint/suspicious/noExplicitAny: REST-shaped objects, validated by the code under test
export type Rest = Record<string, any>;

export interface FakePull {
  /** GET /repos/{owner}/{repo}/pulls/{pull_number} */
  pull: Rest;
  /** GET …/pulls/{pull_number}/commits, oldest first */
  commits: Rest[];
  /** GET …/pulls/{pull_number}/files */
  files: Rest[];
  /** GET …/pulls/{pull_number}/reviews, oldest first */
  reviews: Rest[];
  /** GET …/pulls/{pull_number}/comments (review comments) */
  reviewComments: Rest[];
  /** GET /repos/{owner}/{repo}/issues/{issue_number}/timeline (review_requested, ready_for_review, …) */
  timeline: Rest[];
}

export interface FakeDeployment {
  /** GET /repos/{owner}/{repo}/deployments/{deployment_id} */
  deployment: Rest;
  /** GET …/deployments/{deployment_id}/statuses, newest first as GitHub lists them */
  statuses: Rest[];
}

export interface FakeRun {
  /** GET /repos/{owner}/{repo}/actions/runs/{run_id} */
  run: Rest;
  /** GET …/actions/runs/{run_id}/jobs (latest attempt) */
  jobs: Rest[];
}

export interface FakeRepo {
  /** GET /repos/{owner}/{repo} */
  repo: Rest;
  pulls: Map<number, FakePull>;
  deployments: FakeDeployment[];
  runs: FakeRun[];
  /** GET /repos/{owner}/{repo}/issues (issues only, no pull requests) */
  issues: Rest[];
  /** GET /repos/{owner}/{repo}/tags */
  tags: Rest[];
  /** Commits by sha (GET /repos/{owner}/{repo}/commits/{ref}), for compare and lookups. */
  commits: Map<string, Rest>;
  /** Commit shas of the default branch, oldest first (what compare walks). */
  history: string[];
  /** File contents at the default branch head: path → text (GET /repos/{owner}/{repo}/contents/{path}). */
  files: Map<string, string>;
  /** File contents at older commits (`?ref=<sha>`): sha → path → text; a commit not here reads `files`. */
  filesAt: Map<string, Map<string, string>>;
}

export interface FakeHook {
  /** `org/<org>` or `repo/<owner>/<repo>` */
  scope: string;
  id: string;
  /** GET …/hooks/{hook_id}/deliveries, newest first; ids are strings of digits (> 2^53 allowed) */
  deliveries: Rest[];
  /** Delivery ids redelivered through POST …/deliveries/{delivery_id}/attempts */
  attempts: string[];
}

export class World {
  readonly repos = new Map<string, FakeRepo>();
  readonly hooks = new Map<string, FakeHook>();
  private nextId = 1_000_000;

  /** A fresh numeric id (as a number; GitHub ids are numbers in REST bodies). */
  id(): number {
    this.nextId += 1;
    return this.nextId;
  }

  addRepo(owner: string, name: string, extra: Rest = {}): FakeRepo {
    const full = `${owner}/${name}`;
    const existing = this.repos.get(full.toLowerCase());
    if (existing) return existing;
    const repo: FakeRepo = {
      repo: {
        id: this.id(),
        node_id: `R_${name}`,
        name,
        full_name: full,
        private: true,
        owner: { login: owner, id: this.id(), type: 'Organization' },
        default_branch: 'main',
        archived: false,
        fork: false,
        html_url: `https://github.com/${full}`,
        created_at: '2024-01-01T00:00:00Z',
        pushed_at: '2026-11-01T00:00:00Z',
        ...extra,
      },
      pulls: new Map(),
      deployments: [],
      runs: [],
      issues: [],
      tags: [],
      commits: new Map(),
      history: [],
      files: new Map(),
      filesAt: new Map(),
    };
    this.repos.set(full.toLowerCase(), repo);
    return repo;
  }

  repo(owner: string, name: string): FakeRepo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  reposOf(owner: string): FakeRepo[] {
    return [...this.repos.values()].filter((r) => r.repo.owner.login.toLowerCase() === owner.toLowerCase());
  }
}
