import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'telemetry-report-bench-'));
  try {
    const generated = Date.now();
    const records = generateDataDir(join(dir, 'data'), RECORDS, UNTIL);
    process.stdout.write(`generated ${records} records in ${round((Date.now() - generated) / 1000, 1)} s\n`);

    const perFormat: Record<string, { seconds: number; peak_rss_mb: number; output_bytes: number }> = {};
    for (const format of FORMATS) {
      const out = join(dir, `report.${format}`);
      const rssFile = join(dir, `rss-${format}`);
      const started = process.hrtime.bigint();
      await child(
        [
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
        ],
        { BENCH_MAX_RSS_FILE: rssFile },
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const peakKb = Number(await readFile(rssFile, 'utf8'));
      perFormat[format] = {
        seconds: round(seconds, 2),
        peak_rss_mb: round(peakKb / 1024, 1),
        output_bytes: (await stat(out)).size,
      };
      process.stdout.write(
        `${format}: ${perFormat[format]?.seconds} s, ${perFormat[format]?.peak_rss_mb} MB\n`,
      );
    }
    const runs = Object.values(perFormat);
    const report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')) as {
      records: { files: number; used: number };
    };
    return {
      records,
      mix: Object.fromEntries(MIX),
      files_read: report.records.files,
      records_used: report.records.used,
      seconds: Math.max(...runs.map((r) => r.seconds)),
      peak_rss_mb: Math.max(...runs.map((r) => r.peak_rss_mb)),
      per_format: perFormat,
      targets: { seconds: 10, peak_rss_mb: 1024 },
      within_targets: runs.every((r) => r.seconds <= 10 && r.peak_rss_mb <= 1024),
      note: 'seconds and peak_rss_mb: the slowest / largest single `telemetry report` run (one per format), start-up included',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function child(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    process_.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    process_.on('error', reject);
    process_.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`telemetry report exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}
