import { createHash } from 'node:crypto';
import { forEachLimited } from '../concurrency';

/** Folder listings read at once (GitHub allows 100 concurrent requests per token). */
const READS_AT_ONCE = 8;

export interface TreeEntry {
  /** Git mode as GitHub writes it: `100644` (file), `040000` (folder), … */
  mode: string;
  type: string;
  sha: string;
}

interface Folder {
  /** The folder's git tree id. */
  sha: string;
  entries: Map<string, TreeEntry>;
}

/**
 * What the store knows of the branch head's tree: the listings of the folders it has looked at (and their
 * parents up to the root), each with its tree id, exact for one head commit. It answers "does this path
 * exist, with which blob?" without a request per record, and it stays exact across the store's own commits
 * by recomputing the tree ids of the folders a commit touched (git's own hashing, checked against the root
 * tree id GitHub answers). When another writer moves the head, `moveTo` re-reads only the folders whose
 * tree id changed: a cursor written under `_state/` costs two reads, not one per month folder.
 */
export class TreeMirror {
  private head = '';
  private folders = new Map<string, Folder>();
  private entryCount = 0;

  constructor(
    private readonly readTree: (sha: string) => Promise<Map<string, TreeEntry>>,
    /** Entries kept before the mirror starts afresh (memory bound). */
    private readonly maxEntries = 500_000,
  ) {}

  /** Makes the mirror describe `commit` (whose root tree is `tree`), re-reading only what changed. */
  async moveTo(commit: string, tree: string): Promise<void> {
    if (commit === this.head) return;
    const old = this.folders;
    this.folders = new Map();
    this.entryCount = 0;
    this.head = commit;
    if (old.size === 0) return;
    const sync = async (path: string, sha: string): Promise<void> => {
      const before = old.get(path);
      if (!before) return;
      if (before.sha === sha) {
        // Unchanged tree id: this folder and everything known below it are still exact.
        for (const [known, folder] of old)
          if (known === path || isBelow(known, path)) this.keep(known, folder);
        return;
      }
      const entries = await this.readTree(sha);
      this.keep(path, { sha, entries });
      // Sibling folders are read at once: a head moved by another writer costs the depth of the changed
      // folders in round trips, not their number.
      const changed = [...entries].filter(([name, e]) => e.type === 'tree' && old.has(join(path, name)));
      await forEachLimited(changed, READS_AT_ONCE, ([name, e]) => sync(join(path, name), e.sha));
    };
    await sync('', tree);
  }

  /**
   * Lists every folder of `folders` (at the current head) ahead of `list`: their common ancestors first, then
   * the folders themselves a few at once, so a batch touching many folders waits for a few round trips only.
   */
  async prefetch(folders: Iterable<string>, rootTree: string): Promise<void> {
    const missing = [...new Set(folders)].filter((f) => !this.folders.has(f)).sort();
    if (missing.length === 0) return;
    await this.list(missing[0] as string, rootTree);
    await forEachLimited(missing.slice(1), READS_AT_ONCE, async (folder) => {
      await this.list(folder, rootTree);
    });
  }

  /** The entries of `folder` at the current head, or undefined when it does not exist. */
  async list(folder: string, rootTree: string): Promise<Map<string, TreeEntry> | undefined> {
    const known = this.folders.get(folder);
    if (known) return known.entries;
    let path = '';
    let current =
      this.folders.get('') ?? this.keep('', { sha: rootTree, entries: await this.readTree(rootTree) });
    for (const segment of folder === '' ? [] : folder.split('/')) {
      const entry = current.entries.get(segment);
      if (entry?.type !== 'tree') return undefined;
      path = join(path, segment);
      current =
        this.folders.get(path) ??
        this.keep(path, { sha: entry.sha, entries: await this.readTree(entry.sha) });
    }
    return current.entries;
  }

  /**
   * Records our own commit: `files` (path → blob id) were written on `fromCommit`, giving `toCommit` with root
   * tree `toTree`. Returns false (and starts afresh) when the mirror did not describe `fromCommit` or its
   * recomputed root tree id disagrees with GitHub's.
   */
  applyCommit(
    fromCommit: string,
    toCommit: string,
    toTree: string,
    files: readonly { path: string; blobSha: string }[],
  ): boolean {
    if (this.head !== fromCommit || !this.folders.has('')) {
      this.reset(toCommit);
      return false;
    }
    const dirty = new Set<string>();
    for (const file of files) {
      const folder = parentOf(file.path);
      const chain = ancestors(folder);
      for (const path of chain) {
        if (this.folders.has(path)) continue;
        // A folder the mirror never listed: it is new only when its parent (listed) does not have it.
        const parent = this.folders.get(parentOf(path));
        if (!parent || parent.entries.has(nameOf(path))) {
          this.reset(toCommit);
          return false;
        }
        this.keep(path, { sha: '', entries: new Map() });
      }
      (this.folders.get(folder) as Folder).entries.set(nameOf(file.path), {
        mode: '100644',
        type: 'blob',
        sha: file.blobSha,
      });
      this.entryCount += 1;
      for (const path of chain) dirty.add(path);
    }
    // Deepest first, so every parent hashes its children's new ids.
    for (const path of [...dirty].sort((a, b) => depth(b) - depth(a))) {
      const folder = this.folders.get(path) as Folder;
      folder.sha = treeSha(folder.entries);
      if (path !== '')
        (this.folders.get(parentOf(path)) as Folder).entries.set(nameOf(path), {
          mode: '040000',
          type: 'tree',
          sha: folder.sha,
        });
    }
    if (this.folders.get('')?.sha !== toTree) {
      this.reset(toCommit);
      return false;
    }
    this.head = toCommit;
    if (this.entryCount > this.maxEntries) this.reset(toCommit);
    return true;
  }

  private keep(path: string, folder: Folder): Folder {
    this.folders.set(path, folder);
    this.entryCount += folder.entries.size;
    return folder;
  }

  private reset(head: string): void {
    this.head = head;
    this.folders = new Map();
    this.entryCount = 0;
  }
}

/** Git's tree object id: entries sorted as git sorts them (a folder as if its name ended in `/`). */
export function treeSha(entries: ReadonlyMap<string, TreeEntry>): string {
  const sorted = [...entries].sort(([a, x], [b, y]) => {
    const ka = Buffer.from(x.type === 'tree' ? `${a}/` : a);
    const kb = Buffer.from(y.type === 'tree' ? `${b}/` : b);
    return Buffer.compare(ka, kb);
  });
  const body = Buffer.concat(
    sorted.map(([name, e]) =>
      Buffer.concat([Buffer.from(`${e.mode.replace(/^0+/, '')} ${name}\0`), Buffer.from(e.sha, 'hex')]),
    ),
  );
  return createHash('sha1').update(`tree ${body.length}\0`).update(body).digest('hex');
}

function join(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}

function isBelow(path: string, folder: string): boolean {
  return folder === '' || path.startsWith(`${folder}/`);
}

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function depth(path: string): number {
  return path === '' ? 0 : path.split('/').length;
}

/** '' and every folder down to `folder`: `a/b` → ['', 'a', 'a/b']. */
function ancestors(folder: string): string[] {
  const out = [''];
  if (folder === '') return out;
  let path = '';
  for (const segment of folder.split('/')) {
    path = join(path, segment);
    out.push(path);
  }
  return out;
}
