import type { Report } from '../report';
import type { Distribution } from '../stats';
import { humanDuration } from '../stats';
import type { Summary } from '../summarize';
import { lastDay } from '../window';
import { reportNotices } from './notices';

/** The default format: aligned plain-text tables for a terminal. */
export function renderTable(report: Report): string {
  const out: string[] = [];
  const { window, records } = report;
  out.push(
    `github-telemetry report  ${window.since.slice(0, 10)} → ${lastDay(window.until)} (${window.days} days)`,
  );
  out.push(
    `records: ${records.used} used, ${records.duplicates} duplicate files counted once, ${records.invalid} invalid files, ${records.files} files read`,
  );
  for (const notice of reportNotices(report)) out.push(`note: ${notice}`);
  out.push('');
  out.push(...section('DORA', doraRows(report)));
  out.push(...section('Flow (merged pull requests)', flowRows(report)));
  out.push(...section('CI', ciRows(report)));

  const sources = report.ci.by_source;
  if (sources.length > 0) {
    out.push(
      ...section(
        'CI runs by source',
        [['source', 'runs', 'p50', 'p90', 'failure']].concat(
          sources.map((r) => [
            r.source,
            String(r.runs),
            humanDuration(r.p50_ms),
            humanDuration(r.p90_ms),
            pct(r.failure_rate),
          ]),
        ),
        true,
      ),
    );
  }
  const top = report.ci.slowest_workflows;
  if (top.length > 0) {
    out.push(
      ...section(
        'Slowest workflows (by p50)',
        [['repository', 'workflow', 'runs', 'p50', 'p90', 'failure']].concat(
          top.map((w) => [
            w.repository,
            w.workflow,
            String(w.runs),
            humanDuration(w.p50_ms),
            humanDuration(w.p90_ms),
            pct(w.failure_rate),
          ]),
        ),
        true,
      ),
    );
  }
  if (report.senders.length > 0) {
    out.push(
      ...section(
        'Senders',
        [
          [
            'sender',
            'last accepted',
            'accepted 24h/7d',
            'refused 24h/7d',
            'retracted',
            'most frequent error',
          ],
        ].concat(
          report.senders.map((s) => [
            s.sender,
            s.last_accepted_at ?? '–',
            `${s.accepted.last_24h}/${s.accepted.last_7d}`,
            `${s.refused.last_24h}/${s.refused.last_7d}`,
            String(s.retracted.items),
            s.top_errors[0] ? `${s.top_errors[0].error} (${s.top_errors[0].count})` : '–',
          ]),
        ),
        true,
      ),
    );
  }
  const weeks = report.weekly.filter((w) => w.deployments + w.prs_merged + w.ci_runs > 0);
  if (weeks.length > 0) {
    out.push(
      ...section(
        'Weekly',
        [
          [
            'week',
            'deploys',
            'CFR',
            'lead p50',
            'restore p50',
            'PRs',
            'cycle p50',
            'CI runs',
            'CI p50',
            'CI fail',
          ],
        ].concat(
          weeks.map((w) => [
            w.week,
            String(w.deployments),
            pct(w.change_failure_rate),
            humanDuration(w.lead_time_p50_ms),
            humanDuration(w.time_to_restore_p50_ms),
            String(w.prs_merged),
            humanDuration(w.cycle_time_p50_ms),
            String(w.ci_runs),
            humanDuration(w.ci_run_p50_ms),
            pct(w.ci_failure_rate),
          ]),
        ),
        true,
      ),
    );
  }
  for (const [title, scopes] of [
    ['By team', report.by_team],
    ['By repository', report.by_repo],
  ] as const) {
    const names = Object.keys(scopes);
    if (names.length === 0) continue;
    out.push(
      ...section(
        title,
        [
          ['', 'deploys/wk', 'lead p50', 'CFR', 'restore p50', 'PRs', 'cycle p50', 'CI runs', 'CI fail'],
        ].concat(names.map((name) => scopeRow(name, scopes[name] as Summary))),
        true,
      ),
    );
  }
  if (report.warnings.length > 0) {
    out.push(`Warnings (${records.invalid} invalid files):`);
    for (const warning of report.warnings) out.push(`  ${warning}`);
    out.push('');
  }
  out.push(`Bands: ${report.settings.bands_source}; definitions in docs/REPORTS.md.`);
  return `${out.join('\n')}\n`;
}

function scopeRow(name: string, s: Summary): string[] {
  return [
    name,
    num(s.dora.deployment_frequency.per_week),
    humanDuration(s.dora.lead_time_for_changes.p50),
    pct(s.dora.change_failure_rate.rate),
    humanDuration(s.dora.time_to_restore.p50),
    String(s.flow.merged),
    humanDuration(s.flow.cycle_time.p50),
    String(s.ci.runs.count),
    pct(s.ci.runs.failure_rate),
  ];
}

function doraRows(report: Report): string[][] {
  const d = report.dora;
  const band = (b: string | null) => b ?? '–';
  return [
    ['key', 'value', 'detail', 'band'],
    [
      'deployment frequency',
      `${num(d.deployment_frequency.per_day)}/day, ${num(d.deployment_frequency.per_week)}/week`,
      `${d.deployment_frequency.deployments} successful production deployments`,
      band(d.deployment_frequency.band),
    ],
    [
      'lead time for changes',
      `p50 ${humanDuration(d.lead_time_for_changes.p50)}, p90 ${humanDuration(d.lead_time_for_changes.p90)}`,
      `${d.lead_time_for_changes.count} deployments; ${d.lead_time_for_changes.without_lead_time} without lead time${skew(d.lead_time_for_changes)}`,
      band(d.lead_time_for_changes.band),
    ],
    [
      'change failure rate',
      pct(d.change_failure_rate.rate),
      `${d.change_failure_rate.change_failures}/${d.change_failure_rate.deployments}: ${d.change_failure_rate.failed} failed, ${d.change_failure_rate.followed_by_incident} incident, ${d.change_failure_rate.followed_by_revert} revert`,
      band(d.change_failure_rate.band),
    ],
    [
      'time to restore',
      `p50 ${humanDuration(d.time_to_restore.p50)}, p90 ${humanDuration(d.time_to_restore.p90)}`,
      `${d.time_to_restore.from_incidents.count} incidents, ${d.time_to_restore.from_deployments.count} failed deployments; ${d.time_to_restore.unresolved} unresolved${skew(d.time_to_restore)}`,
      band(d.time_to_restore.band),
    ],
  ];
}

function flowRows(report: Report): string[][] {
  const f = report.flow;
  const rows = [['figure', 'p50', 'p90', 'count']];
  const add = (name: string, dist: Distribution, format = humanDuration) =>
    rows.push([name, format(dist.p50), format(dist.p90), `${dist.count}${skew(dist)}`]);
  add('cycle time', f.cycle_time);
  add('  coding', f.stages.coding);
  add('  pickup', f.stages.pickup);
  add('  review', f.stages.review);
  add('  merge', f.stages.merge);
  add('size (lines)', f.size, (v) => (v === null ? '–' : String(v)));
  rows.push([
    'size buckets',
    Object.entries(f.size.buckets)
      .map(([k, v]) => `${k} ${v}`)
      .join(', '),
    '',
    '',
  ]);
  const unknown = f.merged_without_review.unknown;
  rows.push([
    'merged without review',
    unknown > 0 && f.merged_without_review.rate === null ? 'unknown' : pct(f.merged_without_review.rate),
    '',
    unknown > 0
      ? `${f.merged_without_review.count}/${f.merged - unknown} known, ${unknown} unknown`
      : `${f.merged_without_review.count}/${f.merged}`,
  ]);
  rows.push(['closed unmerged', '', '', String(f.closed_unmerged)]);
  return rows;
}

function ciRows(report: Report): string[][] {
  const { jobs, runs } = report.ci;
  return [
    ['', 'duration p50', 'duration p90', 'queue p50', 'queue p90', 'failure', 're-run', 'count'],
    [
      'workflow runs',
      humanDuration(runs.duration.p50),
      humanDuration(runs.duration.p90),
      humanDuration(runs.queue.p50),
      humanDuration(runs.queue.p90),
      pct(runs.failure_rate),
      pct(runs.rerun_rate),
      String(runs.count),
    ],
    [
      'jobs',
      humanDuration(jobs.duration.p50),
      humanDuration(jobs.duration.p90),
      humanDuration(jobs.queue.p50),
      humanDuration(jobs.queue.p90),
      pct(jobs.failure_rate),
      '',
      String(jobs.count),
    ],
  ];
}

function skew(d: Distribution): string {
  return d.excluded_negative > 0 ? `; ${d.excluded_negative} negative (clock skew) left out` : '';
}

/** Three significant digits, whole numbers from 100. */
function num(x: number): string {
  return x >= 100 ? String(Math.round(x)) : String(Number(x.toPrecision(3)));
}

export function pct(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 1000) / 10}%`;
}

/** A titled, column-aligned block; the first row is the header. */
function section(title: string, rows: string[][], header = true): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const lines = [title, '='.repeat(title.length)];
  rows.forEach((row, i) => {
    lines.push(line(row));
    if (i === 0 && header) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  });
  lines.push('');
  return lines;
}
