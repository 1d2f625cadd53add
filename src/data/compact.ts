import { createHash } from 'node:crypto';
import { parquetReadObjects } from 'hyparquet';
import { compareStanding, serializeRecord, TOMBSTONE_ROOT } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import { OUTPUT_COLUMNS } from './columns';
import { HOT_ROOT, PACK_SUFFIX, PARTITION_ROOT, parseDataPath, partitionFolder, utcDay } from './layout';
import { packLines, parseHotRecord } from './packs';
import { writeParquet } from './parquet';
import { normalizeRecord, recordFromRow } from './rows';
import { zstdDecompressor } from './zstd';

/**
 * What compaction needs of a store: list, read, and replace files. `replaceFiles` adds every file of `add`
 * and then removes `remove` in order; a store that can do it in one step (one git commit) does, the
 * FileStore does it file by file (each write atomic), and `onStep` is called after each step so tests can
 * inject a crash between any two of them.
 */
export interface DataFiles {
  /** Every file below `prefix` (relative paths, sorted); empty when the folder does not exist. */
  listFiles(prefix: string): Promise<string[]>;
  readBytes(path: string): Promise<Uint8Array | undefined>;
  replaceFiles(
    add: ReadonlyMap<string, Uint8Array>,
    remove: readonly string[],
    options?: { message?: string; onStep?: (step: string) => void | Promise<void> },
  ): Promise<void>;
  /**
   * Hot records kept apart from these files (the GitHubRepoStore: one branch per UTC day of writing), whose
   * writing ended before `before`: compaction reads each whole, writes its records into partitions here,
   * then retires it. Absent: hot records are among these files (the FileStore).
   */
  hotTiers?(before: Date): Promise<HotTier[]>;
}

/** One closed set of hot records held apart from the partitions (a day's hot branch). */
export interface HotTier {
  /** For logs: the branch. */
  name: string;
  /** Its files below `prefix`, as they were when the tier was listed. */
  listFiles(prefix: string): Promise<string[]>;
  readBytes(path: string): Promise<Uint8Array | undefined>;
  /**
   * Removes the tier, once every record of it is in a partition. False when it changed since it was listed
   * (it is kept, and the next run compacts it again).
   */
  retire(): Promise<boolean>;
}

export interface CompactOptions {
  /** Days that ended at or before this instant are compacted. */
  before: Date;
  /** Called after each write or removal (fault injection in tests). */
  onStep?: (step: string) => void | Promise<void>;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface CompactResult {
  /** Metric days written (or rewritten with late records). */
  days: number;
  /** Records in the days written. */
  records: number;
  /** Parquet files written. */
  files_written: number;
  /** Hot packs, hot files written before packs and first-layout files moved into partitions (index entries, removed with them, are not counted). */
  sources_removed: number;
  /**
   * Hot files that are not a valid record, and pack lines (`<pack>:<line>`) that are not: left in place,
   * listed here. A pack with such a line is kept whole (its valid records are compacted all the same, and
   * read from both places, one per id, until someone repairs or removes the pack): removing it would lose
   * the line, keeping it loses nothing.
   */
  skipped: string[];
  /** Hot tiers (hot branches) whose records are all in partitions now, removed. */
  hot_tiers_retired: number;
}

interface Unit {
  metric: string;
  day: string;
  /** Hot packs, hot files written before packs, first-layout files: removed once in a partition. */
  sources: string[];
  /** The day's index entries: never read, removed last (see `compact`). */
  indexes: string[];
  /** Hot records of hot tiers: read from there, never removed here (the whole tier is retired). */
  tiered: { tier: HotTier; path: string }[];
  /** Records read from first-layout month files, already bucketed to this day. */
  legacy: MetricRecord<unknown>[];
}

/**
 * Turns closed UTC days of hot records into Parquet partitions, one metric and day at a time:
 *
 * 1. read the day's hot records (every line of its packs, hot files written before packs) and the day's
 *    partition files (if an earlier run wrote them: a late record is merged into its day at the next run),
 *    keep one record per id ("better record wins": a record made better later is in two packs);
 * 2. name the new files by a hash of their content (the generation), so a rerun computes the same names;
 * 3. write them, then remove the day's older generation, then the packs and hot files, then the day's index
 *    entries (never read: they only tell the stores what exists);
 * 4. when hot records live apart (`hotTiers`), retire each closed tier once all its days are written.
 *
 * A crash between any two steps leaves records that are all still readable and each id's best record
 * present (readers deduplicate by id meanwhile); the next run finishes the day. Running it twice changes
 * nothing the second time.
 */
export async function compact(files: DataFiles, options: CompactOptions): Promise<CompactResult> {
  const result: CompactResult = {
    days: 0,
    records: 0,
    files_written: 0,
    sources_removed: 0,
    skipped: [],
    hot_tiers_retired: 0,
  };
  const cutoff = options.before.getTime();
  const units = new Map<string, Unit>();
  const unit = (metric: string, day: string): Unit => {
    const key = `${metric}|${day}`;
    let found = units.get(key);
    if (!found) {
      found = { metric, day, sources: [], indexes: [], tiered: [], legacy: [] };
      units.set(key, found);
    }
    return found;
  };
  const closed = (day: string) => Date.parse(`${day}T00:00:00Z`) + 86_400_000 <= cutoff;

  for (const path of await files.listFiles(HOT_ROOT)) {
    const where = parseDataPath(path);
    if (!where?.day || !OUTPUT_COLUMNS[where.metric] || !closed(where.day)) continue;
    if (where.kind === 'hot' || where.kind === 'pack') unit(where.metric, where.day).sources.push(path);
    else if (where.kind === 'index') unit(where.metric, where.day).indexes.push(path);
  }
  // A closed hot tier moves over whole, whatever day its records occurred on: it is removed afterwards.
  const tiers = (await files.hotTiers?.(options.before)) ?? [];
  const spoiled = new Set<HotTier>();
  for (const tier of tiers) {
    for (const path of await tier.listFiles(HOT_ROOT)) {
      const where = parseDataPath(path);
      // Index entries go with the tier.
      if (where?.kind === 'index' && OUTPUT_COLUMNS[where.metric]) continue;
      if ((where?.kind !== 'hot' && where?.kind !== 'pack') || !where.day || !OUTPUT_COLUMNS[where.metric]) {
        result.skipped.push(`${tier.name}:${path}`);
        spoiled.add(tier);
        continue;
      }
      unit(where.metric, where.day).tiered.push({ tier, path });
    }
  }
  // Records of the first layout (<metric>/<owner>/<repo>/<yyyy>/<mm>/): whole closed months move over.
  for (const metric of Object.keys(OUTPUT_COLUMNS)) {
    for (const path of await files.listFiles(metric)) {
      const where = parseDataPath(path);
      if (where?.kind !== 'legacy' || !where.month) continue;
      const [yyyy, mm] = where.month.split('-').map(Number) as [number, number];
      if (Date.UTC(yyyy, mm, 1) > cutoff) continue;
      const record = parseRecord(await files.readBytes(path), metric);
      if (!record) {
        result.skipped.push(path);
        continue;
      }
      const { yyyy: y, mm: m, dd } = utcDay(record.occurred_at);
      const target = unit(metric, `${y}-${m}-${dd}`);
      target.sources.push(path);
      target.legacy.push(record);
    }
  }
  // A day whose folder holds two generations (a run stopped between writing and removing) is finished too.
  const partitions = new Map<string, string[]>();
  for (const path of await files.listFiles(PARTITION_ROOT)) {
    const where = parseDataPath(path);
    if (where?.kind !== 'partition' || !where.day) continue;
    const key = `${where.metric}|${where.day}`;
    partitions.set(key, [...(partitions.get(key) ?? []), path]);
  }
  for (const [key, paths] of partitions) {
    if (new Set(paths.map(generationOf)).size > 1) {
      const [metric, day] = key.split('|') as [string, string];
      unit(metric, day);
    }
  }

  // Ids a sender retracted (tombstones, docs/DATA.md) never go into a partition: a tombstone beats every
  // version of its id, and it stays under tombstones/ as the audit trail.
  const retracted = new Set<string>();
  for (const path of await files.listFiles(TOMBSTONE_ROOT)) {
    if (!path.endsWith('.json')) continue;
    try {
      const bytes = await files.readBytes(path);
      if (!bytes) continue;
      const tombstone = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<MetricRecord>;
      if (tombstone.status === 'retracted' && typeof tombstone.id === 'string') retracted.add(tombstone.id);
    } catch {
      result.skipped.push(path);
    }
  }

  for (const key of [...units.keys()].sort()) {
    const day = units.get(key) as Unit;
    const existing = partitions.get(key) ?? [];
    const best = new Map<string, MetricRecord<unknown>>();
    const offer = (record: MetricRecord<unknown>) => {
      if (retracted.has(record.id)) return;
      const seen = best.get(record.id);
      if (!seen || compareStanding(record, seen) > 0) best.set(record.id, record);
    };
    for (const path of existing) for (const record of await readPartition(files, path)) offer(record);
    for (const record of day.legacy) offer(record);
    const consumed: string[] = [];
    for (const path of day.sources) {
      if (!path.startsWith(`${HOT_ROOT}/`)) {
        consumed.push(path);
        continue;
      }
      const read = parseRecords(path, await files.readBytes(path), day.metric);
      read.records.forEach(offer);
      if (read.invalid.length > 0) {
        result.skipped.push(...read.invalid);
        continue;
      }
      consumed.push(path);
    }
    for (const { tier, path } of day.tiered) {
      const read = parseRecords(path, await tier.readBytes(path), day.metric);
      read.records.forEach(offer);
      if (read.invalid.length > 0) {
        result.skipped.push(...read.invalid.map((where) => `${tier.name}:${where}`));
        spoiled.add(tier);
      }
    }
    if (best.size === 0) {
      // Nothing of the day to keep: every record of it was retracted (their tombstones stay, and win over
      // any copy, so the order of the removals does not matter to readers), or a run stopped after removing
      // the packs and left index entries. Its partition files, packs and index entries go (packs before
      // entries, as below); the entries stay while a pack that is not all records stays.
      const remove = [
        ...existing,
        ...consumed,
        ...(consumed.length === day.sources.length ? day.indexes : []),
      ];
      if (remove.length > 0) {
        await files.replaceFiles(new Map(), remove, {
          message: `compact ${day.metric} ${day.day}: nothing left to keep`,
          ...(options.onStep ? { onStep: options.onStep } : {}),
        });
        result.sources_removed += consumed.length;
      }
      continue;
    }
    const records = [...best.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    const generation = createHash('sha256')
      .update(records.map((r) => serializeRecord(r)).join(''))
      .digest('hex')
      .slice(0, 16);
    const folder = partitionFolder(day.metric, day.day);
    // The writer is deterministic: a rerun after a crash re-creates exactly the parts still missing.
    const add = new Map<string, Uint8Array>();
    const parts = await writeParquet(day.metric, records);
    parts.forEach((bytes, i) => {
      const path = `${folder}/${generation}-${String(i).padStart(3, '0')}.parquet`;
      if (!existing.includes(path)) add.set(path, bytes);
    });
    // Index entries last. Once the partition files exist every record is readable from them, so any order of
    // the removals is safe for readers; the order matters to the stores, which take an index entry for "this
    // record is stored". Packs before their index entries: a crash in between leaves entries without packs,
    // and a resend of one of those records is then "unchanged" and not written again, which is right, as the
    // record is in the partition (the next run removes the entries). The other order would have a resend
    // written again as a new hot record, for the next run to merge back into the same partition.
    const remove = [
      ...existing.filter((path) => generationOf(path) !== generation),
      ...consumed,
      ...day.indexes,
    ];
    if (add.size === 0 && remove.length === 0) continue;
    await files.replaceFiles(add, remove, {
      message: `compact ${day.metric} ${day.day}: ${records.length} records`,
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
    result.days += 1;
    result.records += records.length;
    result.files_written += add.size;
    result.sources_removed += consumed.length + day.tiered.length;
    options.log?.('compacted a day', { metric: day.metric, day: day.day, records: records.length });
  }
  // Every record of these tiers is in a partition now (readers deduplicate by id until the tier is gone).
  for (const tier of tiers) {
    if (spoiled.has(tier)) {
      options.log?.('hot tier kept: it holds files that are not records', { tier: tier.name });
      continue;
    }
    if (await tier.retire()) {
      result.hot_tiers_retired += 1;
      await options.onStep?.(`retire ${tier.name}`);
    } else options.log?.('hot tier kept: it changed while compacting', { tier: tier.name });
  }
  return result;
}

function generationOf(path: string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return name.slice(0, name.indexOf('-'));
}

/**
 * The records of a hot file (`<pack>.ndjson`: every line; a hot or first-layout `.json` file: the whole
 * file), each as `parseRecord` gives it, and where a record is not valid (`<path>` or `<pack>:<line>`).
 */
function parseRecords(
  path: string,
  bytes: Uint8Array | undefined,
  metric: string,
): { records: MetricRecord<unknown>[]; invalid: string[] } {
  if (!path.endsWith(PACK_SUFFIX)) {
    const record = parseRecord(bytes, metric);
    return record ? { records: [record], invalid: [] } : { records: [], invalid: [path] };
  }
  if (!bytes) return { records: [], invalid: [path] };
  const out = { records: [] as MetricRecord<unknown>[], invalid: [] as string[] };
  for (const line of packLines(Buffer.from(bytes).toString('utf8'))) {
    const record = parseRecord(Buffer.from(line.text), metric);
    if (record) out.records.push(record);
    else out.invalid.push(`${path}:${line.line}`);
  }
  return out;
}

/**
 * A record file's record as a partition would give it back (times in milliseconds, so a rerun hashes the
 * same generation), or undefined when it is not a record of `metric` that fits the metric's columns: such
 * a file stays where it is (the report lists it as invalid) rather than being half-kept.
 */
function parseRecord(bytes: Uint8Array | undefined, metric: string): MetricRecord<unknown> | undefined {
  if (!bytes) return undefined;
  const record = parseHotRecord(Buffer.from(bytes).toString('utf8'));
  if (record?.metric !== metric) return undefined;
  try {
    return normalizeRecord(record);
  } catch {
    return undefined;
  }
}

/** The records of one partition file, read in JS (hyparquet): compaction never needs DuckDB. */
export async function readPartition(files: DataFiles, path: string): Promise<MetricRecord<unknown>[]> {
  const bytes = await files.readBytes(path);
  if (!bytes) return [];
  const decompress = await zstdDecompressor();
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = (await parquetReadObjects({ file, compressors: { ZSTD: decompress } })) as Record<
    string,
    unknown
  >[];
  return rows.map((row) => recordFromRow(row, 'parsed'));
}
