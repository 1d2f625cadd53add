import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { isBetter, recordPath, serializeRecord } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import type { Store, WriteResult } from './types';

/**
 * The embedded default store: a local directory with the data repository's layout. Each file is written to
 * a temporary name in the same directory and renamed into place, so a reader (or a crash) never sees half
 * a record.
 */
export class FileStore implements Store {
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
    for (const [path, record] of byPath) {
      const target = this.resolveInside(path);
      const existing = await readJson(target);
      if (existing && !isBetter(record, existing)) {
        result.unchanged.push(record.id);
        continue;
      }
      await atomicWrite(target, serializeRecord(record));
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

  /** Joins a relative path to the root and refuses anything that would land outside it. */
  private resolveInside(relative: string): string {
    if (isAbsolute(relative) || relative.includes('\0')) throw new Error(`invalid store path: ${relative}`);
    const full = normalize(join(this.root, relative));
    if (!full.startsWith(this.root + sep))
      throw new Error(`store path escapes the data directory: ${relative}`);
    return full;
  }
}

async function readJson(path: string): Promise<Pick<MetricRecord, 'status'> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as MetricRecord;
  } catch {
    // A file that is not JSON (edited by hand, say) is treated as partial, so a good record repairs it.
    return { status: 'partial' };
  }
}

async function atomicWrite(path: string, content: string): Promise<void> {
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
