import type { Band } from './bands';
import type { Distribution } from './stats';

/**
 * The shape of a report's figures (docs/REPORTS.md), for the whole report and for each team and repository.
 * They are computed by DuckDB: src/report/figures.ts.
 */

export interface DoraFigures {
  deployment_frequency: {
    /** Successful production deployments in the window. */
    deployments: number;
    per_day: number;
    per_week: number;
    band: Band | null;
  };
  lead_time_for_changes: Distribution & {
    /** Successful deployments without a lead time (no commits shipped, or not computable). */
    without_lead_time: number;
    band: Band | null;
  };
  change_failure_rate: {
    /** Production deployments that finished (success + failure). */
    deployments: number;
    /** failed + successful ones followed by an incident or a revert (each deployment once). */
    change_failures: number;
    failed: number;
    followed_by_incident: number;
    followed_by_revert: number;
    rate: number | null;
    band: Band | null;
  };
  time_to_restore: Distribution & {
    from_incidents: Distribution;
    from_deployments: Distribution;
    /** Incidents still open and failures without a later success, at the window's end. */
    unresolved: number;
    band: Band | null;
  };
}

export interface FlowFigures {
  merged: number;
  closed_unmerged: number;
  merged_by_bots: number;
  cycle_time: Distribution;
  stages: { coding: Distribution; pickup: Distribution; review: Distribution; merge: Distribution };
  /** Lines changed (additions + deletions) of merged pull requests. */
  size: Distribution & { buckets: Record<SizeBucket, number> };
  merged_without_review: { count: number; rate: number | null; unknown: number };
}

export interface WorkflowRow {
  repository: string;
  workflow: string;
  runs: number;
  p50_ms: number | null;
  p90_ms: number | null;
  failure_rate: number | null;
}

export interface JobRow {
  repository: string;
  workflow: string;
  job: string;
  jobs: number;
  p50_ms: number | null;
  p90_ms: number | null;
  failure_rate: number | null;
}

export interface CiFigures {
  jobs: {
    count: number;
    duration: Distribution;
    queue: Distribution;
    failure_rate: number | null;
    by_conclusion: Record<string, number>;
  };
  runs: {
    count: number;
    duration: Distribution;
    queue: Distribution;
    failure_rate: number | null;
    /** Distinct runs (repository + run id) that have an attempt > 1, over distinct runs. */
    rerun_rate: number | null;
    by_conclusion: Record<string, number>;
  };
  /**
   * Finished runs by the system that ran them: `github-actions` (workflow runs, as in `runs`) and each
   * sender of pushed `pipeline-run` records (Jenkins, GitLab CI, …); sources with runs only, GitHub Actions first.
   */
  by_source: SourceRow[];
  slowest_workflows: WorkflowRow[];
  slowest_jobs: JobRow[];
}

export interface SourceRow {
  source: string;
  runs: number;
  p50_ms: number | null;
  p90_ms: number | null;
  failure_rate: number | null;
}

/** The `source` of GitHub Actions workflow runs in `ci.by_source`. */
export const GITHUB_ACTIONS_SOURCE = 'github-actions';

export interface WeekRow {
  /** Monday (UTC) the week starts on. */
  week: string;
  deployments: number;
  change_failure_rate: number | null;
  lead_time_p50_ms: number | null;
  time_to_restore_p50_ms: number | null;
  prs_merged: number;
  cycle_time_p50_ms: number | null;
  ci_runs: number;
  ci_run_p50_ms: number | null;
  ci_failure_rate: number | null;
}

export interface Summary {
  dora: DoraFigures;
  flow: FlowFigures;
  ci: CiFigures;
  weekly: WeekRow[];
}

export type SizeBucket = 'XS' | 'S' | 'M' | 'L' | 'XL';
/** Upper bounds (exclusive) of the size buckets in lines changed; XL is everything from 1000. */
export const SIZE_BUCKETS: [SizeBucket, number][] = [
  ['XS', 10],
  ['S', 50],
  ['M', 250],
  ['L', 1000],
  ['XL', Number.POSITIVE_INFINITY],
];
