import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendRows, type Duck } from './duckdb';
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
 * when it is not JSON or does not fit. A pack (`*.ndjson`) gives one row per line that holds something,
 * named `<pack path>:<line number>` (`packLineName`), so a bad line is judged and reported on its own, with
 * the rest of its pack kept. Node splits a pack into lines as it reads it and stages one row per line:
 * 45,000 records in 1,570 packs load in 0.44 s this way, 1.04 s when the packs were staged whole and split by
 * DuckDB (`string_split` and `unnest` cost more than the parse), 0.43 s by `read_ndjson_objects` over the
 * packs' glob (which cannot name a bad line). Returns the paths that could not be read (left to the caller to judge and
 * report, as a file that is not valid JSON).
 */
export async function loadRecordFiles(
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
export function packLineName(path: string, line: number): string {
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
