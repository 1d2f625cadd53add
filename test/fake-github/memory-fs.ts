/**
 * A minimal in-memory file system with the promise API isomorphic-git uses, so the fake GitHub's bare
 * repositories cost no disk I/O (objects are still real, zlib-compressed git objects with real ids).
 * `exportTo()` writes a repository to disk for `git` to inspect.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

type Node = { kind: 'file'; data: Buffer; mtimeMs: number } | { kind: 'dir' };

function fail(code: string, path: string): never {
  throw Object.assign(new Error(`${code}: ${path}`), { code });
}

function clean(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

class Stats {
  constructor(
    private readonly node: Node,
    readonly mtimeMs: number,
  ) {}
  get size(): number {
    return this.node.kind === 'file' ? this.node.data.length : 0;
  }
  get mode(): number {
    return this.node.kind === 'file' ? 0o100644 : 0o40000;
  }
  readonly ino = 0;
  readonly uid = 0;
  readonly gid = 0;
  readonly dev = 0;
  readonly ctimeMs = 0;
  isFile(): boolean {
    return this.node.kind === 'file';
  }
  isDirectory(): boolean {
    return this.node.kind === 'dir';
  }
  isSymbolicLink(): boolean {
    return false;
  }
}

export class MemoryFs {
  private readonly nodes = new Map<string, Node>([['/', { kind: 'dir' }]]);

  readonly promises = {
    readFile: async (path: string, options?: string | { encoding?: string }) => {
      const node = this.nodes.get(clean(path));
      if (!node) fail('ENOENT', path);
      if (node.kind !== 'file') fail('EISDIR', path);
      const encoding = typeof options === 'string' ? options : options?.encoding;
      return encoding ? node.data.toString(encoding as BufferEncoding) : node.data;
    },
    writeFile: async (path: string, data: string | Uint8Array) => {
      const p = clean(path);
      if (this.nodes.get(parentOf(p))?.kind !== 'dir') fail('ENOENT', path);
      this.nodes.set(p, { kind: 'file', data: Buffer.from(data as Uint8Array), mtimeMs: Date.now() });
    },
    unlink: async (path: string) => {
      const p = clean(path);
      if (this.nodes.get(p)?.kind !== 'file') fail('ENOENT', path);
      this.nodes.delete(p);
    },
    readdir: async (path: string) => {
      const p = clean(path);
      if (this.nodes.get(p)?.kind !== 'dir') fail('ENOTDIR', path);
      const prefix = p === '/' ? '/' : `${p}/`;
      const names: string[] = [];
      for (const key of this.nodes.keys())
        if (key !== p && key.startsWith(prefix) && !key.slice(prefix.length).includes('/'))
          names.push(key.slice(prefix.length));
      return names;
    },
    mkdir: async (path: string) => {
      const p = clean(path);
      if (this.nodes.has(p)) fail('EEXIST', path);
      if (this.nodes.get(parentOf(p))?.kind !== 'dir') fail('ENOENT', path);
      this.nodes.set(p, { kind: 'dir' });
    },
    rmdir: async (path: string) => {
      const p = clean(path);
      if (this.nodes.get(p)?.kind !== 'dir') fail('ENOENT', path);
      if ((await this.promises.readdir(p)).length > 0) fail('ENOTEMPTY', path);
      this.nodes.delete(p);
    },
    stat: async (path: string) => {
      const node = this.nodes.get(clean(path));
      if (!node) fail('ENOENT', path);
      return new Stats(node, node.kind === 'file' ? node.mtimeMs : 0);
    },
    lstat: async (path: string) => this.promises.stat(path),
    readlink: async (path: string): Promise<string> => fail('EINVAL', path),
    symlink: async (_target: string, path: string): Promise<void> => fail('EPERM', path),
    chmod: async () => undefined,
  };

  /** Creates `path` and its parents (what `mkdir -p` does). */
  mkdirp(path: string): void {
    let current = '';
    for (const part of clean(path).split('/').filter(Boolean)) {
      current += `/${part}`;
      if (!this.nodes.has(current)) this.nodes.set(current, { kind: 'dir' });
    }
  }

  /** Copies everything below `path` to `target` on disk (e.g. to run `git log` on a fake repository). */
  async exportTo(path: string, target: string): Promise<void> {
    const root = clean(path);
    for (const [key, node] of this.nodes) {
      if (node.kind !== 'file' || !key.startsWith(`${root}/`)) continue;
      const out = join(target, key.slice(root.length + 1));
      await mkdir(dirname(out), { recursive: true });
      await writeFile(out, node.data);
    }
  }
}
