/**
 * The data repository's folder layout (docs/DATA.md, "Layout"). No folder ever holds more than 3,000
 * entries (GitHub's recommendation) at the volumes below:
 *
 * - hot records, until compaction, by `occurred_at` (UTC) in hour folders `hot/<metric>/<yyyy>/<mm>/<dd>/<hh>/`:
 *   **packs** `<hh>/<hash>.ndjson` hold the records, one per line (the records of one write that fall in
 *   this hour, named by a hash of their content, each below `PACK_MAX_BYTES`), and **index entries**
 *   `<hh>/<mm>/<id>.idx`, one per record id in the record's minute folder, hold its standing: what "better
 *   record wins" compares, and how the stores know what exists without reading a pack. A record made better
 *   later is in two packs; readers keep the best per id (src/data/packs.ts). Packs per hour rather than per
 *   minute: the worker's batches (5 pollers, 300 s windows) put about 5 writes into every minute of a busy
 *   metric, so minute packs would hold a handful of records each. An hour folder holds 60 minute folders
 *   and its packs: the GitHubRepoStore's are bounded by its commits (a pack per commit touching the hour,
 *   about 70 an hour at the default settings, a few hundred at the write budget); the FileStore writes a
 *   pack per write (nearly one per event under `telemetry serve`) and merges an hour's packs once it holds
 *   more than `PACK_MERGE_ABOVE` (256, src/store/file-store.ts), and into as few as their size allows once
 *   the hour has closed and settled (`HOUR_SETTLE_MS`, for the readers); a minute folder reaches 3,000 index
 *   entries only at 180,000 records an hour of one metric, beyond what GitHub's write budget lets any store
 *   commit (about 150,000 records an hour: docs/ARCHITECTURE.md), so no folder the store writes can pass
 *   the limit. Time folders rather than hash
 *   shards keep a batch's records together: a batch of 1,000 at 100,000 events an hour spans about 36 s of
 *   `occurred_at`, so the GitHubRepoStore lists one or two folders per metric and batch to know what exists;
 * - hot records written before packs (`<dd>/<hhmm>/<id>.json`, one record per file) are still read, and
 *   compaction moves them into partitions like packs;
 * - partitions: `parquet/<metric>/year=<yyyy>/month=<mm>/day=<dd>/<generation>-<nnn>.parquet`, one set of
 *   files per metric and closed UTC day (Hive-style folders, so DuckDB, Athena and Glue read the keys), each
 *   file below 1 MB;
 * - records of the first layout (`<metric>/<owner>/<repo>/<yyyy>/<mm>/<id>.json`) are still read, and
 *   compaction moves them into partitions;
 * - `_`-prefixed folders hold collector state (`_state/`, `_dead-letter/`), never records.
 */
export const HOT_ROOT = 'hot';
export const PARTITION_ROOT = 'parquet';

// A path segment that cannot climb out of the data directory or hide as a dot-file.
const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$/;

/** Replaces anything unsafe in a name so it is usable as one directory name. */
export function safeSegment(value: string): string {
  if (SAFE_SEGMENT.test(value)) return value;
  const cleaned = value
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^[.-]+/, '_')
    .slice(0, 100);
  return cleaned.length > 0 ? cleaned : '_';
}

/** `yyyy`, `mm`, `dd` of an ISO time, in UTC. */
export function utcDay(iso: string): { yyyy: string; mm: string; dd: string } {
  const when = new Date(iso);
  return {
    yyyy: String(when.getUTCFullYear()).padStart(4, '0'),
    mm: String(when.getUTCMonth() + 1).padStart(2, '0'),
    dd: String(when.getUTCDate()).padStart(2, '0'),
  };
}

/** The minute of an ISO time, in UTC: `0842` for 08:42:00–08:42:59. */
export function timeSlot(iso: string): string {
  const when = new Date(iso);
  return `${String(when.getUTCHours()).padStart(2, '0')}${String(when.getUTCMinutes()).padStart(2, '0')}`;
}

/** A pack of hot records: one record per line (NDJSON). */
export const PACK_SUFFIX = '.ndjson';
/** An index entry: one per stored hot record id, holding the record's standing. */
export const INDEX_SUFFIX = '.idx';

/** `hot/<metric>/<yyyy>/<mm>/<dd>/<hh>`: the hour folder of a hot record (its packs), relative to the data root. */
export function hotFolder(record: { metric: string; occurred_at: string }): string {
  const { yyyy, mm, dd } = utcDay(record.occurred_at);
  const hh = String(new Date(record.occurred_at).getUTCHours()).padStart(2, '0');
  return [HOT_ROOT, safeSegment(record.metric), yyyy, mm, dd, hh].join('/');
}

/** When the hour of an hour folder (`hot/<metric>/<yyyy>/<mm>/<dd>/<hh>`) ends, in ms; undefined for another path. */
export function hourFolderEnd(folder: string): number | undefined {
  const match = /^hot\/[^/]+\/(\d{4})\/(\d\d)\/(\d\d)\/(\d\d)$/.exec(folder);
  if (!match) return undefined;
  const [, yyyy, mm, dd, hh] = match.map(Number) as number[];
  return Date.UTC(yyyy as number, (mm as number) - 1, dd, (hh as number) + 1);
}

/** `hot/<metric>/<yyyy>/<mm>/<dd>/<hh>/<mm>/<id>.idx`: a hot record's index entry, in its minute folder. */
export function hotIndexPath(record: { id: string; metric: string; occurred_at: string }): string {
  const minute = String(new Date(record.occurred_at).getUTCMinutes()).padStart(2, '0');
  return `${hotFolder(record)}/${minute}/${safeSegment(record.id)}${INDEX_SUFFIX}`;
}

/** The folder of one metric's partition files for one UTC day (`yyyy-mm-dd`). */
export function partitionFolder(metric: string, day: string): string {
  const [yyyy, mm, dd] = day.split('-');
  return [PARTITION_ROOT, safeSegment(metric), `year=${yyyy}`, `month=${mm}`, `day=${dd}`].join('/');
}

/**
 * What a data file is and where it belongs: metric and UTC day (month for the first layout), or undefined.
 * Hot files: `pack` (`<dd>/<hh>/<hash>.ndjson`, records), `index` (`<dd>/<hh>/<mm>/<id>.idx`, no records),
 * `hot` (`<dd>/<hhmm>/<id>.json`, one record per file, written before packs).
 */
export function parseDataPath(
  path: string,
):
  | { kind: 'hot' | 'pack' | 'index' | 'partition' | 'legacy'; metric: string; day?: string; month?: string }
  | undefined {
  const parts = path.split('/');
  const name = parts[parts.length - 1] ?? '';
  if (parts[0] === HOT_ROOT && !name.startsWith('.')) {
    const kind =
      parts.length === 7 && name.endsWith(PACK_SUFFIX)
        ? 'pack'
        : parts.length === 8 && name.endsWith(INDEX_SUFFIX)
          ? 'index'
          : parts.length === 7 && name.endsWith('.json')
            ? 'hot'
            : undefined;
    if (kind) return { kind, metric: parts[1] as string, day: `${parts[2]}-${parts[3]}-${parts[4]}` };
  }
  if (parts[0] === PARTITION_ROOT && parts.length === 6 && parts[5]?.endsWith('.parquet')) {
    const value = (segment: string | undefined) => segment?.split('=')[1];
    return {
      kind: 'partition',
      metric: parts[1] as string,
      day: `${value(parts[2])}-${value(parts[3])}-${value(parts[4])}`,
    };
  }
  if (
    parts.length === 6 &&
    parts[5]?.endsWith('.json') &&
    /^\d{4}$/.test(parts[3] ?? '') &&
    /^\d\d$/.test(parts[4] ?? '')
  ) {
    return { kind: 'legacy', metric: parts[0] as string, month: `${parts[3]}-${parts[4]}` };
  }
  return undefined;
}
