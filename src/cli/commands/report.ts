import { type Command, Option } from 'commander';
import { FORMATS, type ReportFormat } from '../../report/format/formats';

export interface ReportCommandOptions {
  data?: string;
  since?: string;
  until?: string;
  repo: string[];
  teams?: string;
  format: ReportFormat;
  out?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'DORA keys, pull-request flow and CI health from a data directory or a clone of the data repository.',
    )
    .option(
      '--data <dir>',
      'data directory or data-repository clone (default: server.dataDir of the configuration)',
    )
    .option('--since <when>', 'start: 90d, 12w, 24h, a date (2026-08-01) or an ISO time', '90d')
    .option('--until <when>', 'end: a date (inclusive) or an ISO time (default: now)')
    .option(
      '--repo <owner/repo>',
      'only these repositories (globs; repeat or comma-separate; a bare name matches any owner)',
      (value: string, previous: string[]) => [...previous, ...value.split(',').filter(Boolean)],
      [] as string[],
    )
    .option('--teams <file>', 'teams file mapping repositories and monorepo paths to teams (docs/REPORTS.md)')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('table'))
    .option('--out <file>', 'write to this file instead of standard output')
    .addHelpText(
      'after',
      '\nExamples:\n  telemetry report\n  telemetry report --data ../telemetry-data-repo --since 2026-08-01 --until 2026-10-31\n  telemetry report --teams teams.json --format html --out report.html\n\nEvery figure is defined in docs/REPORTS.md.',
    )
    .action(async (options: ReportCommandOptions) => {
      const { reportAction } = await import('../actions/report');
      await reportAction(options);
    });
}
