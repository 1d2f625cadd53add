import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openDuck } from '../data/duckdb';
import { type SenderHealth, senderHealth } from '../senders/health';
import { BANDS_SOURCE } from './bands';
import { type ReportFigures, reportFigures } from './figures';
import { type ReadResult, type RecordCounts, readFacts } from './read';
import type { ReportSettings } from './settings';
import type { Summary } from './summarize';
import { TeamResolver } from './teams';
import { type ReportWindow, windowDays } from './window';

export interface ReportOptions {
  dataDir: string;
  window: ReportWindow;
  repos?: readonly string[];
  teams?: TeamResolver;
  settings: ReportSettings;
  now?: number;
}

/** The whole report: what `--format json` prints, and what the other formats render. */
export interface Report extends Summary {
  generated_at: string;
  data_dir: string;
  window: { since: string; until: string; days: number };
  settings: {
    production_environments: string[];
    change_failure_window_hours: number;
    revert_title_pattern: string;
    bands_source: string;
  };
  records: RecordCounts;
  /** Each team's own figures (teams file order, then `(no team)`); empty without --teams. */
  by_team: Record<string, Summary>;
  /** Each repository's own figures (`owner/repo`, sorted). */
  by_repo: Record<string, Summary>;
  /** Health of the systems that push (`telemetry senders`), as of now, whatever the window. */
  senders: SenderHealth[];
  warnings: string[];
}

/** DuckDB's memory limit for a report unless `TELEMETRY_DUCKDB_MEMORY` says otherwise. */
// 384 MB, not half of the 1 GB budget: a percentile's values and the reader's buffers come on top of
// DuckDB's limit (10M records peaked at about 1,030 MB with 512 MB, 870 MB with 384 MB, for ~10 s more CPU).
export const REPORT_MEMORY_LIMIT = '384MB';

export class ReportError extends Error {
  override readonly name = 'ReportError';
}

export async function buildReport(options: ReportOptions): Promise<Report> {
  const dataDir = resolve(options.dataDir);
  let isDirectory = false;
  try {
    isDirectory = statSync(dataDir).isDirectory();
  } catch {
    isDirectory = false;
  }
  if (!isDirectory) throw new ReportError(`data directory ${dataDir} does not exist or is not a directory`);

  const { settings, window } = options;
  const teams = options.teams ?? new TeamResolver();
  // One embedded DuckDB per report, within its memory limit (half of the report's 1 GB budget: the other
  // half is Node and the facts it keeps), spilling to a temporary folder beyond it.
  const spill = await mkdtemp(join(tmpdir(), 'telemetry-report-'));
  const duck = await openDuck({
    tempDirectory: spill,
    memoryLimit: process.env.TELEMETRY_DUCKDB_MEMORY ?? REPORT_MEMORY_LIMIT,
  });
  let read: ReadResult;
  let figures: ReportFigures;
  try {
    read = await readFacts(dataDir, {
      window,
      ...(options.repos ? { repos: options.repos } : {}),
      revertPattern: new RegExp(settings.revertTitlePattern, 'i'),
      duck,
      teams,
    });
    figures = await reportFigures(duck, { settings, window, teams });
  } finally {
    duck.close();
    await rm(spill, { recursive: true, force: true });
  }
  const { all, by_team, by_repo } = figures;

  return {
    window: {
      since: new Date(window.start).toISOString(),
      until: new Date(window.end).toISOString(),
      days: Math.round(windowDays(window) * 1000) / 1000,
    },
    records: read.records,
    ...all,
    by_team,
    by_repo,
    senders: (await senderHealth(dataDir, { now: options.now ?? Date.now() })).senders,
    settings: {
      production_environments: settings.productionEnvironments,
      change_failure_window_hours: settings.changeFailureWindowHours,
      revert_title_pattern: settings.revertTitlePattern,
      bands_source: BANDS_SOURCE,
    },
    warnings: read.warnings,
    generated_at: new Date(options.now ?? Date.now()).toISOString(),
    data_dir: dataDir,
  };
}
