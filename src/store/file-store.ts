import { randomBytes } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import type { DataFiles } from '../data/compact';
import { HOT_ROOT, hotFolder, hourFolderEnd, PACK_SUFFIX } from '../data/layout';
import { indexEntryContent, packLines, packRecords, parseHotRecord } from '../data/packs';
import {
  compareStanding,
  isBetter,
  recordPath,
  type Standing,
  serializeRecord,
  standingOf,
} from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import type { Store, WriteResult } from './types';

/**
 * An hour folder holding more packs than this after a write gets them merged into as few packs as their
 * size allows (`PACK_MAX_BYTES` each). The local server stores nearly every event by a write of its own,
 * so a pack each: without merging, a metric at 3,000 events an hour would pass GitHub's 3,000 entries per
 * folder. 256: a merge re-reads and rewrites the whole hour, so it comes once per 256 writes into the hour
 * (at 3,000 events an hour about every 5 minutes: spread over the writes, under 1/256 of the hour re-read
 * per write), while the folder stays far below 3,000 entries (256 packs, the writes in flight, the merged
 * packs and 60 minute folders) and a reader opens at most a few hundred small files per hour (~7 µs each).
 */
export const PACK_MERGE_ABOVE = 256;

/**
 * An hour folder whose hour has ended and that no write has touched for this long gets its packs merged,
 * however few: a closed hour is read by every report and query until compaction, and a reader pays per
 * file (DuckDB's JSON reader about 48 µs a pack, `npm run bench -- report`: a busy week's 64,078 packs of
 * 12 records took 1.7 s longer to report on than the same records in 2,271 packs). Ten minutes: the worker
 * hands an hour's last records to the store within its batching window (300 s) of their arrival, so an
 * hour is merged once, soon after it closes; a late record (a redelivery, a backfill) adds a pack, and the
 * hour is merged again once writes leave it alone for as long.
 */
export const HOUR_SETTLE_MS = 10 * 60_000;

/**
 * Days back (from the store's clock) whose hour folders a store looks at when it starts writing, to merge
 * the closed hours an earlier process left unmerged: compaction takes a day two days after it ends
 * (`data.compactGraceHours`, 48), so the hot tier holds the last three days.
 */
const UNSETTLED_DAYS_AT_START = 3;

export interface FileStoreOptions {
  /** Merge an hour folder's packs when it holds more than this many (default `PACK_MERGE_ABOVE`). */
  mergePacksAbove?: number;
  /** Merge a closed hour folder's packs once no write has touched it for this long (default `HOUR_SETTLE_MS`). */
  settleMs?: number;
  /** The store's clock (default `Date.now`): when an hour has closed and settled. */
  now?: () => number;
  /** Called after each step of a merge (`write <pack>`, `remove <pack>`), so tests can stop it there. */
  onMergeStep?: (step: string) => void | Promise<void>;
}

/**
 * The embedded default store: a local directory with the data repository's layout. Each file is written to
 * a temporary name in the same directory and renamed into place, so a reader (or a crash) never sees half
 * a record.
 */
export class FileStore implements Store, DataFiles {
  readonly root: string;
  private readonly mergePacksAbove: number;
  private readonly onMergeStep: FileStoreOptions['onMergeStep'];
  /**
   * The merge of each hour folder running or waiting, chained: writes run concurrently (the local server
   * runs four batches at once in this process, `write` does not serialize them), but merges of one folder
   * run one after another, so two never read and rewrite the same packs at once (a merge also removes only
   * packs it has read, after writing their records: a pack written meanwhile stays). One FileStore per data
   * directory, as the server and the CLI create it; nothing here coordinates two processes writing one
   * directory.
   */
  private readonly merges = new Map<string, Promise<void>>();
  private readonly settleMs: number;
  private readonly now: () => number;
  /**
   * Hour folders this store wrote packs into (or found when it started writing) that have not been merged
   * since, with when a write last touched them: merged once their hour has closed and they have settled
   * (`HOUR_SETTLE_MS`).
   */
  private readonly unsettled = new Map<string, number>();
  private startedWriting = false;

  constructor(root: string, options: FileStoreOptions = {}) {
    this.root = resolve(root);
    this.mergePacksAbove = options.mergePacksAbove ?? PACK_MERGE_ABOVE;
    this.onMergeStep = options.onMergeStep;
    this.settleMs = options.settleMs ?? HOUR_SETTLE_MS;
    this.now = options.now ?? Date.now;
  }

  async write(records: readonly MetricRecord[]): Promise<WriteResult> {
    const result: WriteResult = { written: [], unchanged: [] };
    // Last one wins within a batch for the same id only if it is better, same rule as against the disk.
    const byPath = new Map<string, MetricRecord>();
    for (const record of records) {
      const path = recordPath(record);
      const seen = byPath.get(path);
      if (!seen || isBetter(record, seen)) byPath.set(path, record);
      else if (seen !== record) result.unchanged.push(record.id);
    }
    const wanted: [string, MetricRecord][] = [];
    for (const [path, record] of byPath) {
      const existing = await readJson(this.resolveInside(path));
      if (existing && !isBetter(record, existing)) result.unchanged.push(record.id);
      else wanted.push([path, record]);
    }
    // Packs first, then the entries naming their records: a crash in between leaves records that are
    // stored but not indexed (a resend stores them once more, readers keep one), never an index entry
    // without its record.
    const hot = wanted.filter(([, record]) => record.status !== 'retracted').map(([, record]) => record);
    const packs = packRecords(hot);
    for (const pack of packs) await atomicWrite(this.resolveInside(pack.path), pack.content);
    for (const [path, record] of wanted) {
      await atomicWrite(
        this.resolveInside(path),
        record.status === 'retracted' ? serializeRecord(record) : indexEntryContent(record),
      );
      result.written.push(record.id);
    }
    // Last, once the records are stored and indexed: a merge that fails leaves them readable.
    const folders = new Set(packs.map((pack) => pack.path.slice(0, pack.path.lastIndexOf('/'))));
    for (const folder of folders) await this.mergeInTurn(folder, this.mergePacksAbove);
    await this.mergeSettled(folders);
    return result;
  }

  /**
   * Merges the packs of the hour folders that have closed and settled (see `HOUR_SETTLE_MS`), after noting
   * that `written` were touched now. The first write of a store also looks at the hours of the last days
   * (`UNSETTLED_DAYS_AT_START`), which an earlier process may have left with several packs. A merge that
   * fails fails the write, as the merges past `PACK_MERGE_ABOVE` do (the records are stored and indexed
   * already), and its folder is tried again at the next write.
   */
  private async mergeSettled(written: ReadonlySet<string>): Promise<void> {
    const now = this.now();
    if (!this.startedWriting) {
      this.startedWriting = true;
      for (const folder of await this.recentHourFolders(now)) this.unsettled.set(folder, 0);
    }
    for (const folder of written) this.unsettled.set(folder, now);
    for (const [folder, touched] of this.unsettled) {
      const end = hourFolderEnd(folder) ?? Number.POSITIVE_INFINITY;
      if (Math.max(end, touched) + this.settleMs > now) continue;
      this.unsettled.delete(folder);
      try {
        await this.mergeInTurn(folder, 1);
      } catch (error) {
        if (!this.unsettled.has(folder)) this.unsettled.set(folder, touched);
        throw error;
      }
    }
  }

  /** The hour folders of every metric on the last `UNSETTLED_DAYS_AT_START` UTC days before `now`. */
  private async recentHourFolders(now: number): Promise<string[]> {
    const found: string[] = [];
    for (const metric of await this.folderNames(HOT_ROOT)) {
      for (let back = 0; back < UNSETTLED_DAYS_AT_START; back++) {
        const day = new Date(now - back * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '/');
        const folder = `${HOT_ROOT}/${metric}/${day}`;
        for (const hour of await this.folderNames(folder))
          if (/^\d\d$/.test(hour)) found.push(`${folder}/${hour}`);
      }
    }
    return found;
  }

  /** The names of the folders in `folder` (none when it does not exist). */
  private async folderNames(folder: string): Promise<string[]> {
    try {
      return (await readdir(this.resolveInside(folder), { withFileTypes: true }))
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }

  /**
   * Merges `folder`'s packs when it holds more than `above`, after the merges of it already running or
   * waiting (see `merges`).
   */
  private mergeInTurn(folder: string, above: number): Promise<void> {
    const previous = this.merges.get(folder) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.mergePacks(folder, above));
    this.merges.set(folder, next);
    next
      .catch(() => undefined)
      .finally(() => {
        if (this.merges.get(folder) === next) this.merges.delete(folder);
      });
    return next;
  }

  /**
   * When the hour folder holds more than `above` packs: reads them (in name order), keeps the best
   * version of each id (the readers' order, `compareStanding`; the first of equals), writes them as `packRecords` packs (a
   * name already present holds the same content: not written again), and only then removes the packs it
   * read that are not among the new ones. A crash in between leaves records in two packs, which readers
   * already reduce to one per id; the next merge of the folder finishes the job. It removes only packs it
   * has read, so a pack written meanwhile stays. A pack holding a line that is not a record of this folder
   * (not JSON, not a record, another hour: edited by hand) is left alone, not merged, so nothing in it is
   * lost or moved; compaction lists its line as `<pack>:<line>` as before.
   */
  private async mergePacks(folder: string, above: number): Promise<void> {
    const full = this.resolveInside(folder);
    let names: string[];
    try {
      names = (await readdir(full, { withFileTypes: true }))
        .filter((e) => e.isFile() && e.name.endsWith(PACK_SUFFIX) && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    if (names.length <= above) return;
    const best = new Map<string, MetricRecord>();
    const read: string[] = [];
    for (const name of names) {
      const text = await this.readFile(`${folder}/${name}`);
      if (text === undefined) continue; // removed meanwhile (compaction): not ours to remove
      const records = packRecordsOf(text, folder);
      if (!records) continue;
      read.push(`${folder}/${name}`);
      for (const record of records) {
        const seen = best.get(record.id);
        // The readers' order (a total one), so the merge keeps the version every reader would pick.
        if (!seen || compareStanding(record, seen) > 0) best.set(record.id, record);
      }
    }
    if (read.length < 2) return;
    const merged = packRecords([...best.values()]);
    for (const pack of merged) {
      const path = this.resolveInside(pack.path);
      if (!(await exists(path))) await atomicWrite(path, pack.content);
      await this.onMergeStep?.(`write ${pack.path}`);
    }
    const kept = new Set(merged.map((pack) => pack.path));
    for (const path of read) {
      if (kept.has(path)) continue;
      await rm(this.resolveInside(path), { force: true });
      await this.onMergeStep?.(`remove ${path}`);
    }
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(this.resolveInside(path), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async writeFile(path: string, content: string): Promise<void> {
    await atomicWrite(this.resolveInside(path), content);
  }

  async listFiles(prefix: string): Promise<string[]> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(this.resolveInside(prefix), { recursive: true, withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return entries
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) =>
        join(e.parentPath, e.name)
          .slice(this.root.length + 1)
          .split(sep)
          .join('/'),
      )
      .sort();
  }

  async readBytes(path: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(this.resolveInside(path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /**
   * Writes every file of `add` (each atomically), then removes `remove` in order, then the folders that
   * became empty. Not one atomic step: compaction orders its lists so that any prefix of these steps
   * leaves every record readable (docs/DATA.md, "Compaction").
   */
  async replaceFiles(
    add: ReadonlyMap<string, Uint8Array>,
    remove: readonly string[],
    options: { onStep?: (step: string) => void | Promise<void> } = {},
  ): Promise<void> {
    for (const [path, bytes] of add) {
      await atomicWrite(this.resolveInside(path), bytes);
      await options.onStep?.(`write ${path}`);
    }
    const folders = new Set<string>();
    for (const path of remove) {
      const full = this.resolveInside(path);
      await rm(full, { force: true });
      folders.add(dirname(full));
      await options.onStep?.(`remove ${path}`);
    }
    for (const folder of [...folders].sort().reverse()) await this.removeEmpty(folder);
  }

  /** Removes `folder` and its parents while they are empty, never the root. */
  private async removeEmpty(folder: string): Promise<void> {
    let current = folder;
    while (current.startsWith(this.root + sep)) {
      try {
        await rmdir(current);
      } catch {
        return;
      }
      current = dirname(current);
    }
  }

  /** Joins a relative path to the root and refuses anything that would land outside it. */
  private resolveInside(relative: string): string {
    if (isAbsolute(relative) || relative.includes('\0')) throw new Error(`invalid store path: ${relative}`);
    const full = normalize(join(this.root, relative));
    if (!full.startsWith(this.root + sep))
      throw new Error(`store path escapes the data directory: ${relative}`);
    return full;
  }
}

/** The standing held at a record's path (an index entry, or a tombstone), or undefined. */
async function readJson(path: string): Promise<Standing | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return standingOf(JSON.parse(text));
  } catch {
    // An entry that is not JSON (edited by hand, say) is treated as partial, so a good record repairs it.
    return { status: 'partial' };
  }
}

/**
 * The records of a pack of hour folder `folder`, or undefined when a line is not one: not JSON, without an
 * id, time or hot status, or belonging to another hour folder (merging would move it there).
 */
function packRecordsOf(text: string, folder: string): MetricRecord[] | undefined {
  const records: MetricRecord[] = [];
  for (const line of packLines(text)) {
    const record = parseHotRecord(line.text);
    if (!record || hotFolder(record) !== folder) return undefined;
    records.push(record);
  }
  return records;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function atomicWrite(path: string, content: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = join(dirname(path), `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await writeFile(temporary, content, { flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
