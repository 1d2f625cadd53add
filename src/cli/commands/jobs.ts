import type { Command } from 'commander';
import { redeliver } from '../../jobs/redeliver';
import { jobs } from '../../jobs/registry';
import { JobInputError, parseJobInput } from '../../jobs/run-job';
import type { Job } from '../../jobs/types';
import { errorMessage } from '../../log/logger';
import { CliError } from '../errors';
import { type JobCliOptions, jobContextFromCli, printSummary, progressBar } from '../job-context';

const collect = (value: string, previous: string[] = []) => [...previous, value];

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

/** The options every job command shares. */
function withJobOptions(command: Command): Command {
  return command
    .option(
      '--dry-run',
      'read GitHub and collect, but write nothing (no records, no cursors, no redeliveries)',
    )
    .option(
      '--store <kind>',
      'where records and cursors go: "file" (the data directory) or "github" (config dataRepository)',
      'file',
    )
    .option('--data <dir>', 'data directory of the file store (overrides TELEMETRY_DATA_DIR)')
    .option('--json', 'print the summary as JSON')
    .option(
      '--verbose',
      'log each repository and kind as it is read, and every progress update (JSON lines on stderr)',
    );
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

export function registerJobCommands(program: Command): void {
  withJobOptions(
    program
      .command('backfill')
      .description(
        'Collect history (closed pull requests, workflow runs and jobs, deployments, tags, incidents) into the same records the webhook makes. Incremental: cursors in _state/backfill/.',
      )
      .option('--org <org>', 'organisation whose repositories are read')
      .option('--repo <owner/name>', 'a repository (repeatable); with --org, a bare name works', collect)
      .option('--include <glob>', 'only repositories whose name matches (repeatable)', collect)
      .option('--exclude <glob>', 'skip repositories whose name matches (repeatable)', collect)
      .option('--since <age|time>', 'start of the window: 90d, 24h, 2w or an ISO time', '90d')
      .option(
        '--until <age|time>',
        'end of the window (default now; a bounded window neither reads nor moves cursors)',
      )
      .option('--kinds <list>', 'comma-separated subset of: pulls,runs,deployments,tags,incidents')
      .option('--budget-share <fraction>', "share of the token's hourly requests to use, 0-1", '0.5')
      .option('--archived', 'include archived repositories')
      .option('--forks', 'include forks'),
  ).action(
    async (
      options: JobCliOptions & {
        org?: string;
        repo?: string[];
        include?: string[];
        exclude?: string[];
        since: string;
        until?: string;
        kinds?: string;
        budgetShare: string;
        archived?: boolean;
        forks?: boolean;
      },
    ) => {
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
    },
  );

  withJobOptions(
    program
      .command('redeliver')
      .description(
        "Redeliver the webhook's failed deliveries (GitHub keeps 3 days): skips guids that have an OK delivery, records what it did in _state/redeliver/.",
      )
      .option('--org <org>', 'organisation of an organisation webhook')
      .option('--repo <owner/name>', 'repository of a repository webhook')
      .option('--app', "the GitHub App's own webhook (authenticated as the App: githubAuth.source app)")
      .option('--hook <id>', 'the webhook id (Settings → Webhooks → the hook URL ends with it)')
      .option(
        '--since <age|time>',
        'how far back the first run looks (later runs start at the cursor)',
        '24h',
      )
      .option('--max-attempts <n>', 'redeliveries per guid before giving up', '3'),
  ).action(
    async (
      options: JobCliOptions & {
        org?: string;
        repo?: string;
        app?: boolean;
        hook?: string;
        since: string;
        maxAttempts: string;
      },
    ) => {
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
    },
  );

  const job = program.command('job').description('List and run scheduled jobs as the schedule Lambda does.');
  job
    .command('list')
    .description('List the jobs and the configured schedules.')
    .action(() => {
      for (const j of jobs) process.stdout.write(`${j.name.padEnd(15)} ${j.description}\n`);
    });
  withJobOptions(
    job
      .command('run')
      .description('Run a job with a JSON input, or the job and input of a configured schedule.')
      .argument('[name]', 'job name (see `telemetry job list`)')
      .option('--input <json>', 'the job input as JSON, e.g. \'{"org":"acme"}\'')
      .option('--schedule <name>', 'run the job and input of this entry of config.schedules'),
  ).action(
    async (name: string | undefined, options: JobCliOptions & { input?: string; schedule?: string }) => {
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
    },
  );
}
