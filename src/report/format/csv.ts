import type { Report } from '../report';
import type { Summary } from '../summarize';

/**
 * Long ("tidy") CSV: one figure per row, ready for a spreadsheet pivot.
 * Columns: scope (all | team | repo), name (team or owner/repo; empty for all), week (Monday, empty for the
 * whole window), section (dora | flow | ci), figure (dotted path, e.g. lead_time_for_changes.p50), value.
 * Durations are in ms, rates in 0..1, like the JSON.
 */
export function renderCsv(report: Report): string {
  const lines = ['scope,name,week,section,figure,value'];
  const emit = (scope: string, name: string, summary: Summary) => {
    for (const section of ['dora', 'flow', 'ci'] as const) {
      for (const [figure, value] of flatten(summary[section])) {
        lines.push([scope, name, '', section, figure, value].map(cell).join(','));
      }
    }
    for (const row of summary.weekly) {
      for (const [figure, value] of Object.entries(row)) {
        if (figure === 'week') continue;
        lines.push([scope, name, row.week, 'weekly', figure, value].map(cell).join(','));
      }
    }
  };
  emit('all', '', report);
  for (const [team, summary] of Object.entries(report.by_team)) emit('team', team, summary);
  for (const [repo, summary] of Object.entries(report.by_repo)) emit('repo', repo, summary);
  return `${lines.join('\n')}\n`;
}

/** [dotted path, leaf] pairs; arrays (top lists) become `name[i].field`. */
function flatten(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object') return [[prefix, value]];
  const entries: [string, unknown][] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      entries.push(...flatten(item, `${prefix}[${i}]`));
    });
    return entries;
  }
  for (const [key, item] of Object.entries(value))
    entries.push(...flatten(item, prefix ? `${prefix}.${key}` : key));
  return entries;
}

/**
 * RFC 4180 quoting; null becomes an empty cell. Text (never numbers) starting with = + - @ gets a leading
 * apostrophe so a spreadsheet shows a workflow named "=cmd|..." instead of running it.
 */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
