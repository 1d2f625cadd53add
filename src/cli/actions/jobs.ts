import { redeliver } from '../../jobs/redeliver';
import { jobs } from '../../jobs/registry';
import { JobInputError, parseJobInput } from '../../jobs/run-job';
import type { Job } from '../../jobs/types';
import { errorMessage } from '../../log/logger';
import type { BackfillOptions, JobRunOptions, RedeliverOptions } from '../commands/jobs';
import { CliError } from '../errors';
import { type JobCliOptions, jobContextFromCli, printSummary, progressBar } from '../job-context';

/**
 * A job stopped by GitHub refusing a request the user's options lead to (a wrong organisation, repository or
 * hook id, a credential without access): one line naming the request and what to check; undefined otherwise.
 * `app`: the job read GitHub as the GitHub App (`githubAuth.source: "app"`), so the lines name it, not a token.
 */
export function refusedByGitHub(error: unknown, app = false): string | undefined {
  const { status, request } = error as { status?: unknown; request?: { method?: string; url?: string } };
  if (typeof status !== 'number' || status < 400 || status >= 500 || status === 429) return undefined;
  const path = request?.url ? new URL(request.url).pathname.replace(/^\/api\/v3/, '') : '';
  const asked = `GitHub answered ${status} to ${request?.method ?? 'GET'} ${path}`;
  const who = app ? 'the GitHub App' : 'GITHUB_TOKEN';
  const hookAccess = app
    ? 'organization_hooks: write; a repository hook: repository_hooks: write'
    : 'admin:org_hook; a repository hook: admin:repo_hook';
  const hook = /^\/(orgs\/[^/]+|repos\/[^/]+\/[^/]+)\/hooks\/([^/]+)\//.exec(path);
  if (status === 401) {
    return app
      ? `${asked}: the GitHub App's credentials are not accepted (GITHUB_APP_ID and its private key: the right App? a revoked key?)`
      : `${asked}: GITHUB_TOKEN is not a valid token (expired or revoked?)`;
  }
  if (hook) {
    return `${asked}: no hook ${hook[2]} on ${(hook[1] ?? '').replace(/^orgs\//, 'organisation ').replace(/^repos\//, 'repository ')}, or ${who} may not read its deliveries (${hookAccess}): check --hook, the number at the end of the webhook's settings URL`;
  }
  const org = /^\/orgs\/([^/]+)\/repos$/.exec(path);
  if (org && status === 404) {
    return `${asked}: there is no organisation ${org[1]}, or ${who} cannot see it: check --org (a user's repositories: --repo owner/name)`;
  }
  const repo = /^\/repos\/([^/]+\/[^/]+)$/.exec(path);
  if (repo && status === 404) {
    return `${asked}: there is no repository ${repo[1]}, or ${who} cannot see it: check --repo`;
  }
  if (status === 403) return `${asked}: ${who} may not read this (${errorMessage(error)})`;
  return undefined;
}

/** Validates the input, builds the context, runs with a progress bar, prints the summary. */
async function runFromCli(name: string, input: unknown, options: JobCliOptions): Promise<void> {
  let parsed: unknown;
  try {
    parsed = parseJobInput(name, input);
  } catch (error) {
    if (error instanceof JobInputError) throw new CliError(error.message);
    throw error;
  }
  const job = jobs.find((j) => j.name === name) as Job<unknown>;
  const { ctx, dispose } = await jobContextFromCli(options);
  const problem = job.configProblem?.(parsed, ctx.config);
  if (problem) {
    dispose();
    throw new CliError(problem);
  }
  const bar = progressBar({ job: name, ...(options.verbose ? { verbose: true } : {}) });
  try {
    let summary: Awaited<ReturnType<typeof job.run>>;
    try {
      summary = await job.run(parsed, { ...ctx, onProgress: bar.onProgress });
    } catch (error) {
      const line = refusedByGitHub(error, ctx.config.githubAuth.source === 'app');
      if (line) throw new CliError(line);
      throw error;
    }
    bar.stop();
    printSummary(summary, options.json);
  } finally {
    bar.stop();
    dispose();
  }
}

/** `telemetry backfill`: history into the records the webhook makes. */
export async function backfillAction(options: BackfillOptions): Promise<void> {
  await runFromCli(
    'backfill',
    {
      ...(options.org ? { org: options.org } : {}),
      repos: options.repo ?? [],
      include: options.include ?? [],
      exclude: options.exclude ?? [],
      since: options.since,
      ...(options.until ? { until: options.until } : {}),
      ...(options.kinds ? { kinds: options.kinds.split(',').map((k) => k.trim()) } : {}),
      budgetShare: Number(options.budgetShare),
      includeArchived: options.archived === true,
      includeForks: options.forks === true,
    },
    options,
  );
}

/** `telemetry redeliver`: the webhook's failed deliveries, redelivered. */
export async function redeliverAction(options: RedeliverOptions): Promise<void> {
  await runFromCli(
    redeliver.name,
    {
      ...(options.org ? { org: options.org } : {}),
      ...(options.repo ? { repo: options.repo } : {}),
      ...(options.app ? { app: true } : {}),
      ...(options.hook ? { hook: options.hook } : {}),
      since: options.since,
      maxAttempts: Number(options.maxAttempts),
    },
    options,
  );
}

/** `telemetry job list`: each job and what it does. */
export function jobListAction(): void {
  for (const j of jobs) process.stdout.write(`${j.name.padEnd(15)} ${j.description}\n`);
}

/** `telemetry job run`: a job by name and JSON input, or a configured schedule's. */
export async function jobRunAction(name: string | undefined, options: JobRunOptions): Promise<void> {
  let jobName = name;
  let input: unknown = {};
  if (options.schedule) {
    const { config, dispose } = await jobContextFromCli({ ...options, store: 'file' });
    dispose();
    const schedule = config.schedules.find((s) => s.name === options.schedule);
    if (!schedule) throw new CliError(`no schedule named ${options.schedule} in the configuration`);
    jobName = schedule.job;
    input = schedule.input;
  }
  if (options.input) {
    try {
      input = JSON.parse(options.input);
    } catch {
      throw new CliError('--input must be JSON, e.g. \'{"org":"acme"}\'');
    }
  }
  if (!jobName) throw new CliError('name a job or pass --schedule');
  await runFromCli(jobName, input, options);
}
