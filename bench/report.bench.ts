import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FORMATS } from '../src/report/format';
import { generateDataDir, MIX } from './report-data';
import { round } from './stats';

/**
 * `npm run bench -- report`: generates a data directory of 100,000 records (bench/report-data.ts: 40
 * repositories, 90 days, a realistic mix), then runs `telemetry report` over it once per format, each in its
 * own child process (the real CLI through tsx, start-up included), so wall time and peak RSS are the
 * command's own. Targets: ≤ 10 s and ≤ 1 GB per run.
 */
const RECORDS = 100_000;
const UNTIL = Date.parse('2026-11-01T00:00:00Z');
const ROOT = join(__dirname, '..');

interface Run {
  seconds: number;
  peak_rss_mb: number;
  output_bytes: number;
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'telemetry-report-bench-'));
  try {
    const generated = Date.now();
    const records = generateDataDir(join(dir, 'data'), RECORDS, UNTIL);
    process.stdout.write(`generated ${records} records in ${round((Date.now() - generated) / 1000, 1)} s\n`);

    // Flush the generated files, then one run reported on its own (first_run_seconds): the generator's
    // writes are still being written back and the page cache holds what other processes left. The
    // per-format runs that follow measure the report itself.
    execFileSync('sync');
    const first = await timed(dir, 'json', 'first');
    process.stdout.write(`first run (json): ${first.seconds} s, ${first.peak_rss_mb} MB\n`);

    const perFormat: Record<string, Run> = {};
    for (const format of FORMATS) {
      const result = await timed(dir, format, format);
      perFormat[format] = result;
      process.stdout.write(`${format}: ${result.seconds} s, ${result.peak_rss_mb} MB\n`);
    }
    const runs = Object.values(perFormat);
    const report = JSON.parse(await readFile(join(dir, 'report-json.out'), 'utf8')) as {
      records: { files: number; used: number };
    };
    return {
      records,
      mix: Object.fromEntries(MIX),
      files_read: report.records.files,
      records_used: report.records.used,
      seconds: Math.max(...runs.map((r) => r.seconds)),
      peak_rss_mb: Math.max(...runs.map((r) => r.peak_rss_mb)),
      first_run_seconds: first.seconds,
      per_format: perFormat,
      targets: { seconds: 10, peak_rss_mb: 1024 },
      within_targets: runs.every((r) => r.seconds <= 10 && r.peak_rss_mb <= 1024),
      load_average_after: loadavg().map((l) => round(l, 2)),
      note: 'seconds / peak_rss_mb: the slowest / largest `telemetry report` run of the four formats (after the first run), start-up included; the machine (2 cores) is shared, see load_average_after',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One `telemetry report` in its own process: wall time, its own peak RSS, the output's size. */
async function timed(dir: string, format: string, name: string): Promise<Run> {
  const out = join(dir, `report-${name}.out`);
  const rssFile = join(dir, `rss-${name}`);
  const args = [
    '-r',
    join(__dirname, 'support', 'max-rss.cjs'),
    join(ROOT, 'bin', 'telemetry-cli.cjs'),
    'report',
    '--data',
    join(dir, 'data'),
    '--since',
    '90d',
    '--until',
    '2026-10-31',
    '--format',
    format,
    '--out',
    out,
  ];
  const started = process.hrtime.bigint();
  await child(args, { BENCH_MAX_RSS_FILE: rssFile });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const peakKb = Number(await readFile(rssFile, 'utf8'));
  return {
    seconds: round(seconds, 2),
    peak_rss_mb: round(peakKb / 1024, 1),
    output_bytes: (await stat(out)).size,
  };
}

function child(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    proc.on('error', reject);
    proc.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`telemetry report exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}
