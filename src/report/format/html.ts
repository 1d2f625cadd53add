import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Report } from '../report';
import { lastDay } from '../window';
import { reportNotices } from './notices';

/**
 * One self-contained HTML file: the report's figures as JSON, Chart.js (UMD build, inlined) and a small
 * script that draws them. A Content-Security-Policy forbids every network request, so the file opens the
 * same offline, from a mail attachment or from a CI artefact.
 */
export function renderHtml(report: Report): string {
  const data = {
    window: report.window,
    records: report.records,
    settings: report.settings,
    generated_at: report.generated_at,
    warnings: report.warnings.length,
    scopes: {
      all: { label: 'All repositories', summary: pick(report) },
      ...Object.fromEntries(
        Object.entries(report.by_team).map(([name, s]) => [
          `team:${name}`,
          { label: `Team: ${name}`, summary: s },
        ]),
      ),
      ...Object.fromEntries(
        Object.entries(report.by_repo).map(([name, s]) => [
          `repo:${name}`,
          { label: `Repository: ${name}`, summary: s },
        ]),
      ),
    },
    teams: Object.keys(report.by_team),
    senders: report.senders,
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Engineering telemetry ${escapeHtml(report.window.since.slice(0, 10))} – ${escapeHtml(lastDay(report.window.until))}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Engineering telemetry</h1>
  <p id="subtitle"></p>
  <label>Scope <select id="scope"></select></label>
</header>
${reportNotices(report)
  .map((notice) => `<p class="notice">${escapeHtml(notice)}</p>`)
  .join('\n')}
<main>
  <section><h2>DORA keys</h2><div id="dora" class="cards"></div></section>
  <section class="grid">
    <figure><figcaption>Deployments per week and change failure rate</figcaption><canvas id="c-deploys"></canvas></figure>
    <figure><figcaption>Lead time for changes and time to restore (weekly median, hours)</figcaption><canvas id="c-lead"></canvas></figure>
  </section>
  <section><h2>Pull-request flow</h2><div id="flow" class="cards"></div></section>
  <section class="grid">
    <figure><figcaption>Merged pull requests per week and cycle time (median, hours)</figcaption><canvas id="c-prs"></canvas></figure>
    <figure><figcaption>Cycle-time stages (hours)</figcaption><canvas id="c-stages"></canvas></figure>
    <figure><figcaption>Pull-request size (lines changed)</figcaption><canvas id="c-size"></canvas></figure>
  </section>
  <section><h2>CI health</h2><div id="ci" class="cards"></div></section>
  <section class="grid">
    <figure><figcaption>Workflow runs per week, median duration (minutes) and failure rate</figcaption><canvas id="c-ci"></canvas></figure>
    <figure><figcaption>Slowest workflows (median minutes)</figcaption><canvas id="c-slowest"></canvas></figure>
    <figure><figcaption>Jobs by conclusion</figcaption><canvas id="c-conclusions"></canvas></figure>
  </section>
  <section><h2>CI runs by source</h2><div id="t-sources"></div></section>
  <section><h2>Slowest workflows</h2><div id="t-workflows"></div></section>
  <section><h2>Slowest jobs</h2><div id="t-jobs"></div></section>
  <section id="teams-section"><h2>By team</h2><div id="t-teams"></div></section>
  <section><h2>By repository</h2><div id="t-repos"></div></section>
  <section id="senders-section"><h2>Senders</h2><div id="t-senders"></div></section>
  <footer id="footer"></footer>
</main>
<script id="report-data" type="application/json">${jsonForScript(data)}</script>
<script>${chartJs()}</script>
<script>${CLIENT}</script>
</body>
</html>
`;
}

function pick(report: Report) {
  return { dora: report.dora, flow: report.flow, ci: report.ci, weekly: report.weekly };
}

let chartSource: string | undefined;
/** Chart.js's UMD build from node_modules, read once per process. */
function chartJs(): string {
  chartSource ??= readFileSync(
    join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'),
    'utf8',
  ).replace(/<\/script/gi, '<\\/script');
  return chartSource;
}

/** JSON that cannot close the script element or open a comment. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #f6f8fa; --card: #fff;
  --elite: #1a7f37; --high: #0969da; --medium: #9a6700; --low: #cf222e; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { background: #24292f; color: #fff; padding: 16px 28px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 0; color: #d0d7de; flex: 1; }
header select { font: inherit; padding: 2px 6px; }
main { padding: 12px 28px 40px; max-width: 1500px; margin: 0 auto; }
h2 { font-size: 16px; margin: 22px 0 10px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 12px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .name { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 22px; font-weight: 600; margin: 2px 0; }
.card .detail { color: var(--muted); font-size: 12px; }
.band { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; color: #fff; margin-left: 6px; vertical-align: middle; }
.band.elite { background: var(--elite); } .band.high { background: var(--high); } .band.medium { background: var(--medium); } .band.low { background: var(--low); } .band.none { background: #8c959f; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; margin-top: 12px; }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; height: 300px; display: flex; flex-direction: column; }
figcaption { font-weight: 600; font-size: 13px; margin-bottom: 6px; }
figure canvas { flex: 1; min-height: 0; }
table { border-collapse: collapse; width: 100%; background: var(--card); border: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { background: var(--bg); font-size: 12px; color: var(--muted); }
td.num, th.num { text-align: right; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
.empty { color: var(--muted); font-style: italic; }
.notice { margin: 12px 24px; padding: 10px 14px; border-left: 4px solid #bc4c00; background: #fff8c5; color: #1f2328; }
`;

// Plain browser JavaScript (no build step): reads #report-data and draws with the global Chart.
const CLIENT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var charts = [];
  var COLORS = ['#0969da', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#57606a', '#0550ae'];
  var H = 3600000, M = 60000;

  function dur(ms) {
    if (ms === null || ms === undefined) return '–';
    var s = Math.round(ms / 1000);
    if (s < 60) return s + 's';
    var m = Math.floor(s / 60); if (m < 60) return m + 'm ' + (s % 60) + 's';
    var h = Math.floor(m / 60); if (h < 24) return h + 'h ' + (m % 60) + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }
  function num(x) { return x >= 100 ? String(Math.round(x)) : String(Number(x.toPrecision(3))); }
  function pct(r) { return r === null || r === undefined ? '–' : (Math.round(r * 1000) / 10) + '%'; }
  function hours(ms) { return ms === null ? null : Math.round(ms / H * 100) / 100; }
  function minutes(ms) { return ms === null ? null : Math.round(ms / M * 100) / 100; }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; }
  function card(name, value, detail, band) {
    var c = el('div', 'card');
    c.appendChild(el('div', 'name', name));
    var v = el('div', 'value', value);
    if (band !== undefined) v.appendChild(el('span', 'band ' + (band || 'none'), band || 'no data'));
    c.appendChild(v);
    c.appendChild(el('div', 'detail', detail));
    return c;
  }
  function fill(id, cards) { var box = document.getElementById(id); box.textContent = ''; cards.forEach(function (c) { box.appendChild(c); }); }
  function table(id, head, rows, numeric) {
    var box = document.getElementById(id); box.textContent = '';
    if (rows.length === 0) { box.appendChild(el('p', 'empty', 'No data in this window.')); return; }
    var t = el('table'), tr = el('tr');
    head.forEach(function (h, i) { tr.appendChild(el('th', numeric[i] ? 'num' : '', h)); });
    var thead = el('thead'); thead.appendChild(tr); t.appendChild(thead);
    var tb = el('tbody');
    rows.forEach(function (r) { var row = el('tr'); r.forEach(function (v, i) { row.appendChild(el('td', numeric[i] ? 'num' : '', String(v))); }); tb.appendChild(row); });
    t.appendChild(tb); box.appendChild(t);
  }
  function chart(id, config) {
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: 'index', intersect: false }, plugins: { legend: { position: 'bottom' } } }, config.options || {});
    charts.push(new Chart(document.getElementById(id), config));
  }
  function axes(left, right) {
    var scales = { x: { grid: { display: false } }, y: { beginAtZero: true, title: { display: true, text: left } } };
    if (right) scales.y1 = { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: right } };
    return scales;
  }

  function render(key) {
    charts.forEach(function (c) { c.destroy(); }); charts = [];
    var s = data.scopes[key].summary, d = s.dora, f = s.flow, ci = s.ci;
    var weeks = s.weekly.map(function (w) { return w.week; });

    fill('dora', [
      card('Deployment frequency', num(d.deployment_frequency.per_week) + ' / week', d.deployment_frequency.deployments + ' successful production deployments (' + num(d.deployment_frequency.per_day) + ' / day)', d.deployment_frequency.band),
      card('Lead time for changes', dur(d.lead_time_for_changes.p50), 'median; p90 ' + dur(d.lead_time_for_changes.p90) + '; ' + d.lead_time_for_changes.count + ' deployments', d.lead_time_for_changes.band),
      card('Change failure rate', pct(d.change_failure_rate.rate), d.change_failure_rate.change_failures + ' of ' + d.change_failure_rate.deployments + ': ' + d.change_failure_rate.failed + ' failed, ' + d.change_failure_rate.followed_by_incident + ' incident, ' + d.change_failure_rate.followed_by_revert + ' revert', d.change_failure_rate.band),
      card('Time to restore', dur(d.time_to_restore.p50), 'median; p90 ' + dur(d.time_to_restore.p90) + '; ' + d.time_to_restore.count + ' restored, ' + d.time_to_restore.unresolved + ' unresolved', d.time_to_restore.band)
    ]);
    fill('flow', [
      card('Cycle time', dur(f.cycle_time.p50), 'median; p90 ' + dur(f.cycle_time.p90) + '; ' + f.merged + ' merged'),
      card('Pickup', dur(f.stages.pickup.p50), 'median opened → first review'),
      card('Size', (f.size.p50 === null ? '–' : f.size.p50) + ' lines', 'median; p90 ' + (f.size.p90 === null ? '–' : f.size.p90)),
      f.merged_without_review.unknown > 0
        ? card('Merged without review', f.merged_without_review.rate === null ? 'unknown' : pct(f.merged_without_review.rate), f.merged_without_review.count + ' of ' + (f.merged - f.merged_without_review.unknown) + ' known; ' + f.merged_without_review.unknown + ' unknown (no reviews recorded)')
        : card('Merged without review', pct(f.merged_without_review.rate), f.merged_without_review.count + ' of ' + f.merged)
    ]);
    fill('ci', [
      card('Run duration', dur(ci.runs.duration.p50), 'median; p90 ' + dur(ci.runs.duration.p90) + '; ' + ci.runs.count + ' runs'),
      card('Job duration', dur(ci.jobs.duration.p50), 'median; p90 ' + dur(ci.jobs.duration.p90) + '; ' + ci.jobs.count + ' jobs'),
      card('Job queue time', dur(ci.jobs.queue.p50), 'median; p90 ' + dur(ci.jobs.queue.p90)),
      card('Failure / re-run rate', pct(ci.runs.failure_rate) + ' / ' + pct(ci.runs.rerun_rate), 'runs; jobs fail ' + pct(ci.jobs.failure_rate))
    ]);

    chart('c-deploys', { type: 'bar', data: { labels: weeks, datasets: [
      { label: 'deployments', data: s.weekly.map(function (w) { return w.deployments; }), backgroundColor: COLORS[0], yAxisID: 'y', order: 1 },
      { type: 'line', order: 0, label: 'change failure rate %', data: s.weekly.map(function (w) { return w.change_failure_rate === null ? null : w.change_failure_rate * 100; }), borderColor: COLORS[1], backgroundColor: COLORS[1], yAxisID: 'y1', spanGaps: true }
    ] }, options: { scales: axes('deployments', '%') } });
    chart('c-lead', { type: 'line', data: { labels: weeks, datasets: [
      { label: 'lead time p50 (h)', data: s.weekly.map(function (w) { return hours(w.lead_time_p50_ms); }), borderColor: COLORS[0], backgroundColor: COLORS[0], spanGaps: true },
      { label: 'time to restore p50 (h)', data: s.weekly.map(function (w) { return hours(w.time_to_restore_p50_ms); }), borderColor: COLORS[1], backgroundColor: COLORS[1], spanGaps: true }
    ] }, options: { scales: axes('hours') } });
    chart('c-prs', { type: 'bar', data: { labels: weeks, datasets: [
      { label: 'merged', data: s.weekly.map(function (w) { return w.prs_merged; }), backgroundColor: COLORS[2], yAxisID: 'y', order: 1 },
      { type: 'line', order: 0, label: 'cycle time p50 (h)', data: s.weekly.map(function (w) { return hours(w.cycle_time_p50_ms); }), borderColor: COLORS[4], backgroundColor: COLORS[4], yAxisID: 'y1', spanGaps: true }
    ] }, options: { scales: axes('pull requests', 'hours') } });
    var stages = ['coding', 'pickup', 'review', 'merge'];
    chart('c-stages', { type: 'bar', data: { labels: stages, datasets: [
      { label: 'p50', data: stages.map(function (k) { return hours(f.stages[k].p50); }), backgroundColor: COLORS[0] },
      { label: 'p90', data: stages.map(function (k) { return hours(f.stages[k].p90); }), backgroundColor: COLORS[5] }
    ] }, options: { scales: axes('hours') } });
    var buckets = Object.keys(f.size.buckets);
    chart('c-size', { type: 'bar', data: { labels: buckets.map(function (b) { return b + ' ' + SIZE_LABEL[b]; }), datasets: [
      { label: 'merged pull requests', data: buckets.map(function (b) { return f.size.buckets[b]; }), backgroundColor: COLORS[3] }
    ] }, options: { scales: axes('pull requests') } });
    chart('c-ci', { type: 'bar', data: { labels: weeks, datasets: [
      { label: 'runs', data: s.weekly.map(function (w) { return w.ci_runs; }), backgroundColor: COLORS[6], yAxisID: 'y', order: 1 },
      { type: 'line', order: 0, label: 'run p50 (min)', data: s.weekly.map(function (w) { return minutes(w.ci_run_p50_ms); }), borderColor: COLORS[0], backgroundColor: COLORS[0], yAxisID: 'y1', spanGaps: true },
      { type: 'line', order: 0, label: 'failure %', data: s.weekly.map(function (w) { return w.ci_failure_rate === null ? null : w.ci_failure_rate * 100; }), borderColor: COLORS[1], backgroundColor: COLORS[1], yAxisID: 'y1', spanGaps: true }
    ] }, options: { scales: axes('runs', 'minutes / %') } });
    chart('c-slowest', { type: 'bar', data: { labels: ci.slowest_workflows.map(function (w) { return w.repository.split('/').pop() + ' · ' + w.workflow.split('/').pop(); }), datasets: [
      { label: 'p50 (min)', data: ci.slowest_workflows.map(function (w) { return minutes(w.p50_ms); }), backgroundColor: COLORS[0] },
      { label: 'p90 (min)', data: ci.slowest_workflows.map(function (w) { return minutes(w.p90_ms); }), backgroundColor: COLORS[5] }
    ] }, options: { indexAxis: 'y', scales: { x: { beginAtZero: true, title: { display: true, text: 'minutes' } }, y: { ticks: { autoSkip: false, callback: function (v) { var l = this.getLabelForValue(v); return l.length > 38 ? l.slice(0, 37) + '…' : l; } } } } } });
    var conclusions = Object.keys(ci.jobs.by_conclusion);
    chart('c-conclusions', { type: 'doughnut', data: { labels: conclusions, datasets: [
      { data: conclusions.map(function (k) { return ci.jobs.by_conclusion[k]; }), backgroundColor: conclusions.map(function (k, i) { return CONCLUSION_COLORS[k] || COLORS[(i + 3) % COLORS.length]; }) }
    ] }, options: { interaction: { mode: 'nearest' }, plugins: { legend: { position: 'right' } } } });

    table('t-sources', ['source', 'runs', 'p50', 'p90', 'failure'], ci.by_source.map(function (r) {
      return [r.source, r.runs, dur(r.p50_ms), dur(r.p90_ms), pct(r.failure_rate)]; }), [0, 1, 1, 1, 1]);
    table('t-workflows', ['repository', 'workflow', 'runs', 'p50', 'p90', 'failure'], ci.slowest_workflows.map(function (w) {
      return [w.repository, w.workflow, w.runs, dur(w.p50_ms), dur(w.p90_ms), pct(w.failure_rate)]; }), [0, 0, 1, 1, 1, 1]);
    table('t-jobs', ['repository', 'workflow', 'job', 'jobs', 'p50', 'p90', 'failure'], ci.slowest_jobs.map(function (j) {
      return [j.repository, j.workflow, j.job, j.jobs, dur(j.p50_ms), dur(j.p90_ms), pct(j.failure_rate)]; }), [0, 0, 0, 1, 1, 1, 1]);
  }

  var SIZE_LABEL = { XS: '<10', S: '10–49', M: '50–249', L: '250–999', XL: '≥1000' };
  var CONCLUSION_COLORS = { success: '#1a7f37', failure: '#cf222e', cancelled: '#8c959f', skipped: '#d0d7de', timed_out: '#bc4c00' };

  function scopeTable(id, prefix) {
    var rows = Object.keys(data.scopes).filter(function (k) { return k.indexOf(prefix) === 0; }).map(function (k) {
      var s = data.scopes[k].summary, d = s.dora;
      return [k.slice(prefix.length), num(d.deployment_frequency.per_week), dur(d.lead_time_for_changes.p50), pct(d.change_failure_rate.rate), dur(d.time_to_restore.p50), s.flow.merged, dur(s.flow.cycle_time.p50), s.ci.runs.count, pct(s.ci.runs.failure_rate)];
    });
    table(id, [prefix === 'team:' ? 'team' : 'repository', 'deploys / week', 'lead time p50', 'CFR', 'restore p50', 'PRs merged', 'cycle p50', 'CI runs', 'CI failure'], rows, [0, 1, 1, 1, 1, 1, 1, 1, 1]);
  }

  var select = document.getElementById('scope');
  Object.keys(data.scopes).forEach(function (k) { var o = el('option', '', data.scopes[k].label); o.value = k; select.appendChild(o); });
  select.addEventListener('change', function () { render(select.value); });
  document.getElementById('subtitle').textContent = data.window.since.slice(0, 10) + ' → ' + new Date(Date.parse(data.window.until) - 1).toISOString().slice(0, 10) + ' · ' + data.window.days + ' days · ' + data.records.used + ' records (' + data.records.duplicates + ' duplicate files counted once, ' + data.records.invalid + ' invalid)';
  document.getElementById('footer').textContent = 'Bands: ' + data.settings.bands_source + '. Production environments: ' + data.settings.production_environments.join(', ') + '; change-failure window ' + data.settings.change_failure_window_hours + ' h. Generated ' + data.generated_at + '. Definitions: docs/REPORTS.md.';
  if (data.teams.length === 0) document.getElementById('teams-section').style.display = 'none';
  scopeTable('t-teams', 'team:');
  scopeTable('t-repos', 'repo:');
  if (data.senders.length === 0) document.getElementById('senders-section').style.display = 'none';
  table('t-senders', ['sender', 'last accepted', 'last refused', 'accepted 24 h', 'accepted 7 d', 'refused 24 h', 'refused 7 d', 'retracted', 'most frequent error'],
    data.senders.map(function (x) {
      return [x.sender, x.last_accepted_at || '–', x.last_refused ? x.last_refused.at + ' (' + x.last_refused.status + ' ' + x.last_refused.kind + ')' : '–',
        x.accepted.last_24h, x.accepted.last_7d, x.refused.last_24h, x.refused.last_7d, x.retracted.items,
        x.top_errors.length > 0 ? x.top_errors[0].error + ' (' + x.top_errors[0].count + ')' : '–'];
    }), [0, 0, 0, 1, 1, 1, 1, 1, 0]);
  render('all');
  document.body.setAttribute('data-rendered', 'true');
})();
`;
