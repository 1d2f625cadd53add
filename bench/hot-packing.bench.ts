import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { duckdbType, ENVELOPE_COLUMNS } from '../src/data/columns';
import { openDuck, sqlString } from '../src/data/duckdb';
import { HOT_ROOT } from '../src/data/layout';
import { loadRecordFiles, recordFilesIn } from '../src/data/record-files';
import { recordPath, serializeRecord } from '../src/pipeline/record';
import { factSql, REPORTED_METRICS } from '../src/report/facts';
import { REPORT_MEMORY_LIMIT } from '../src/report/report';
import { generateRecords } from './report-data';
import { round } from './stats';

/**
 * `npm run bench -- hot-packing`: what packaging the hot tier would save a report, measured before building
 * it. The hot part of `npm run bench -- report` (the reference mix's last 7 days of 10,000,000 records:
 * 777,777 records; `BENCH_HOT_PACKING_RECORDS` changes it) is written twice: as the store writes it today,
 * one file per record (`hot/<metric>/<yyyy>/<mm>/<dd>/<hhmm>/<id>.json`), and packed, one NDJSON file per
 * minute folder (`…/<hhmm>.ndjson`, the same lines). Each is then loaded into the struct the report parses a
 * record into (every metric's envelope and fact fields), alternately, twice: the files by the report's own
 * reader (src/data/record-files.ts), the packed files by DuckDB's `read_ndjson_objects`. Each load runs in
 * a fresh DuckDB at the report's memory limit; the page cache is warm for both (each was just written).
 */
const RECORDS = Number(process.env.BENCH_HOT_PACKING_RECORDS ?? 777_777);
const DAYS = 7;
const UNTIL = Date.parse('2026-11-01T00:00:00Z');

export async function run(): Promise<Record<string, unknown>> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-hot-packing-'));
  try {
    const files = join(dir, 'files');
    const packed = join(dir, 'packed');
    const made = new Set<string>();
    const folder = (path: string) => {
      if (made.has(path)) return;
      mkdirSync(path, { recursive: true });
      made.add(path);
    };
    const minutes = new Set<string>();
    const generated = generateRecords(RECORDS, UNTIL, DAYS, (record) => {
      const path = recordPath(record);
      const line = serializeRecord(record);
      folder(join(files, dirname(path)));
      writeFileSync(join(files, path), line);
      const minute = `${dirname(path)}.ndjson`;
      folder(join(packed, dirname(minute)));
      appendFileSync(join(packed, minute), line);
      minutes.add(minute);
    });
    execFileSync('sync');
    process.stdout.write(
      `wrote ${generated} records: as files, and packed in ${minutes.size} minute files\n`,
    );

    const loads: Record<'files' | 'packed', { seconds: number; cpu_s: number; records: number }[]> = {
      files: [],
      packed: [],
    };
    for (let round_ = 0; round_ < 2; round_++) {
      for (const how of ['files', 'packed'] as const) {
        const load = await loadAll(how === 'files' ? files : packed, how);
        loads[how].push(load);
        process.stdout.write(`${how}: ${load.records} records in ${load.seconds} s (${load.cpu_s} s CPU)\n`);
      }
    }
    const best = (how: 'files' | 'packed') => Math.min(...loads[how].map((l) => l.seconds));
    return {
      records: generated,
      record_files: generated,
      packed_files: minutes.size,
      loads,
      files_s: best('files'),
      packed_s: best('packed'),
      ratio: round(best('files') / best('packed'), 1),
      load_average_after: loadavg().map((l) => round(l, 2)),
      note: 'files_s / packed_s: the faster of two loads each (wall, warm page cache); cpu_s counts this process only (DuckDB threads included)',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Loads every metric's hot records under `root` into a struct table; seconds, CPU seconds, records. */
async function loadAll(
  root: string,
  how: 'files' | 'packed',
): Promise<{ seconds: number; cpu_s: number; records: number }> {
  const duck = await openDuck({ memoryLimit: REPORT_MEMORY_LIMIT });
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  let records = 0;
  try {
    await duck.run('SET preserve_insertion_order = false');
    for (const metric of REPORTED_METRICS) {
      const sql = factSql(metric, 'false');
      const type = duckdbType({ struct: { ...ENVELOPE_COLUMNS, output: { struct: sql.fields } } });
      await duck.run(`CREATE OR REPLACE TEMP TABLE loaded (filename VARCHAR, r ${type})`);
      const hot = join(root, HOT_ROOT, metric);
      if (!existsSync(hot)) continue;
      if (how === 'files') {
        // As the report reads them: day folder by day folder (`<yyyy>/<mm>/<dd>`), its minutes' files.
        await loadRecordFiles(duck, {
          target: 'loaded',
          type,
          paths: (function* () {
            for (const day of subfolders(hot, 3)) yield* recordFilesIn(day, 2);
          })(),
        });
      } else {
        const glob = join(hot, '*', '*', '*', '*.ndjson');
        await duck.run(
          `INSERT INTO loaded SELECT filename, TRY_CAST(json AS ${type})
           FROM read_ndjson_objects(${sqlString(glob)}, filename = true)`,
        );
      }
      const [row] = await duck.all('SELECT count(r.id) AS n FROM loaded');
      records += Number(row?.n ?? 0);
    }
  } finally {
    duck.close();
  }
  const used = process.cpuUsage(cpu);
  return {
    seconds: round(Number(process.hrtime.bigint() - started) / 1e9, 2),
    cpu_s: round((used.user + used.system) / 1e6, 2),
    records,
  };
}

/** The folders `depth` levels below `root`, sorted. */
function subfolders(root: string, depth: number): string[] {
  if (depth === 0) return [root];
  return readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .flatMap((name) => subfolders(join(root, name), depth - 1));
}
