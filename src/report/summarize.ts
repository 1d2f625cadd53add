import {
  type Band,
  changeFailureRateBand,
  deploymentFrequencyBand,
  leadTimeBand,
  timeToRestoreBand,
} from './bands';
import type { Derived } from './derive';
import { type Distribution, distribution, ratio } from './stats';
import { type ReportWindow, weekOf, weeksOf, windowDays } from './window';

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

const FAILED_CONCLUSIONS = new Set(['failure', 'timed_out', 'startup_failure']);
const PASSED_CONCLUSIONS = new Set(['success']);

export function summarize(derived: Derived, window: ReportWindow, topListSize: number): Summary {
  return {
    dora: dora(derived, window),
    flow: flow(derived),
    ci: ci(derived, topListSize),
    weekly: weekly(derived, window),
  };
}

function dora(derived: Derived, window: ReportWindow): DoraFigures {
  const successes = derived.deployments.filter((d) => d.outcome === 'success');
  const days = windowDays(window);
  const perDay = successes.length / days;
  const lead = distribution(successes.map((d) => d.leadTimeMs));
  const failed = derived.deployments.length - successes.length;
  const byIncident = successes.filter((d) => d.incidents > 0).length;
  const byRevert = successes.filter((d) => d.reverts > 0).length;
  const changeFailures = failed + successes.filter((d) => d.incidents > 0 || d.reverts > 0).length;
  const rate = ratio(changeFailures, derived.deployments.length);
  const restoreTimes = (source?: 'incident' | 'deployment') =>
    distribution(derived.restores.filter((r) => !source || r.source === source).map((r) => r.restoreMs));
  const restore = restoreTimes();
  return {
    deployment_frequency: {
      deployments: successes.length,
      per_day: round(perDay, 4),
      per_week: round(perDay * 7, 4),
      band: deploymentFrequencyBand(successes.length > 0 ? perDay : null),
    },
    lead_time_for_changes: {
      ...lead,
      without_lead_time: successes.filter((d) => d.leadTimeMs === null).length,
      band: leadTimeBand(lead.p50),
    },
    change_failure_rate: {
      deployments: derived.deployments.length,
      change_failures: changeFailures,
      failed,
      followed_by_incident: byIncident,
      followed_by_revert: byRevert,
      rate,
      band: changeFailureRateBand(rate),
    },
    time_to_restore: {
      ...restore,
      from_incidents: restoreTimes('incident'),
      from_deployments: restoreTimes('deployment'),
      unresolved: derived.restores.filter((r) => r.restoreMs === null).length,
      band: timeToRestoreBand(restore.p50),
    },
  };
}

function flow(derived: Derived): FlowFigures {
  const merged = derived.pullRequests.filter((pr) => pr.merged);
  const buckets = Object.fromEntries(SIZE_BUCKETS.map(([name]) => [name, 0])) as Record<SizeBucket, number>;
  for (const pr of merged) {
    const bucket = SIZE_BUCKETS.find(([, below]) => pr.size < below) as [SizeBucket, number];
    buckets[bucket[0]] += 1;
  }
  // A partial record (reviews unreadable) says nothing about review: left out of the rate, counted apart.
  const unreviewed = merged.filter((pr) => pr.reviewed === false).length;
  const reviewUnknown = merged.filter((pr) => pr.reviewed === null).length;
  return {
    merged: merged.length,
    closed_unmerged: derived.pullRequests.length - merged.length,
    merged_by_bots: merged.filter((pr) => pr.bot).length,
    cycle_time: distribution(merged.map((pr) => pr.cycle)),
    stages: {
      coding: distribution(merged.map((pr) => pr.coding)),
      pickup: distribution(merged.map((pr) => pr.pickup)),
      review: distribution(merged.map((pr) => pr.review)),
      merge: distribution(merged.map((pr) => pr.merge)),
    },
    size: { ...distribution(merged.map((pr) => pr.size)), buckets },
    merged_without_review: {
      count: unreviewed,
      rate: ratio(unreviewed, merged.length - reviewUnknown),
      unknown: reviewUnknown,
    },
  };
}

function failureRate(conclusions: readonly (string | null)[]): number | null {
  let failed = 0;
  let decided = 0;
  for (const conclusion of conclusions) {
    if (conclusion !== null && FAILED_CONCLUSIONS.has(conclusion)) {
      failed += 1;
      decided += 1;
    } else if (conclusion !== null && PASSED_CONCLUSIONS.has(conclusion)) decided += 1;
  }
  return ratio(failed, decided);
}

function countBy(values: readonly (string | null)[]): Record<string, number> {
  const counts: Record<string, number> = Object.create(null);
  for (const value of values) counts[value ?? 'none'] = (counts[value ?? 'none'] ?? 0) + 1;
  return counts;
}

function ci(derived: Derived, topListSize: number): CiFigures {
  const { jobs, runs } = derived;
  const attempts = new Map<string, number>();
  for (const run of runs) {
    const key = `${run.owner}/${run.repo}#${run.runId}`;
    attempts.set(key, Math.max(attempts.get(key) ?? 0, run.attempt));
  }
  let rerun = 0;
  for (const attempt of attempts.values()) if (attempt > 1) rerun += 1;

  const workflowGroups = new Map<string, typeof runs>();
  for (const run of runs) {
    const name = run.path ?? run.workflow ?? run.workflowId;
    const key = `${run.owner}/${run.repo}\n${name}`;
    const group = workflowGroups.get(key);
    if (group) group.push(run);
    else workflowGroups.set(key, [run]);
  }
  const slowestWorkflows: WorkflowRow[] = [...workflowGroups].map(([key, group]) => {
    const [repository, workflow] = key.split('\n') as [string, string];
    const duration = distribution(group.map((r) => r.durationMs));
    return {
      repository,
      workflow,
      runs: group.length,
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureRate(group.map((r) => r.conclusion)),
    };
  });

  const jobGroups = new Map<string, typeof jobs>();
  for (const job of jobs) {
    const key = `${job.owner}/${job.repo}\n${job.workflow ?? job.path ?? ''}\n${job.jobName}`;
    const group = jobGroups.get(key);
    if (group) group.push(job);
    else jobGroups.set(key, [job]);
  }
  const slowestJobs: JobRow[] = [...jobGroups].map(([key, group]) => {
    const [repository, workflow, job] = key.split('\n') as [string, string, string];
    const duration = distribution(group.map((j) => j.durationMs));
    return {
      repository,
      workflow,
      job,
      jobs: group.length,
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureRate(group.map((j) => j.conclusion)),
    };
  });

  const slowestFirst = (a: { p50_ms: number | null; p90_ms: number | null }, b: typeof a) =>
    (b.p50_ms ?? -1) - (a.p50_ms ?? -1) || (b.p90_ms ?? -1) - (a.p90_ms ?? -1);
  return {
    jobs: {
      count: jobs.length,
      duration: distribution(jobs.map((j) => j.durationMs)),
      queue: distribution(jobs.map((j) => j.queueMs)),
      failure_rate: failureRate(jobs.map((j) => j.conclusion)),
      by_conclusion: countBy(jobs.map((j) => j.conclusion)),
    },
    runs: {
      count: runs.length,
      duration: distribution(runs.map((r) => r.durationMs)),
      queue: distribution(runs.map((r) => r.queueMs)),
      failure_rate: failureRate(runs.map((r) => r.conclusion)),
      rerun_rate: ratio(rerun, attempts.size),
      by_conclusion: countBy(runs.map((r) => r.conclusion)),
    },
    by_source: bySource(derived),
    slowest_workflows: slowestWorkflows.sort(slowestFirst).slice(0, topListSize),
    slowest_jobs: slowestJobs.sort(slowestFirst).slice(0, topListSize),
  };
}

function bySource(derived: Derived): SourceRow[] {
  const groups = new Map<string, { durations: (number | null)[]; conclusions: (string | null)[] }>();
  const add = (source: string, durationMs: number | null, conclusion: string | null) => {
    let group = groups.get(source);
    if (!group) {
      group = { durations: [], conclusions: [] };
      groups.set(source, group);
    }
    group.durations.push(durationMs);
    group.conclusions.push(conclusion);
  };
  for (const run of derived.runs) add(GITHUB_ACTIONS_SOURCE, run.durationMs, run.conclusion);
  const pushed = [...derived.pipelineRuns].sort((a, b) => a.source.localeCompare(b.source));
  for (const run of pushed) add(run.source, run.durationMs, run.conclusion);
  return [...groups].map(([source, group]) => {
    const duration = distribution(group.durations);
    return {
      source,
      runs: group.conclusions.length,
      p50_ms: duration.p50,
      p90_ms: duration.p90,
      failure_rate: failureRate(group.conclusions),
    };
  });
}

function weekly(derived: Derived, window: ReportWindow): WeekRow[] {
  const rows = new Map<string, WeekRow>();
  const collect = new Map<
    string,
    {
      lead: number[];
      restore: number[];
      cycle: (number | null)[];
      run: number[];
      fails: number;
      all: number;
      ciConclusions: (string | null)[];
    }
  >();
  for (const week of weeksOf(window)) {
    rows.set(week, {
      week,
      deployments: 0,
      change_failure_rate: null,
      lead_time_p50_ms: null,
      time_to_restore_p50_ms: null,
      prs_merged: 0,
      cycle_time_p50_ms: null,
      ci_runs: 0,
      ci_run_p50_ms: null,
      ci_failure_rate: null,
    });
    collect.set(week, { lead: [], restore: [], cycle: [], run: [], fails: 0, all: 0, ciConclusions: [] });
  }
  const at = (ms: number) => {
    const week = weekOf(ms);
    const row = rows.get(week);
    const values = collect.get(week);
    return row && values ? { row, values } : undefined;
  };
  for (const d of derived.deployments) {
    const slot = at(d.at);
    if (!slot) continue;
    slot.values.all += 1;
    if (d.outcome === 'failure' || d.incidents > 0 || d.reverts > 0) slot.values.fails += 1;
    if (d.outcome === 'success') {
      slot.row.deployments += 1;
      if (d.leadTimeMs !== null) slot.values.lead.push(d.leadTimeMs);
    }
  }
  for (const r of derived.restores) {
    const slot = at(r.startedAt);
    if (slot && r.restoreMs !== null) slot.values.restore.push(r.restoreMs);
  }
  for (const pr of derived.pullRequests) {
    const slot = pr.merged ? at(pr.at) : undefined;
    if (!slot) continue;
    slot.row.prs_merged += 1;
    slot.values.cycle.push(pr.cycle);
  }
  for (const run of derived.runs) {
    const slot = at(run.at);
    if (!slot) continue;
    slot.row.ci_runs += 1;
    slot.values.run.push(run.durationMs);
    slot.values.ciConclusions.push(run.conclusion);
  }
  for (const [week, row] of rows) {
    const values = collect.get(week);
    if (!values) continue;
    row.change_failure_rate = ratio(values.fails, values.all);
    row.lead_time_p50_ms = distribution(values.lead).p50;
    row.time_to_restore_p50_ms = distribution(values.restore).p50;
    row.cycle_time_p50_ms = distribution(values.cycle).p50;
    row.ci_run_p50_ms = distribution(values.run).p50;
    row.ci_failure_rate = failureRate(values.ciConclusions);
  }
  return [...rows.values()];
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
