import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { LakeObject, LakeObjects } from './objects';

/**
 * The lake's layout in a local directory: the same keys as files (`records/metric=…/dt=…/*.parquet`). The
 * tests write and compact through it, and `telemetry query --lake DIR` reads it (or a copy made with
 * `aws s3 sync s3://<bucket>/records DIR/records`).
 */
export class DirectoryObjects implements LakeObjects {
  constructor(readonly location: string) {}

  private path(key: string): string {
    if (key.startsWith('/') || key.split('/').some((part) => part === '..' || part === '')) {
      throw new Error(`not an object key: ${JSON.stringify(key)}`);
    }
    return join(this.location, ...key.split('/'));
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    // Whole or nothing, as S3 replaces an object: a reader never sees half a file.
    const partial = `${path}.${process.pid}.partial`;
    await writeFile(partial, body);
    await rename(partial, path);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async list(prefix: string): Promise<LakeObject[]> {
    const found: LakeObject[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile() && !entry.name.endsWith('.partial')) {
          const key = relative(this.location, path).split(sep).join('/');
          if (key.startsWith(prefix)) found.push({ key, bytes: (await stat(path)).size });
        }
      }
    };
    // Walk from the deepest folder the prefix names.
    const folder = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(folder ? join(this.location, ...folder.split('/')) : this.location);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.path(key), { force: true });
  }
}
