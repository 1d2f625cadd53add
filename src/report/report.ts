import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Duck, openDuck } from '../data/duckdb';
import { type SenderHealth, senderHealth } from '../senders/health';
import { BANDS_SOURCE } from './bands';
import { type CiResult, type CiScope, ciFigures, emptyScope } from './ci';
import { type Derived, derive } from './derive';
import { FACT_TABLES } from './fact-tables';
import type { Fact } from './facts';
import { type ReadResult, type RecordCounts, readFacts } from './read';
import type { ReportSettings } from './settings';
import { type Summary, summarize } from './summarize';
import { NO_TEAM, TeamResolver } from './teams';
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
export const REPORT_MEMORY_LIMIT = '512MB';

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
  let ci: CiResult;
  let facts: Fact[];
  try {
    read = await readFacts(dataDir, {
      window,
      ...(options.repos ? { repos: options.repos } : {}),
      revertPattern: new RegExp(settings.revertTitlePattern, 'i'),
      duck,
      teams,
    });
    ci = await ciFigures(duck, settings.topListSize, teams.enabled);
    facts = await factsFromTables(duck);
  } finally {
    duck.close();
    await rm(spill, { recursive: true, force: true });
  }
  const derived = derive(facts, settings, teams);
  const all = withCi(summarize(derived, window, settings.topListSize), ci.all);

  const by_team: Record<string, Summary> = {};
  if (teams.enabled) {
    const parts = partition(derived, (item) => item.team);
    for (const team of [...teams.names, NO_TEAM]) {
      const part = parts.get(team);
      const teamCi = ci.by_team.get(team);
      if (team === NO_TEAM && !part && !teamCi) continue;
      by_team[team] = withCi(summarize(part ?? EMPTY, window, settings.topListSize), teamCi ?? emptyScope());
    }
  }
  const by_repo: Record<string, Summary> = {};
  const repositories = partition(derived, (item) => `${item.owner}/${item.repo}`);
  for (const repository of [...new Set([...repositories.keys(), ...ci.by_repo.keys()])].sort()) {
    by_repo[repository] = withCi(
      summarize(repositories.get(repository) ?? EMPTY, window, settings.topListSize),
      ci.by_repo.get(repository) ?? emptyScope(),
    );
  }

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

/**
 * A summary of the facts read in JS (deployments, pull requests, incidents, pushed pipeline runs) completed
 * with the CI health DuckDB computed: GitHub Actions first in `by_source`, then the pushed pipelines.
 */
function withCi(summary: Summary, scope: CiScope): Summary {
  const weekly = summary.weekly.map((row) => ({ ...row, ...scope.weekly.get(row.week) }));
  return {
    ...summary,
    ci: {
      jobs: scope.ci.jobs,
      runs: scope.ci.runs,
      by_source: [...(scope.source ? [scope.source] : []), ...summary.ci.by_source],
      slowest_workflows: scope.ci.slowest_workflows,
      slowest_jobs: scope.ci.slowest_jobs,
    },
    weekly,
  };
}

type Item = { owner: string; repo: string; team: string };

const emptyDerived = (): Derived => ({
  deployments: [],
  incidents: [],
  restores: [],
  pullRequests: [],
  jobs: [],
  runs: [],
  pipelineRuns: [],
});

const EMPTY: Derived = emptyDerived();

/** Splits every list of `derived` by a key in one pass (teams, repositories). */
function partition(derived: Derived, keyOf: (item: Item) => string): Map<string, Derived> {
  const parts = new Map<string, Derived>();
  for (const list of Object.keys(derived) as (keyof Derived)[]) {
    for (const item of derived[list] as Item[]) {
      const key = keyOf(item);
      let part = parts.get(key);
      if (!part) {
        part = emptyDerived();
        parts.set(key, part);
      }
      (part[list] as Item[]).push(item);
    }
  }
  return parts;
}

/**
 * SHIM until the figures are computed in SQL (src/report/*-sql.ts): the settled fact tables the reader
 * left in DuckDB (src/report/fact-tables.ts) read back as the facts derive() and summarize() take.
 */
async function factsFromTables(duck: Duck): Promise<Fact[]> {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const rows = (kind: keyof typeof FACT_TABLES) =>
    duck.all(`SELECT * FROM ${FACT_TABLES[kind].settled} ORDER BY at_ms, metric, owner, repo`);
  const facts: Fact[] = [];
  for (const r of await rows('deployment')) {
    facts.push({
      kind: 'deployment',
      owner: String(r.owner),
      repo: String(r.repo),
      at: Number(r.at_ms),
      deployment: String(r.deployment),
      deploymentId: String(r.deployment_id),
      state: String(r.state),
      environment: String(r.environment),
      production: r.production === null ? null : Boolean(r.production),
      sha: String(r.sha),
      service: text(r.service),
      leadTimeMs: num(r.lead_time_ms),
      commitCount: num(r.commit_count),
    });
  }
  for (const r of await rows('incident')) {
    facts.push({
      kind: 'incident',
      owner: String(r.owner),
      repo: String(r.repo),
      at: Number(r.at_ms),
      incident: String(r.incident),
      openedAt: Number(r.opened_at_ms),
      resolvedAt: num(r.resolved_at_ms),
      labels: (r.labels as string[]).map(String),
      service: text(r.service),
      linkedSha: text(r.linked_sha),
      linkedDeploymentId: text(r.linked_deployment_id),
    });
  }
  for (const r of await rows('pull_request')) {
    facts.push({
      kind: 'pull-request',
      owner: String(r.owner),
      repo: String(r.repo),
      at: Number(r.at_ms),
      merged: Boolean(r.merged),
      revert: Boolean(r.revert),
      intoDefault: Boolean(r.into_default),
      bot: Boolean(r.bot),
      labels: (r.labels as string[]).map(String),
      reviewed: r.reviewed === null ? null : Boolean(r.reviewed),
      size: Number(r.size),
      coding: num(r.coding_ms),
      pickup: num(r.pickup_ms),
      review: num(r.review_ms),
      merge: num(r.merge_ms),
      cycle: num(r.cycle_ms),
    });
  }
  for (const r of await rows('pipeline_run')) {
    facts.push({
      kind: 'pipeline-run',
      owner: String(r.owner),
      repo: String(r.repo),
      at: Number(r.at_ms),
      source: String(r.source),
      pipeline: String(r.pipeline),
      conclusion: String(r.conclusion),
      queueMs: num(r.queue_ms),
      durationMs: num(r.duration_ms),
    });
  }
  return facts;
}
