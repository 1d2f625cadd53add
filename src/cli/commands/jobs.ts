import type { Command } from 'commander';
import type { JobCliOptions } from '../job-context';

const collect = (value: string, previous: string[] = []) => [...previous, value];

export type BackfillOptions = JobCliOptions & {
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
};

export type RedeliverOptions = JobCliOptions & {
  org?: string;
  repo?: string;
  app?: boolean;
  hook?: string;
  since: string;
  maxAttempts: string;
};

export type JobRunOptions = JobCliOptions & { input?: string; schedule?: string };

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
  ).action(async (options: BackfillOptions) => {
    const { backfillAction } = await import('../actions/jobs');
    await backfillAction(options);
  });

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
  ).action(async (options: RedeliverOptions) => {
    const { redeliverAction } = await import('../actions/jobs');
    await redeliverAction(options);
  });

  const job = program.command('job').description('List and run scheduled jobs as the schedule Lambda does.');
  job
    .command('list')
    .description('List the jobs and the configured schedules.')
    .action(async () => {
      const { jobListAction } = await import('../actions/jobs');
      jobListAction();
    });
  withJobOptions(
    job
      .command('run')
      .description('Run a job with a JSON input, or the job and input of a configured schedule.')
      .argument('[name]', 'job name (see `telemetry job list`)')
      .option('--input <json>', 'the job input as JSON, e.g. \'{"org":"acme"}\'')
      .option('--schedule <name>', 'run the job and input of this entry of config.schedules'),
  ).action(async (name: string | undefined, options: JobRunOptions) => {
    const { jobRunAction } = await import('../actions/jobs');
    await jobRunAction(name, options);
  });
}
