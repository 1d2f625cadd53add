import { createHash } from 'node:crypto';
import { type FakeGitHub, type FakeRequest, type FakeResponse, paginate } from '../server';
import type { FakeRepo, Rest, World } from '../world';

/**
 * The listings a backfill reads, as GitHub serves them: organisation repositories, closed pull requests by
 * update, workflow runs with the `created=` filter and GitHub's 1,000-result cap per query, jobs per run
 * (latest attempt or all) and per attempt, tags, commits by sha (git data), issues by label/state/since.
 * Every listing pages like GitHub; the server core answers conditional requests (ETag / If-None-Match → 304).
 */
export function listingRoutes(fake: FakeGitHub, world: World): void {
  const repoOr404 = (request: FakeRequest): FakeRepo | FakeResponse => {
    const repo = world.repo(request.params.owner ?? '', request.params.repo ?? '');
    return repo ?? { status: 404, body: { message: 'Not Found' } };
  };
  const isResponse = (value: FakeRepo | FakeResponse): value is FakeResponse => 'status' in value;

  // An organisation exists here when it has a repository; GitHub answers 404 for one it does not know.
  fake.route('GET', '/orgs/{org}/repos', (request) => {
    const repos = world.reposOf(request.params.org ?? '');
    if (repos.length === 0) return { status: 404, body: { message: 'Not Found' } };
    return paginate(
      request,
      repos.map((r) => r.repo),
      fake.baseUrl,
    );
  });

  fake.route('GET', '/repos/{owner}/{repo}', (request) => {
    const repo = repoOr404(request);
    return isResponse(repo) ? repo : { status: 200, body: repo.repo };
  });

  fake.route('GET', '/repos/{owner}/{repo}/pulls', (request) => {
    const repo = repoOr404(request);
    if (isResponse(repo)) return repo;
    const state = request.query.get('state') ?? 'open';
    const sort = request.query.get('sort') ?? 'created';
    const direction = request.query.get('direction') ?? (sort === 'created' ? 'desc' : 'desc');
    const key = sort === 'updated' ? 'updated_at' : 'created_at';
    const list = [...repo.pulls.values()]
      .map((p) => p.pull)
      .filter((pull) => state === 'all' || pull.state === state)
      .sort((a, b) => compareTimes(a[key], b[key], direction))
      .map(listedPull);
    return paginate(request, list, fake.baseUrl);
  });

  fake.route('GET', '/repos/{owner}/{repo}/actions/runs', (request) => {
    const repo = repoOr404(request);
    if (isResponse(repo)) return repo;
    const inRange = createdFilter(request.query.get('created'));
    const matching = repo.runs
      .map((r) => r.run)
      .filter((run) => inRange(Date.parse(run.created_at)))
      .sort((a, b) => compareTimes(a.created_at, b.created_at, 'desc'));
    // GitHub counts every match but serves only the first 1,000 of a query.
    const page = paginate(request, matching.slice(0, 1000), fake.baseUrl);
    return {
      ...page,
      body: { total_count: matching.length, workflow_runs: page.body },
    };
  });

  const findRun = (repo: FakeRepo, id: string) => repo.runs.find((r) => String(r.run.id) === id);

  fake.route('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}', (request) => {
    const repo = repoOr404(request);
    if (isResponse(repo)) return repo;
    const run = findRun(repo, request.params.run_id ?? '');
    return run ? { status: 200, body: run.run } : { status: 404, body: { message: 'Not Found' } };
  });

  fake.route('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}', (request) => {
    const repo = repoOr404(request);
    if (isResponse(repo)) return repo;
    const run = findRun(repo, request.params.run_id ?? '');
    const attempt = Number(request.params.attempt_number);
    if (!run || !(attempt >= 1 && attempt <= run.run.run_attempt))
      return { status: 404, body: { message: 'Not Found' } };
    const jobs = run.jobs.filter((j) => j.run_attempt === attempt);
    const completed =
      jobs
        .map((j) => j.completed_at)
        .sort()
        .at(-1) ?? run.run.updated_at;
    return {
      status: 200,
      body:
        attempt === run.run.run_attempt
          ? run.run
          : {
              ...run.run,
              run_attempt: attempt,
              run_started_at: jobs[0]?.created_at ?? run.run.created_at,
              updated_at: completed,
            },
    };
  });

  const jobsPage = (request: FakeRequest, jobs: Rest[]): FakeResponse => {
    const page = paginate(request, jobs, fake.baseUrl);
    return { ...page, body: { total_count: jobs.length, jobs: page.body } };
  };

  fake.route('GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/jobs', (request) => {
    const repo = repoOr404(request);
    if (isResponse(repo)) return repo;
    const run = findRun(repo, request.params.run_id ?? '');
    if (!run) return { status: 404, body: { message: 'Not Found' } };
    const all = request.query.get('filter') === 'all';
    return jobsPage(request, all ? run.jobs : run.jobs.filter((j) => j.run_attempt === run.run.run_attempt));
  });

  fake.route(
    'GET',
    '/repos/{owner}/{repo}/actions/runs/{run_id}/attempts/{attempt_number}/jobs',
    (request) => {
      const repo = repoOr404(request);
      if (isResponse(repo)) return repo;
      const run = findRun(repo, request.params.run_id ?? '');
      if (!run) return { status: 404, body: { message: 'Not Found' } };
      return jobsPage(
        request,
        run.jobs.filter((j) => j.run_attempt === Number(request.params.attempt_number)),
      );
    },
  );

  fake.route('GET', '/repos/{owner}/{repo}/tags', (request) => {
    const repo = repoOr404(request);
    return isResponse(repo) ? repo : paginate(request, repo.tags, fake.baseUrl);
  });

  fake.route('GET', '/repos/{owner}/{repo}/git/commits/{commit_sha}', (request) => {
    const repo = repoOr404(request);
    if (isResponse(repo)) return repo;
    const commit = repo.commits.get(request.params.commit_sha ?? '');
    if (!commit) return { status: 404, body: { message: 'Not Found' } };
    // The git data shape: the commit object itself, without the REST wrapper's stats and files.
    return {
      status: 200,
      body: { sha: commit.sha, node_id: commit.node_id, ...commit.commit, parents: commit.parents },
    };
  });

  fake.route('GET', '/repos/{owner}/{repo}/issues', (request) => {
    const repo = repoOr404(request);
    if (isResponse(repo)) return repo;
    const state = request.query.get('state') ?? 'open';
    const labels = (request.query.get('labels') ?? '').split(',').filter((l) => l.length > 0);
    const since = request.query.get('since');
    const sort = request.query.get('sort') ?? 'created';
    const direction = request.query.get('direction') ?? 'desc';
    const key = sort === 'updated' ? 'updated_at' : 'created_at';
    const list = repo.issues
      .filter((issue) => state === 'all' || issue.state === state)
      .filter((issue) => labels.every((l) => issue.labels.some((x: Rest) => x.name === l)))
      .filter((issue) => !since || Date.parse(issue.updated_at) >= Date.parse(since))
      .sort((a, b) => compareTimes(a[key], b[key], direction));
    return paginate(request, list, fake.baseUrl);
  });
}

function compareTimes(a: string, b: string, direction: string): number {
  const diff = Date.parse(a) - Date.parse(b);
  return direction === 'asc' ? diff : -diff;
}

/** The pull request list leaves out what only the single pull request carries. */
function listedPull(pull: Rest): Rest {
  const {
    merged,
    mergeable,
    rebaseable,
    mergeable_state,
    merged_by,
    comments,
    review_comments,
    maintainer_can_modify,
    commits,
    additions,
    deletions,
    changed_files,
    ...listed
  } = pull;
  return listed;
}

/** GitHub's `created=` qualifier: `A..B`, `>=A`, `>A`, `<=B`, `<B`, `A` (a day or a time), `A..*`. */
function createdFilter(value: string | null): (ms: number) => boolean {
  if (!value) return () => true;
  const range = /^(.+)\.\.(.+)$/.exec(value);
  if (range) {
    const from = range[1] === '*' ? Number.NEGATIVE_INFINITY : Date.parse(range[1] as string);
    const to = range[2] === '*' ? Number.POSITIVE_INFINITY : endOf(range[2] as string);
    return (ms) => ms >= from && ms <= to;
  }
  const compare = /^(>=|<=|>|<)(.+)$/.exec(value);
  if (compare) {
    const at = Date.parse(compare[2] as string);
    switch (compare[1]) {
      case '>=':
        return (ms) => ms >= at;
      case '>':
        return (ms) => ms > endOf(compare[2] as string);
      case '<=':
        return (ms) => ms <= endOf(compare[2] as string);
      default:
        return (ms) => ms < at;
    }
  }
  const from = Date.parse(value);
  const to = endOf(value);
  return (ms) => ms >= from && ms <= to;
}

/** A bare date covers its whole day; a time, its whole second. */
function endOf(value: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? Date.parse(value) + 86_399_999 : Date.parse(value) + 999;
}

// ---- builders of realistic objects (REST shapes, as the OpenAPI description has them) ----

export interface RunSpec {
  createdAt: string;
  /** Attempts of the run (re-runs); the jobs are repeated per attempt. */
  attempts?: number;
  jobs?: string[];
  conclusion?: string;
  status?: 'completed' | 'in_progress' | 'queued';
  workflow?: string;
  /** Minutes each job takes. */
  jobMinutes?: number;
}

/** Adds a workflow run with its jobs (every attempt) to `repo`. */
export function addRun(world: World, repo: FakeRepo, spec: RunSpec): { run: Rest; jobs: Rest[] } {
  const id = world.id();
  const attempts = spec.attempts ?? 1;
  const status = spec.status ?? 'completed';
  const created = Date.parse(spec.createdAt);
  const minutes = spec.jobMinutes ?? 3;
  const sha = createHash('sha1').update(`run-${id}`).digest('hex');
  const workflow = spec.workflow ?? 'CI';
  const full = repo.repo.full_name as string;
  const jobs: Rest[] = [];
  let end = created;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    const attemptStart = created + (attempt - 1) * (minutes + 2) * 60_000;
    (spec.jobs ?? ['build', 'test']).forEach((name, i) => {
      const jobId = world.id();
      const queued = attemptStart + i * 1000;
      const started = queued + 5_000 + i * 2_000;
      const done = started + minutes * 60_000;
      const last = attempt === attempts;
      const jobCompleted = status === 'completed' || !last;
      end = Math.max(end, done);
      jobs.push({
        id: jobId,
        run_id: id,
        workflow_name: workflow,
        head_branch: 'main',
        run_url: `https://api.github.com/repos/${full}/actions/runs/${id}`,
        run_attempt: attempt,
        node_id: `CR_${jobId}`,
        head_sha: sha,
        url: `https://api.github.com/repos/${full}/actions/jobs/${jobId}`,
        html_url: `https://github.com/${full}/actions/runs/${id}/job/${jobId}`,
        status: jobCompleted ? 'completed' : 'in_progress',
        conclusion: jobCompleted ? (last ? (spec.conclusion ?? 'success') : 'failure') : null,
        created_at: iso(queued),
        started_at: iso(started),
        completed_at: jobCompleted ? iso(done) : null,
        name,
        steps: [
          {
            name: 'Set up job',
            status: 'completed',
            conclusion: 'success',
            number: 1,
            started_at: iso(started),
            completed_at: iso(started + 2000),
          },
          {
            name: `Run ${name}`,
            status: jobCompleted ? 'completed' : 'in_progress',
            conclusion: jobCompleted ? 'success' : null,
            number: 2,
            started_at: iso(started + 2000),
            completed_at: jobCompleted ? iso(done) : null,
          },
        ],
        check_run_url: `https://api.github.com/repos/${full}/check-runs/${jobId}`,
        labels: ['ubuntu-latest'],
        runner_id: 7,
        runner_name: 'GitHub Actions 7',
        runner_group_id: 2,
        runner_group_name: 'GitHub Actions',
      });
    });
  }
  const run: Rest = {
    id,
    name: workflow,
    node_id: `WFR_${id}`,
    head_branch: 'main',
    head_sha: sha,
    path: '.github/workflows/ci.yml',
    display_title: `Commit ${sha.slice(0, 7)}`,
    run_number: repo.runs.length + 1,
    event: 'push',
    status,
    conclusion: status === 'completed' ? (spec.conclusion ?? 'success') : null,
    workflow_id: 161335,
    check_suite_id: world.id(),
    url: `https://api.github.com/repos/${full}/actions/runs/${id}`,
    html_url: `https://github.com/${full}/actions/runs/${id}`,
    pull_requests: [],
    created_at: iso(created),
    updated_at: iso(end),
    run_attempt: attempts,
    run_started_at: iso(created + (attempts - 1) * (minutes + 2) * 60_000),
    actor: { login: 'octocat', id: 1, type: 'User' },
    triggering_actor: { login: 'octocat', id: 1, type: 'User' },
    jobs_url: `https://api.github.com/repos/${full}/actions/runs/${id}/jobs`,
    repository: { id: repo.repo.id, name: repo.repo.name, full_name: full, owner: repo.repo.owner },
    head_commit: { id: sha, message: 'change', timestamp: iso(created - 60_000) },
  };
  repo.runs.push({ run, jobs });
  return { run, jobs };
}

/** Completes a run added in progress: its last attempt's jobs finish `minutes` after they started. */
export function completeRun(repo: FakeRepo, runId: number, conclusion = 'success'): void {
  const entry = repo.runs.find((r) => r.run.id === runId);
  if (!entry) throw new Error(`no run ${runId}`);
  for (const job of entry.jobs) {
    if (job.status === 'completed') continue;
    const done = Date.parse(job.started_at) + 180_000;
    job.status = 'completed';
    job.conclusion = conclusion;
    job.completed_at = iso(done);
    for (const step of job.steps)
      Object.assign(step, {
        status: 'completed',
        conclusion: 'success',
        completed_at: step.completed_at ?? iso(done),
      });
  }
  entry.run.status = 'completed';
  entry.run.conclusion = conclusion;
  entry.run.updated_at = entry.jobs
    .map((j) => j.completed_at)
    .sort()
    .at(-1);
}

/** Adds a tag on a new commit dated `committedAt` (tags list newest first, as GitHub does for new tags). */
export function addTag(world: World, repo: FakeRepo, name: string, committedAt: string): Rest {
  const sha = createHash('sha1').update(`${repo.repo.full_name}:${name}`).digest('hex');
  const person = { name: 'Mona', email: 'mona@example.com', date: committedAt };
  repo.commits.set(sha, {
    sha,
    node_id: `C_${sha.slice(0, 8)}`,
    commit: {
      author: person,
      committer: person,
      message: `release ${name}`,
      tree: { sha: sha.split('').reverse().join('') },
    },
    parents: [],
  });
  const full = repo.repo.full_name as string;
  const tag = {
    name,
    commit: { sha, url: `https://api.github.com/repos/${full}/commits/${sha}` },
    zipball_url: `https://api.github.com/repos/${full}/zipball/refs/tags/${name}`,
    tarball_url: `https://api.github.com/repos/${full}/tarball/refs/tags/${name}`,
    node_id: `REF_${world.id()}`,
  };
  repo.tags.unshift(tag);
  return tag;
}

/** Adds an issue (labels by name); closed when `closedAt` is given. */
export function addIssue(
  world: World,
  repo: FakeRepo,
  spec: { title: string; labels: string[]; createdAt: string; closedAt?: string; body?: string },
): Rest {
  const id = world.id();
  const number = repo.issues.length + repo.pulls.size + 1;
  const full = repo.repo.full_name as string;
  const issue = {
    id,
    node_id: `I_${id}`,
    number,
    title: spec.title,
    body: spec.body ?? null,
    user: { login: 'octocat', id: 1, type: 'User' },
    labels: spec.labels.map((name) => ({ id: world.id(), name, color: 'd73a4a', default: false })),
    state: spec.closedAt ? 'closed' : 'open',
    state_reason: spec.closedAt ? 'completed' : null,
    locked: false,
    assignees: [],
    comments: 0,
    created_at: spec.createdAt,
    updated_at: spec.closedAt ?? spec.createdAt,
    closed_at: spec.closedAt ?? null,
    author_association: 'MEMBER',
    url: `https://api.github.com/repos/${full}/issues/${number}`,
    html_url: `https://github.com/${full}/issues/${number}`,
  };
  repo.issues.push(issue);
  return issue;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
