import { type Command, Option } from 'commander';

export const QUERY_FORMATS = ['table', 'json', 'csv'] as const;
export type QueryFormat = (typeof QUERY_FORMATS)[number];

export interface CompactOptions {
  data?: string;
  before?: string;
}

export interface QueryOptions {
  data?: string;
  lake?: string;
  format: QueryFormat;
}

/** `telemetry compact` and `telemetry query`: the data directory's partitions, and SQL over them. */
export function registerDataCommands(program: Command): void {
  program
    .command('compact')
    .description('Compact closed UTC days of hot record files into Parquet partitions (docs/DATA.md).')
    .option(
      '--data <dir>',
      'data directory or data-repository clone (default: server.dataDir of the configuration)',
    )
    .option(
      '--before <time>',
      'compact days that ended before this ISO time (default: now minus data.compactGraceHours)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  telemetry compact\n  telemetry compact --data ./telemetry-data --before 2026-11-01T00:00:00Z',
    )
    .action(async (options: CompactOptions) => {
      const { compactAction } = await import('../actions/data');
      await compactAction(options);
    });

  program
    .command('query')
    .description(
      'Run SQL (DuckDB) over a data directory: one view per metric and a records view (docs/DATA.md).',
    )
    .argument('<sql>', 'the SQL to run, e.g. "SELECT metric, count(*) FROM records GROUP BY 1"')
    .option(
      '--data <dir>',
      'data directory or data-repository clone (default: server.dataDir of the configuration)',
    )
    .option(
      '--lake <dir-or-s3>',
      'read the S3 data lake instead: a local copy of its layout (records/metric=…/dt=…/) or s3://<bucket> (DuckDB httpfs, AWS credentials)',
    )
    .addOption(new Option('--format <format>', 'output format').choices(QUERY_FORMATS).default('table'))
    .addHelpText(
      'after',
      '\nExamples:\n  telemetry query "SELECT owner, repo, count(*) AS jobs FROM workflow_job GROUP BY ALL ORDER BY jobs DESC"\n  telemetry query --format csv "SELECT id, occurred_at, output.duration_ms FROM workflow_job"\n  telemetry query --lake ./lake "SELECT dt, count(*) FROM workflow_job_records GROUP BY dt"',
    )
    .action(async (sql: string, options: QueryOptions) => {
      const { queryAction } = await import('../actions/data');
      await queryAction(sql, options);
    });
}
