import { writeFile } from 'node:fs/promises';
import { loadConfig } from '../../config/config';
import { renderReport } from '../../report/format';
import { reportNotices } from '../../report/format/notices';
import { buildReport, ReportError } from '../../report/report';
import { loadTeams, TeamsError } from '../../report/teams';
import { parseWindow, WindowError } from '../../report/window';
import type { ReportCommandOptions } from '../commands/report';
import { CliError } from '../errors';

/** `telemetry report`: the report on standard output or in `--out`, and what it left out on stderr. */
export async function reportAction(options: ReportCommandOptions): Promise<void> {
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
    process.stderr.write(`warnings (files left out):\n${output.warnings.map((w) => `  ${w}\n`).join('')}`);
  }
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
