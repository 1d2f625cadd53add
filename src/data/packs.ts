import { createHash } from 'node:crypto';
import { type Standing, serializeRecord, standingOf } from '../pipeline/record';
import type { MetricRecord } from '../pipeline/types';
import { hotFolder, PACK_SUFFIX } from './layout';

/**
 * Packs of hot records (docs/DATA.md, "Layout"): the records one write stores in an hour folder, one per
 * line, in files named by a hash of their content, beside one index entry per record id.
 *
 * Why packs: a reader opens one file per write and hour instead of one per record. Opening a file costs
 * about 7 µs here even from Node, which made per-record files the larger part of a 10-million-record report
 * (`npm run bench -- hot-packing`: the same 777,778 records load 6.1 times faster packed). The index
 * entries keep what per-record files gave the stores: a path per id, so the existence checks, "better record
 * wins" and idempotent resends still look at one entry of the folder, never into a pack.
 */

/**
 * A pack stays below this size: GitHub recommends objects of at most 1 MB, and a pack travels inside one
 * tree request (JSON-escaped, so a little larger), which the GitHubRepoStore keeps near 2 MB.
 */
export const PACK_MAX_BYTES = 512 * 1024;

export interface PackFile {
  /** `hot/<metric>/<yyyy>/<mm>/<dd>/<hh>/<hash>.ndjson`, relative to the data root. */
  path: string;
  content: string;
  /** The records in it, in line order. */
  records: MetricRecord[];
}

/**
 * The packs holding `records` (hot records, at most one per id): grouped by hour folder, ordered by id
 * within a folder and cut before `maxBytes` (a record larger than that gets a pack of its own), each named
 * by the first 16 hex digits of the SHA-256 of its content, so that writing the same records again gives
 * the same files.
 */
export function packRecords(records: readonly MetricRecord[], maxBytes = PACK_MAX_BYTES): PackFile[] {
  const byFolder = new Map<string, MetricRecord[]>();
  for (const record of records) {
    const folder = hotFolder(record);
    const list = byFolder.get(folder);
    if (list) list.push(record);
    else byFolder.set(folder, [record]);
  }
  const packs: PackFile[] = [];
  for (const folder of [...byFolder.keys()].sort()) {
    const sorted = (byFolder.get(folder) as MetricRecord[]).sort((a, b) =>
      a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
    );
    let lines: string[] = [];
    let members: MetricRecord[] = [];
    let bytes = 0;
    const flush = () => {
      if (lines.length === 0) return;
      const content = lines.join('');
      const hash = createHash('sha256').update(content).digest('hex').slice(0, 16);
      packs.push({ path: `${folder}/${hash}${PACK_SUFFIX}`, content, records: members });
      lines = [];
      members = [];
      bytes = 0;
    };
    for (const record of sorted) {
      const line = serializeRecord(record);
      const size = Buffer.byteLength(line);
      if (bytes > 0 && bytes + size > maxBytes) flush();
      lines.push(line);
      members.push(record);
      bytes += size;
    }
    flush();
  }
  return packs;
}

/**
 * The content of a hot record's index entry: its standing, one JSON line (`{"status":"complete"}`, with
 * `revision` when the metric sets one). `standingOf` reads it back, as it reads a whole record.
 */
export function indexEntryContent(record: Standing): string {
  const standing = standingOf(record);
  return `${JSON.stringify(standing.revision === undefined ? { status: standing.status } : standing)}\n`;
}

/** The lines of a pack that hold something: each record's JSON text and its line number (from 1). */
export function packLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let start = 0;
  let line = 1;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const content = text.slice(start, end);
    if (content.trim().length > 0) out.push({ line, text: content });
    start = end + 1;
    line += 1;
  }
  return out;
}

/**
 * A hot record's JSON text (a pack's line, a hot file) as the record a store could have written: an object
 * with a string `id` and `metric`, a valid `occurred_at` and status `complete` or `partial`; otherwise
 * undefined (not JSON, or edited into something else).
 */
export function parseHotRecord(text: string): MetricRecord | undefined {
  let record: MetricRecord;
  try {
    record = JSON.parse(text) as MetricRecord;
  } catch {
    return undefined;
  }
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.id !== 'string' ||
    typeof record.metric !== 'string' ||
    typeof record.occurred_at !== 'string' ||
    Number.isNaN(Date.parse(record.occurred_at)) ||
    (record.status !== 'complete' && record.status !== 'partial')
  )
    return undefined;
  return record;
}
