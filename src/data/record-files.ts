import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { appendRows, type Duck, sqlString } from './duckdb';
import { PACK_SUFFIX } from './layout';
import { packLines } from './packs';

/**
 * Record files (hot packs, hot files written before packs, files of the first layout) into DuckDB, parsed
 * into a struct `type`.
 *
 * Hand-written rather than DuckDB's `read_text` over a glob: that opens a glob's files one after the other
 * (153,201 hot files of a month: 3.1–3.6 s, two thirds of it in the kernel, whatever its thread count),
 * while Node's `readFileSync` reads the same files in 1.0 s. Files are read in chunks; DuckDB parses a chunk
 * (on its own threads) while Node reads the next, so the two cores work at once.
 */

const STAGE_TYPES = ['VARCHAR', 'VARCHAR'];

/** About this much file content per chunk: bounds the memory of the chunk in Node and in DuckDB. */
const CHUNK_CHARS = 4 * 1024 * 1024;

/**
 * Inserts `(filename, r)` rows into `target` for every path: `r` is the file's JSON cast to `type`, NULL
 * when it is not JSON or does not fit. A pack (`*.ndjson`) gives one row per line that holds something.
 * Packs are read by DuckDB itself (`read_ndjson_objects`), their rows named by the pack's path; a pack with
 * a row that is not plainly valid (`r` NULL, or not `plainlyValid`: an SQL condition over the record's
 * columns and `unreadable_`) is read again line by line, its rows named `<pack path>:<line number>`
 * (`packLineName`), so a bad line is judged and reported on its own with the rest of its pack kept.
 * Returns the paths that could not be read (left to the caller to judge and report, as a file that is
 * not valid JSON).
 */
export async function loadRecordFiles(
  duck: Duck,
  options: {
    target: string;
    type: string;
    paths: Iterable<string>;
    chunkChars?: number;
    plainlyValid?: string;
  },
): Promise<string[]> {
  const packs: string[] = [];
  const files = (function* () {
    for (const path of options.paths) {
      if (path.endsWith(PACK_SUFFIX)) packs.push(path);
      else yield path;
    }
  })();
  const unreadable = await loadStaged(duck, { ...options, paths: files });
  if (packs.length === 0) return unreadable;
  // Which reader is faster depends on how many records a pack holds. DuckDB's JSON reader costs about
  // 48 µs a file and 2 µs a record here, Node's (it splits the lines and hands each over) about 16 µs a file
  // and 7 µs a record: measured on a busy week's 64,078 packs of 12 records (DuckDB 4.7 s, Node 6.4 s) and
  // on 90 quiet days' 448,200 packs of 2 (DuckDB 23.8 s and 872 MB, Node 14.1 s and 488 MB). They break even
  // near 7 records a pack, about 7 KB: a sample of the packs' sizes decides.
  if (meanSize(packs) < DUCKDB_PACK_BYTES)
    return unreadable.concat(await loadStaged(duck, { ...options, paths: packs }));
  for (let i = 0; i < packs.length; i += PACKS_PER_STATEMENT) {
    const some = packs.slice(i, i + PACKS_PER_STATEMENT);
    try {
      await duck.run(
        `INSERT INTO ${options.target}
         SELECT filename, TRY_CAST(json AS ${options.type})
         FROM read_ndjson_objects([${some.map(sqlString).join(', ')}], filename = true, ignore_errors = true)`,
      );
    } catch {
      // A pack that vanished or cannot be read fails the whole statement (nothing inserted): these packs
      // are read by Node instead, which names the ones it cannot read.
      unreadable.push(...(await loadStaged(duck, { ...options, paths: some })));
    }
  }
  // A line that is not JSON gives a NULL `r` (`ignore_errors`): the packs holding a row that is not plainly
  // valid are read again line by line, so that each such line has a name of its own.
  const rows = await duck.all(
    `SELECT DISTINCT filename FROM (SELECT filename, r IS NULL AS unreadable_, unnest(r) FROM ${options.target}
       WHERE suffix(filename, '${PACK_SUFFIX}'))
     WHERE unreadable_ OR NOT coalesce(${options.plainlyValid ?? 'true'}, false)`,
  );
  const again = rows.map((row) => String(row.filename));
  if (again.length === 0) return unreadable;
  await duck.run(`DELETE FROM ${options.target} WHERE filename IN (${again.map(sqlString).join(', ')})`);
  return unreadable.concat(await loadStaged(duck, { ...options, paths: again }));
}

/** Packs at least this large on average are read by DuckDB, smaller ones by Node. */
const DUCKDB_PACK_BYTES = 8 * 1024;

/** The mean size of up to 64 of `paths`, spread over the list (a file that cannot be read counts 0). */
function meanSize(paths: readonly string[]): number {
  const sample = Math.min(64, paths.length);
  let bytes = 0;
  for (let i = 0; i < sample; i++) {
    bytes +=
      statSync(paths[Math.floor((i * paths.length) / sample)] as string, { throwIfNoEntry: false })?.size ??
      0;
  }
  return bytes / sample;
}

/** Packs per `read_ndjson_objects` statement. */
const PACKS_PER_STATEMENT = 20_000;

/**
 * Node reads the files and DuckDB parses them, chunk by chunk. A pack is split into lines by Node as it
 * reads it, one staged row per line (45,000 records in 1,570 packs: 0.44 s, against 1.04 s when packs were
 * staged whole and split by DuckDB's `string_split` and `unnest`).
 */
async function loadStaged(
  duck: Duck,
  options: { target: string; type: string; paths: Iterable<string>; chunkChars?: number },
): Promise<string[]> {
  const unreadable: string[] = [];
  const stage = 'record_files_stage';
  let parsing: Promise<void> = Promise.resolve();
  // The generator reads the next chunk while DuckDB parses the previous one.
  for (const chunk of contentChunks(options.paths, options.chunkChars ?? CHUNK_CHARS, unreadable)) {
    await parsing;
    // A new table per chunk: DELETE only marks an in-memory table's rows deleted, so the staged content of
    // every chunk would stay in memory until the table is dropped.
    await duck.run(`CREATE OR REPLACE TEMP TABLE ${stage} (filename VARCHAR, content VARCHAR)`);
    await appendRows(duck, stage, chunk, STAGE_TYPES);
    parsing = duck.run(
      `INSERT INTO ${options.target}
       SELECT filename, TRY_CAST(TRY_CAST(content AS JSON) AS ${options.type}) FROM ${stage}`,
    );
  }
  await parsing;
  await duck.run(`DROP TABLE IF EXISTS ${stage}`);
  return unreadable;
}

function* contentChunks(
  paths: Iterable<string>,
  chunkChars: number,
  unreadable: string[],
): Generator<[string, string][]> {
  let chunk: [string, string][] = [];
  let chars = 0;
  for (const path of paths) {
    let content: string;
    try {
      content = readFileSync(path, 'utf8');
    } catch {
      unreadable.push(path);
      continue;
    }
    if (path.endsWith(PACK_SUFFIX)) {
      for (const line of packLines(content)) chunk.push([packLineName(path, line.line), line.text]);
    } else chunk.push([path, content]);
    chars += content.length;
    if (chars >= chunkChars) {
      yield chunk;
      chunk = [];
      chars = 0;
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * The record files of a folder, `depth` folders down (a hot day folder: 2, `<hh>/<hash>.ndjson` packs and
 * `<hhmm>/<id>.json` files written before packs; a month folder of the first layout: 1): files named
 * `*.json` or `*.ndjson` but not dot-files, in folders whose names `skip` does not match (by default `.`
 * and `_` prefixed ones: git, collector state). Index entries (`<hh>/<mm>/<id>.idx`) are never records.
 */
export function* recordFilesIn(folder: string, depth: number, skip = /^[._]/): Generator<string> {
  for (const entry of entries(folder)) {
    const path = join(folder, entry.name);
    if (depth > 1) {
      if (entry.isDirectory() && !skip.test(entry.name)) yield* recordFilesIn(path, depth - 1, skip);
    } else if (
      !entry.isDirectory() &&
      !entry.name.startsWith('.') &&
      (entry.name.endsWith('.json') || entry.name.endsWith(PACK_SUFFIX))
    )
      yield path;
  }
}

function entries(folder: string): Dirent[] {
  try {
    return readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** `<pack path>:<line>`: how a row of `loadRecordFiles` names a pack's line. */
function packLineName(path: string, line: number): string {
  return `${path}:${line}`;
}

/** A pack line's pack path and line number, from its `packLineName`; undefined for a whole file's name. */
export function parsePackLineName(name: string): { path: string; line: number } | undefined {
  const match = /^(.*\.ndjson):(\d+)$/.exec(name);
  return match ? { path: match[1] as string, line: Number(match[2]) } : undefined;
}

/**
 * A reader of what `loadRecordFiles` rows name: a whole file's content, or one line of a pack (the empty
 * string when the pack has no such line). It throws when the file cannot be read. It keeps the last pack
 * it read, as the lines of a pack are judged one after another.
 */
export function recordTextReader(): (name: string) => string {
  let last: { path: string; lines: Map<number, string> } | undefined;
  return (name) => {
    const line = parsePackLineName(name);
    if (!line) return readFileSync(name, 'utf8');
    if (last?.path !== line.path) {
      last = { path: line.path, lines: new Map() };
      for (const l of packLines(readFileSync(line.path, 'utf8'))) last.lines.set(l.line, l.text);
    }
    return last.lines.get(line.line) ?? '';
  };
}

/** Names of `loadRecordFiles` rows in path order, a pack's lines by line number. */
export function byPathAndLine(a: string, b: string): number {
  const x = parsePackLineName(a) ?? { path: a, line: 0 };
  const y = parsePackLineName(b) ?? { path: b, line: 0 };
  if (x.path !== y.path) return x.path < y.path ? -1 : 1;
  return x.line - y.line;
}
