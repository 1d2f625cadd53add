import { type Dirent, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendRows, type Duck } from './duckdb';

/**
 * Record files (hot files, files of the first layout) into DuckDB, parsed into a struct `type`.
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
 * when it is not JSON or does not fit. Returns the paths that could not be read (left to the caller to
 * judge and report, as a file that is not valid JSON).
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
    chunk.push([path, content]);
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
 * The record files of a folder, `depth` folders down (a hot day folder: 2, `<hhmm>/<id>.json`; a month
 * folder of the first layout: 1): files named `*.json` but not dot-files, in folders whose names `skip`
 * does not match (by default `.` and `_` prefixed ones: git, collector state).
 */
export function* recordFilesIn(folder: string, depth: number, skip = /^[._]/): Generator<string> {
  for (const entry of entries(folder)) {
    const path = join(folder, entry.name);
    if (depth > 1) {
      if (entry.isDirectory() && !skip.test(entry.name)) yield* recordFilesIn(path, depth - 1, skip);
    } else if (!entry.isDirectory() && !entry.name.startsWith('.') && entry.name.endsWith('.json'))
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
