import git from 'isomorphic-git';
import { treeSha } from '../../src/store/tree-mirror';
import { MemoryFs } from '../fake-github/memory-fs';

describe('treeSha', () => {
  it('computes the same tree ids as git, including the order of folders', async () => {
    const fs = new MemoryFs();
    fs.mkdirp('/r.git');
    await git.init({ fs, dir: '/r.git', bare: true });
    const blob = (text: string) => git.writeBlob({ fs, gitdir: '/r.git', blob: Buffer.from(text) });
    const inner = await git.writeTree({
      fs,
      gitdir: '/r.git',
      tree: [{ path: 'x.json', mode: '100644', oid: await blob('x'), type: 'blob' }],
    });
    // `a.b` sorts before `a/` (a folder sorts as if its name ended in a slash), `a0` after it.
    const entries = [
      { path: 'a0', mode: '100644', oid: await blob('1'), type: 'blob' as const },
      { path: 'a', mode: '040000', oid: inner, type: 'tree' as const },
      { path: 'a.b', mode: '100644', oid: await blob('2'), type: 'blob' as const },
      { path: 'Z', mode: '100644', oid: await blob('3'), type: 'blob' as const },
    ];
    const expected = await git.writeTree({ fs, gitdir: '/r.git', tree: entries });
    const mine = treeSha(new Map(entries.map((e) => [e.path, { mode: e.mode, type: e.type, sha: e.oid }])));
    expect(mine).toBe(expected);
  });
});
