import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { loadConfig } from '../../config/config';
import { renderReport } from '../../report/format';
import { FORMATS, type ReportFormat } from '../../report/format/formats';
import { reportNotices } from '../../report/format/notices';
import { buildReport, ReportError } from '../../report/report';
import { loadTeams, TeamsError } from '../../report/teams';
import { parseWindow, WindowError } from '../../report/window';
import { CliError } from '../errors';

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
      const output = await runReport(options);
      if (options.out) {
        await writeFile(options.out, output.text);
        process.stderr.write(`report written to ${options.out}\n`);
      } else {
        process.stdout.write(output.text);
      }
      // The table prints them itself; a file or JSON on stdout would hide them from the person who ran it.
      if (options.format !== 'table' || options.out) {
        for (const notice of output.notices) process.stderr.write(`note: ${notice}\n`);
      }
      if (options.format !== 'table' && output.warnings.length > 0) {
        process.stderr.write(
          `warnings (files left out):\n${output.warnings.map((w) => `  ${w}\n`).join('')}`,
        );
      }
    });
}

/** Everything `telemetry report` does except writing: config, window, teams, read, compute, render. */
export async function runReport(
  options: ReportCommandOptions,
  now = Date.now(),
): Promise<{ text: string; warnings: string[]; notices: string[] }> {
  const config = loadConfig();
  try {
    const window = parseWindow(options.since, options.until, now);
    const teams = options.teams ? await loadTeams(options.teams) : undefined;
    const report = await buildReport({
      dataDir: options.data ?? config.server.dataDir,
      window,
      repos: options.repo,
      ...(teams ? { teams } : {}),
      settings: config.report,
      now,
    });
    return {
      text: renderReport(report, options.format),
      warnings: report.warnings,
      notices: reportNotices(report),
    };
  } catch (error) {
    if (error instanceof WindowError || error instanceof TeamsError || error instanceof ReportError) {
      throw new CliError(error.message);
    }
    throw error;
  }
}
