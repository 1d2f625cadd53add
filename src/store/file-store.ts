import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import type { DataFiles } from '../data/compact';
import { indexEntryContent, packRecords } from '../data/packs';
import { isBetter, recordPath, type Standing, serializeRecord, standingOf } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import type { Store, WriteResult } from './types';

/**
 * The embedded default store: a local directory with the data repository's layout. Each file is written to
 * a temporary name in the same directory and renamed into place, so a reader (or a crash) never sees half
 * a record.
 */
export class FileStore implements Store, DataFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
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
    for (const pack of packRecords(hot)) await atomicWrite(this.resolveInside(pack.path), pack.content);
    for (const [path, record] of wanted) {
      await atomicWrite(
        this.resolveInside(path),
        record.status === 'retracted' ? serializeRecord(record) : indexEntryContent(record),
      );
      result.written.push(record.id);
    }
    return result;
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
