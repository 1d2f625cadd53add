import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { openDuck } from '../data/duckdb';
import { HOT_ROOT, PACK_SUFFIX, PARTITION_ROOT } from '../data/layout';
import { packLines } from '../data/packs';
import { recordFilesIn } from '../data/record-files';
import { partitionSource } from '../data/views';
import { compareStanding, standingOf, TOMBSTONE_ROOT } from '../pipeline/record';
import {
  parseLog,
  parseUnauthenticated,
  SENDERS_STATE_DIR,
  type SenderLogFile,
  UNAUTHENTICATED_FILE,
} from './log';

/** Metrics whose records pushes make (their `output.sender` names the sender). */
export const PUSH_METRICS = [
  'push-deployment',
  'push-incident',
  'tooling-usage',
  'custom-metric',
  'pipeline-run',
];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const TOP_ERRORS = 5;

export interface SenderHealth {
  sender: string;
  /** `received_at` of the newest record this sender's pushes made; null when none is stored. */
  last_accepted_at: string | null;
  /** The newest refusal in the log: when, which kind, what was answered. */
  last_refused: { at: string; kind: string; status: number; answer: string } | null;
  /** Records stored from this sender's pushes (one per accepted item; an incident may make two), by received_at. */
  accepted: { last_24h: number; last_7d: number };
  /** Items refused (a request refused as a whole counts one), from the log's hourly counts. */
  refused: { last_24h: number; last_7d: number };
  /** The most frequent errors of the last 7 days: `path: message`, or the request's answer. */
  top_errors: { error: string; count: number }[];
  /** Items this sender retracted (ever), and how many of them matched no stored record. */
  retracted: { items: number; unmatched: number };
}

export interface SendersOverview {
  generated_at: string;
  senders: SenderHealth[];
  /** Requests refused before a sender was authenticated (never stored, only counted), per UTC day. */
  unauthenticated: { last_24h: number; last_7d: number };
}

/**
 * Sender health from a data directory (or a clone of the data repository): accepted figures from the push
 * records themselves, refused ones from the refused-request log under `_state/senders/`. `known` adds senders
 * with neither yet (the configured ones), so a sender that went silent still shows.
 */
export async function senderHealth(
  dataDir: string,
  options: { now?: number; known?: readonly string[] } = {},
): Promise<SendersOverview> {
  const now = options.now ?? Date.now();
  const scan = await scanPushRecords(dataDir, now);
  const accepted = scan.accepted;
  const logs = readLogs(dataDir);
  const names = new Set([
    ...(options.known ?? []),
    ...accepted.keys(),
    ...logs.keys(),
    ...scan.retracted.keys(),
  ]);
  const senders = [...names].sort().map((sender): SenderHealth => {
    const a = accepted.get(sender);
    const log = logs.get(sender);
    const last = log?.refused.at(-1);
    return {
      sender,
      last_accepted_at: a?.last ?? null,
      last_refused: last ? { at: last.at, kind: last.kind, status: last.status, answer: last.answer } : null,
      accepted: { last_24h: a?.day ?? 0, last_7d: a?.week ?? 0 },
      refused: refusedCounts(log, now),
      top_errors: topErrors(log, now),
      retracted: scan.retracted.get(sender) ?? { items: 0, unmatched: 0 },
    };
  });
  let unauthenticated = { last_24h: 0, last_7d: 0 };
  try {
    const file = parseUnauthenticated(readFileSync(join(dataDir, UNAUTHENTICATED_FILE), 'utf8'));
    const today = new Date(now).toISOString().slice(0, 10);
    const weekAgo = new Date(now - 7 * DAY_MS).toISOString().slice(0, 10);
    for (const [day, count] of Object.entries(file.by_day)) {
      if (day === today) unauthenticated.last_24h += count;
      if (day > weekAgo) unauthenticated.last_7d += count;
    }
  } catch {
    unauthenticated = { last_24h: 0, last_7d: 0 };
  }
  return { generated_at: new Date(now).toISOString(), senders, unauthenticated };
}

interface PushScan {
  accepted: Map<string, { last: string; day: number; week: number }>;
  retracted: Map<string, { items: number; unmatched: number }>;
}

type StoredRecord = {
  id?: unknown;
  collected_by?: unknown;
  received_at?: unknown;
  status?: unknown;
  revision?: unknown;
  output?: { sender?: unknown; id?: unknown };
};

/** A parsed record file or pack line as a record, when it is a JSON object (`null`, `5`, `[]` are not). */
function asRecord(value: unknown): StoredRecord | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as StoredRecord)
    : undefined;
}

/** Every file ending in `suffix` below `root` (relative paths), or none when it does not exist. */
function jsonFiles(root: string, suffix = '.json'): string[] {
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter(
      (f) => f.endsWith(suffix) && !f.split(sep).some((p) => p.startsWith('.')),
    );
  } catch {
    return [];
  }
}

function readRecord(path: string): StoredRecord | undefined {
  try {
    return asRecord(JSON.parse(readFileSync(path, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * The records of a pack, its lines that are not JSON objects left out (the report warns about them): a line
 * `null` is valid JSON but no record.
 */
function readPack(path: string): StoredRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const records: StoredRecord[] = [];
  for (const { text: line } of packLines(text)) {
    try {
      const record = asRecord(JSON.parse(line));
      if (record) records.push(record);
    } catch {}
  }
  return records;
}

/** The push records of `metric` in its Parquet partitions (DuckDB, loaded only when there are any). */
async function partitionRecords(dataDir: string, metric: string): Promise<StoredRecord[]> {
  const dir = join(dataDir, PARTITION_ROOT, metric);
  if (!jsonFiles(dir, '.parquet').length) return [];
  const duck = await openDuck();
  try {
    const rows = await duck.all(
      `SELECT id, status, revision, collected_by, strftime(received_at, '%Y-%m-%dT%H:%M:%S.%g') || 'Z' AS received_at,
              output.sender AS sender FROM ${partitionSource(dataDir, metric)} WHERE collected_by = 'push'`,
    );
    return rows.map((row) => ({
      id: row.id,
      status: row.status,
      revision: row.revision,
      collected_by: row.collected_by,
      received_at: row.received_at,
      output: { sender: row.sender },
    }));
  } finally {
    duck.close();
  }
}

/**
 * Accepted figures from the push records (hot packs, hot files written before packs, first-layout files and
 * partitions), one per id, leaving
 * retracted ids out (a tombstone under `tombstones/<metric>/` beats every version of its id), and the
 * retractions per sender.
 */
async function scanPushRecords(dataDir: string, now: number): Promise<PushScan> {
  const accepted = new Map<string, { last: string; day: number; week: number }>();
  const stored = new Set<string>();
  const tombstoned = new Set<string>();
  // Retracted items per sender: metric + item id → the tombstones' record ids.
  const retractions = new Map<string, Map<string, string[]>>();
  const records: StoredRecord[] = [];
  for (const metric of PUSH_METRICS) {
    const tombstones = join(dataDir, TOMBSTONE_ROOT, metric);
    for (const file of jsonFiles(tombstones)) {
      const record = readRecord(join(tombstones, file));
      const sender = record?.output?.sender;
      if (
        !record ||
        typeof record.id !== 'string' ||
        record.status !== 'retracted' ||
        typeof sender !== 'string'
      )
        continue;
      tombstoned.add(record.id);
      const items = retractions.get(sender) ?? new Map<string, string[]>();
      const key = `${metric}\n${String(record.output?.id)}`;
      items.set(key, [...(items.get(key) ?? []), record.id]);
      retractions.set(sender, items);
    }
    // Hot packs (every line a record: a record made better later is in two packs, counted once by id), hot
    // and first-layout files (one record each), five folders down; never the index entries' minute folders.
    for (const root of [join(dataDir, HOT_ROOT, metric), join(dataDir, metric)]) {
      for (const path of recordFilesIn(root, 5)) {
        if (path.endsWith(PACK_SUFFIX))
          records.push(...readPack(path).filter((r) => typeof r.id === 'string'));
        else {
          const record = readRecord(path);
          if (record && typeof record.id === 'string') records.push(record);
        }
      }
    }
    records.push(...(await partitionRecords(dataDir, metric)));
  }
  for (const record of records) stored.add(record.id as string);
  // One record per id, the better one by the order every reader uses (`compareStanding`: status, then
  // revision; a record made better later is in two packs, or hot and in a partition, and a crash can leave
  // two versions neither of which `isBetter` beats): its receipt is the one counted. Ties: the first met.
  const best = new Map<string, StoredRecord>();
  for (const record of records) {
    const id = record.id as string;
    const seen = best.get(id);
    if (!seen || compareStanding(standingOf(record), standingOf(seen)) > 0) best.set(id, record);
  }
  for (const [id, record] of best) {
    const sender = record.output?.sender;
    if (
      record.collected_by !== 'push' ||
      typeof sender !== 'string' ||
      typeof record.received_at !== 'string'
    )
      continue;
    if (tombstoned.has(id)) continue;
    const entry = accepted.get(sender) ?? { last: record.received_at, day: 0, week: 0 };
    if (record.received_at > entry.last) entry.last = record.received_at;
    const age = now - Date.parse(record.received_at);
    if (age <= DAY_MS) entry.day += 1;
    if (age <= 7 * DAY_MS) entry.week += 1;
    accepted.set(sender, entry);
  }
  const retracted = new Map<string, { items: number; unmatched: number }>();
  for (const [sender, items] of retractions) {
    let unmatched = 0;
    for (const ids of items.values()) if (!ids.some((id) => stored.has(id))) unmatched += 1;
    retracted.set(sender, { items: items.size, unmatched });
  }
  return { accepted, retracted };
}

function readLogs(dataDir: string): Map<string, SenderLogFile> {
  const logs = new Map<string, SenderLogFile>();
  let files: string[];
  try {
    files = readdirSync(join(dataDir, SENDERS_STATE_DIR));
  } catch {
    return logs;
  }
  for (const file of files) {
    if (!file.endsWith('.json') || file.startsWith('_') || file.startsWith('.')) continue;
    const sender = file.slice(0, -'.json'.length);
    logs.set(sender, parseLog(readFileSync(join(dataDir, SENDERS_STATE_DIR, file), 'utf8'), sender));
  }
  return logs;
}

function refusedCounts(log: SenderLogFile | undefined, now: number): { last_24h: number; last_7d: number } {
  const counts = { last_24h: 0, last_7d: 0 };
  if (!log) return counts;
  // An hour bucket counts when it started within the period (at most an hour's blur at the edge).
  const dayAgo = new Date(now - DAY_MS).toISOString().slice(0, 13);
  const weekAgo = new Date(now - 7 * DAY_MS).toISOString().slice(0, 13);
  for (const [hour, count] of Object.entries(log.refused_items_by_hour)) {
    if (hour >= dayAgo) counts.last_24h += count;
    if (hour >= weekAgo) counts.last_7d += count;
  }
  return counts;
}

function topErrors(log: SenderLogFile | undefined, now: number): { error: string; count: number }[] {
  if (!log) return [];
  const counts = new Map<string, number>();
  const add = (error: string) => counts.set(error, (counts.get(error) ?? 0) + 1);
  for (const entry of log.refused) {
    if (now - Date.parse(entry.at) > 7 * DAY_MS) continue;
    if (entry.errors.length === 0) add(entry.answer);
    for (const item of entry.errors)
      for (const e of item.errors) add(e.path ? `${e.path}: ${e.message}` : e.message);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, TOP_ERRORS)
    .map(([error, count]) => ({ error, count }));
}
