import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { openDuck } from '../../src/data/duckdb';
import { byPathAndLine, loadRecordFiles, recordFilesIn, recordTextReader } from '../../src/data/record-files';
import { tempDir } from '../support/temp';

/** Record files as the reader loads them into DuckDB (src/data/record-files.ts), from real files. */

function write(root: string, path: string, content: string): void {
  mkdirSync(join(root, path, '..'), { recursive: true });
  writeFileSync(join(root, path), content);
}

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(() => dir.remove());

test('a hot day folder lists its minutes’ record files, not dot-files, `_`/`.` folders or other files', () => {
  const day = dir.path;
  for (const path of [
    '0842/a.json',
    '0842/b.json',
    '0843/c.json',
    '0842/.d.json', // a dot-file (an editor's)
    '0842/notes.txt',
    '_state/e.json',
    '.git/f.json',
    '0844/g.json/h.json', // a folder named like a record, one level too deep
  ])
    write(day, path, '{}');
  const found = [...recordFilesIn(day, 2)].map((p) => relative(day, p)).sort();
  expect(found).toEqual(['0842/a.json', '0842/b.json', '0843/c.json']);
  expect([...recordFilesIn(join(day, '0842'), 1)].map((p) => relative(day, p)).sort()).toEqual([
    '0842/a.json',
    '0842/b.json',
  ]);
  expect([...recordFilesIn(join(day, 'missing'), 2)]).toEqual([]);
});

test('every file is parsed into the struct over several chunks; not JSON is NULL; a vanished file is returned', async () => {
  const root = dir.path;
  const paths: string[] = [];
  for (let i = 0; i < 250; i++) {
    const path = join(root, `r${String(i).padStart(3, '0')}.json`);
    writeFileSync(
      path,
      `${JSON.stringify({ id: `id-${i}`, output: { n: i, extra: 'x'.repeat(i) } }, null, i % 2 ? 2 : 0)}\n`,
    );
    paths.push(path);
  }
  writeFileSync(join(root, 'broken.json'), '{"id": "cut off');
  writeFileSync(join(root, 'list.json'), '[1, 2]');
  writeFileSync(join(root, 'mistyped.json'), '{"id": "m", "output": {"n": "many"}}');
  const all = [...paths, join(root, 'broken.json'), join(root, 'list.json'), join(root, 'mistyped.json')];
  all.splice(100, 0, join(root, 'gone.json'));

  const duck = await openDuck();
  try {
    const type = 'STRUCT(id VARCHAR, output STRUCT(n INTEGER))';
    await duck.run(`CREATE TEMP TABLE loaded (filename VARCHAR, r ${type})`);
    // About 40 files a chunk: the 250 records take several, each parsed while the next is read.
    const unreadable = await loadRecordFiles(duck, { target: 'loaded', type, paths: all, chunkChars: 2_000 });
    expect(unreadable).toEqual([join(root, 'gone.json')]);

    const rows = await duck.all('SELECT filename, r.id AS id, r.output.n AS n FROM loaded ORDER BY filename');
    expect(rows).toHaveLength(all.length - 1);
    const byName = new Map(rows.map((row) => [relative(root, String(row.filename)), row]));
    for (let i = 0; i < 250; i++) {
      expect(byName.get(`r${String(i).padStart(3, '0')}.json`)).toMatchObject({ id: `id-${i}`, n: i });
    }
    for (const name of ['broken.json', 'list.json']) {
      expect(byName.get(name)).toMatchObject({ id: null, n: null });
    }
    // A field that does not fit is NULL on its own (the reader's validity checks catch it).
    expect(byName.get('mistyped.json')).toMatchObject({ id: 'm', n: null });
    expect(
      await duck.all("SELECT count(*)::INT AS n FROM duckdb_tables() WHERE table_name LIKE 'record_files%'"),
    ).toEqual([{ n: 0 }]);
  } finally {
    duck.close();
  }
});

test('files are read a chunk at a time, and DuckDB holds one chunk of content at a time', async () => {
  const root = dir.path;
  const paths: string[] = [];
  for (let i = 0; i < 200; i++) {
    const path = join(root, `r${String(i).padStart(3, '0')}.json`);
    writeFileSync(path, JSON.stringify({ id: `id-${i}`, output: { n: i, text: 'y'.repeat(400) } }));
    paths.push(path);
  }
  let pulled = 0;
  const lazily = (function* () {
    for (const path of paths) {
      pulled += 1;
      yield path;
    }
  })();
  const duck = await openDuck();
  try {
    // Watches each parse as it starts: how many paths were taken so far, and how many rows are staged.
    const seen: { pulled: number; staged: number }[] = [];
    const watched = {
      ...duck,
      run: async (sql: string) => {
        if (sql.trimStart().startsWith('INSERT INTO loaded')) {
          const at = pulled;
          const [row] = await duck.all(
            "SELECT estimated_size AS n FROM duckdb_tables() WHERE table_name = 'record_files_stage'",
          );
          seen.push({ pulled: at, staged: Number(row?.n) });
        }
        return duck.run(sql);
      },
    };
    const type = 'STRUCT(id VARCHAR, output STRUCT(n INTEGER))';
    await duck.run(`CREATE TEMP TABLE loaded (filename VARCHAR, r ${type})`);
    // About 20 files a chunk of 10,000 characters.
    await loadRecordFiles(watched, { target: 'loaded', type, paths: lazily, chunkChars: 10_000 });
    expect(seen.length).toBeGreaterThanOrEqual(9);
    expect(seen[0]?.pulled).toBeLessThan(30);
    for (const { staged } of seen) expect(staged).toBeLessThanOrEqual(25);
    expect(await duck.all('SELECT count(r.id)::INT AS n FROM loaded')).toEqual([{ n: 200 }]);
  } finally {
    duck.close();
  }
});

test('a pack gives a row per line that holds something, named <pack>:<line>; a bad line is NULL on its own', async () => {
  const root = dir.path;
  const pack = join(root, '08', 'abc.ndjson');
  write(
    root,
    '08/abc.ndjson',
    [
      JSON.stringify({ id: 'a', output: { n: 1 } }),
      '{"id": "cut off',
      '',
      JSON.stringify({ id: 'b', output: { n: 2 } }),
      JSON.stringify({ id: 'c', output: { n: 'many' } }),
      '',
    ].join('\n'),
  );
  write(root, '0842/old.json', JSON.stringify({ id: 'old', output: { n: 9 } }));
  write(root, '08/42/a.idx', '{"status":"complete"}\n'); // an index entry: never a record
  const paths = [...recordFilesIn(root, 2)].sort();
  expect(paths.map((p) => relative(root, p))).toEqual(['08/abc.ndjson', '0842/old.json']);
  const duck = await openDuck();
  try {
    const type = 'STRUCT(id VARCHAR, output STRUCT(n INTEGER))';
    await duck.run(`CREATE TEMP TABLE loaded (filename VARCHAR, r ${type})`);
    expect(
      await loadRecordFiles(duck, { target: 'loaded', type, paths: [...paths, join(root, 'gone.ndjson')] }),
    ).toEqual([join(root, 'gone.ndjson')]);
    const rows = await duck.all('SELECT filename, r.id AS id, r.output.n AS n FROM loaded');
    const byName = Object.fromEntries(rows.map((row) => [relative(root, String(row.filename)), row]));
    expect(Object.keys(byName).sort(byPathAndLine)).toEqual([
      '08/abc.ndjson:1',
      '08/abc.ndjson:2',
      '08/abc.ndjson:4',
      '08/abc.ndjson:5',
      '0842/old.json',
    ]);
    expect(byName['08/abc.ndjson:1']).toMatchObject({ id: 'a', n: 1 });
    expect(byName['08/abc.ndjson:2']).toMatchObject({ id: null, n: null });
    expect(byName['08/abc.ndjson:4']).toMatchObject({ id: 'b', n: 2 });
    expect(byName['08/abc.ndjson:5']).toMatchObject({ id: 'c', n: null });
    expect(byName['0842/old.json']).toMatchObject({ id: 'old', n: 9 });
    // The JS judge reads the very line a row names.
    const read = recordTextReader();
    expect(read(`${pack}:2`)).toBe('{"id": "cut off');
    expect(JSON.parse(read(`${pack}:4`))).toEqual({ id: 'b', output: { n: 2 } });
    expect(read(`${pack}:3`)).toBe('');
    expect(() => read(`${join(root, 'gone.ndjson')}:1`)).toThrow();
  } finally {
    duck.close();
  }
});

test('large packs whose rows are all plainly valid keep their path as name; one with a row that is not is read line by line; small packs are read line by line', async () => {
  const root = dir.path;
  const line = (id: string, n: unknown) =>
    `${JSON.stringify({ id, output: { n }, padding: 'x'.repeat(100) })}\n`;
  // 100 lines of about 140 bytes: above the 8 KB mean from which DuckDB reads packs itself.
  const lines = (prefix: string, last: string) =>
    Array.from({ length: 99 }, (_, i) => line(`${prefix}${i}`, i + 1)).join('') + last;
  write(root, '08/good.ndjson', lines('a', line('a99', 100)));
  write(root, '09/odd.ndjson', lines('c', line('d', -4)));
  write(root, '10/bad.ndjson', lines('e', 'not json\n'));
  const load = async (paths: string[]) => {
    const duck = await openDuck();
    try {
      const type = 'STRUCT(id VARCHAR, output STRUCT(n INTEGER))';
      await duck.run(`CREATE TEMP TABLE loaded (filename VARCHAR, r ${type})`);
      const unreadable = await loadRecordFiles(duck, {
        target: 'loaded',
        type,
        paths,
        plainlyValid: 'NOT unreadable_ AND output.n > 0',
      });
      expect(unreadable).toEqual([]);
      const rows = await duck.all('SELECT filename, count(*) AS n FROM loaded GROUP BY ALL');
      return Object.fromEntries(rows.map((row) => [relative(root, String(row.filename)), Number(row.n)]));
    } finally {
      duck.close();
    }
  };
  const names = await load([...recordFilesIn(root, 2)]);
  expect(names['08/good.ndjson']).toBe(100);
  expect(names['09/odd.ndjson:100']).toBe(1);
  expect(names['10/bad.ndjson:100']).toBe(1);
  expect(Object.keys(names).filter((n) => n.startsWith('09/')).length).toBe(100);
  expect(Object.keys(names).filter((n) => n.startsWith('10/')).length).toBe(100);
  // Small packs (a quiet hour's): Node reads them, every line named.
  write(root, '11/small.ndjson', line('s1', 1) + line('s2', 2));
  expect(await load([join(root, '11/small.ndjson')])).toEqual({
    '11/small.ndjson:1': 1,
    '11/small.ndjson:2': 1,
  });
});
