import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { duckdbType, ENVELOPE_COLUMNS } from '../src/data/columns';
import { openDuck } from '../src/data/duckdb';
import { HOT_ROOT, hotFolder, safeSegment, timeSlot, utcDay } from '../src/data/layout';
import { packRecords } from '../src/data/packs';
import { loadRecordFiles, recordFilesIn } from '../src/data/record-files';
import { serializeRecord } from '../src/pipeline/record';
import type { MetricRecord } from '../src/pipeline/types';
import { factSql, REPORTED_METRICS } from '../src/report/facts';
import { REPORT_MEMORY_LIMIT } from '../src/report/report';
import { generateRecords } from './report-data';
import { round } from './stats';

/**
 * `npm run bench -- hot-packing`: what packing the hot tier saves a report. The hot part of
 * `npm run bench -- report` (the reference mix's last 7 days of 10,000,000 records: 777,777 records;
 * `BENCH_HOT_PACKING_RECORDS` changes it) is written twice: as the stores wrote it before packs, one file per
 * record (`hot/<metric>/<yyyy>/<mm>/<dd>/<hhmm>/<id>.json`), and as they write it now, in packs
 * (`hot/<metric>/<yyyy>/<mm>/<dd>/<hh>/<hash>.ndjson`, `packRecords` over writes of `WRITE` records of an
 * hour folder; index entries are not written, no reader opens them). Each is then loaded into the struct
 * the report parses a record into (every metric's envelope and fact fields) by the report's own reader
 * (src/data/record-files.ts: day folder by day folder, packs split into lines by DuckDB), alternately,
 * twice. Each load runs in a fresh DuckDB at the report's memory limit; the page cache is warm for both
 * (each was just written).
 */
const RECORDS = Number(process.env.BENCH_HOT_PACKING_RECORDS ?? 777_777);
const DAYS = 7;
const UNTIL = Date.parse('2026-11-01T00:00:00Z');
/**
 * Records of one hour folder per write (`BENCH_HOT_PACKING_WRITE`): 32 gives about as many packs as the
 * first measurement's minute files (777,778 records in 24,453 files). Fewer records per write means more,
 * smaller packs (about 70 writes an hour of one metric: docs/DATA.md, "Layout").
 */
const WRITE = Number(process.env.BENCH_HOT_PACKING_WRITE ?? 32);

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
    let packs = 0;
    // A write's records fall in one or two hour folders (a worker batch spans about a minute of
    // `occurred_at`), so records are gathered by hour folder and packed `WRITE` at a time, as a store packs
    // one write's records of a folder.
    const pending = new Map<string, MetricRecord[]>();
    const flush = (records: MetricRecord[]) => {
      for (const pack of packRecords(records)) {
        folder(join(packed, dirname(pack.path)));
        writeFileSync(join(packed, pack.path), pack.content);
        packs += 1;
      }
    };
    const generated = generateRecords(RECORDS, UNTIL, DAYS, (record) => {
      // The per-record path of the stores before packs.
      const { yyyy, mm, dd } = utcDay(record.occurred_at);
      const minute = [HOT_ROOT, safeSegment(record.metric), yyyy, mm, dd, timeSlot(record.occurred_at)].join(
        '/',
      );
      folder(join(files, minute));
      writeFileSync(join(files, minute, `${safeSegment(record.id)}.json`), serializeRecord(record));
      const hour = hotFolder(record);
      const batch = pending.get(hour) ?? [];
      batch.push(record as MetricRecord);
      pending.set(hour, batch);
      if (batch.length === WRITE) {
        flush(batch);
        pending.delete(hour);
      }
    });
    for (const batch of pending.values()) flush(batch);
    execFileSync('sync');
    process.stdout.write(`wrote ${generated} records: as files, and in ${packs} packs\n`);

    const loads: Record<'files' | 'packed', { seconds: number; cpu_s: number; records: number }[]> = {
      files: [],
      packed: [],
    };
    for (let round_ = 0; round_ < 2; round_++) {
      for (const how of ['files', 'packed'] as const) {
        const load = await loadAll(how === 'files' ? files : packed);
        loads[how].push(load);
        process.stdout.write(`${how}: ${load.records} records in ${load.seconds} s (${load.cpu_s} s CPU)\n`);
      }
    }
    const best = (how: 'files' | 'packed') => Math.min(...loads[how].map((l) => l.seconds));
    return {
      records: generated,
      record_files: generated,
      packed_files: packs,
      records_per_write: WRITE,
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
async function loadAll(root: string): Promise<{ seconds: number; cpu_s: number; records: number }> {
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
      // As the report reads them: day folder by day folder (`<yyyy>/<mm>/<dd>`), the record files and packs
      // of its minute and hour folders.
      await loadRecordFiles(duck, {
        target: 'loaded',
        type,
        paths: (function* () {
          for (const day of subfolders(hot, 3)) yield* recordFilesIn(day, 2);
        })(),
      });
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
