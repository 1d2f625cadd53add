import type { SignedEvent } from '../pipeline/types';
import {
  REFUSED_TRIGGER,
  type RefusedRequest,
  UNAUTHENTICATED_TRIGGER,
  type UnauthenticatedCount,
} from '../push/activity';
import type { Store } from '../store/types';

/**
 * The refused-request log, one JSON file per sender under `_state/senders/` of the data store (the local data
 * directory, or the data repository's state area in AWS), never among the records. Bounded: the last
 * `maxEntries` refusals and none older than `maxDays`, whichever keeps fewer; hourly counts of refused items
 * for `maxDays`; request bodies (kept when under 64 KiB) only for the newest refusals, so the file stays
 * under `maxBodyBytes` of bodies. Unauthenticated requests are only counted, per day, in
 * `_state/senders/_unauthenticated.json`.
 */
export interface SenderLogSettings {
  maxEntries: number;
  maxDays: number;
  /** Bodies kept across a sender's file (the newest first); older refusals keep size and hash only. */
  maxBodyBytes?: number;
}

export const DEFAULT_SENDER_LOG: SenderLogSettings = { maxEntries: 1000, maxDays: 7 };
const DEFAULT_MAX_BODY_BYTES = 512 * 1024;

export const SENDERS_STATE_DIR = '_state/senders';
export const UNAUTHENTICATED_FILE = `${SENDERS_STATE_DIR}/_unauthenticated.json`;

export function senderLogPath(sender: string): string {
  return `${SENDERS_STATE_DIR}/${sender}.json`;
}

export interface SenderLogFile {
  sender: string;
  updated_at: string;
  /** Refused items per UTC hour (`YYYY-MM-DDTHH`), for the last `maxDays`. */
  refused_items_by_hour: Record<string, number>;
  /** Refused requests, oldest first. */
  refused: RefusedRequest[];
}

export interface UnauthenticatedFile {
  updated_at: string;
  /** Unauthenticated requests per UTC day (`YYYY-MM-DD`), for the last `maxDays`. */
  by_day: Record<string, number>;
}

export function isSenderActivity(event: SignedEvent): boolean {
  return event.trigger === REFUSED_TRIGGER || event.trigger === UNAUTHENTICATED_TRIGGER;
}

/**
 * Folds a batch's sender events into the log: one read and one write per sender that has any (and one for
 * the unauthenticated count). Idempotent for a retried batch: a refusal already in the log (same id) is not
 * added again. Throws when the store does: the caller retries the events.
 */
export function recordSenderActivity(
  store: Store,
  events: readonly SignedEvent[],
  settings: SenderLogSettings = DEFAULT_SENDER_LOG,
  now: Date = new Date(),
): Promise<void> {
  // Read-modify-write of a shared file: batches processed at once (the local collector runs several) take
  // turns per store, so no refusal is lost to a concurrent write. Across processes (two worker Lambdas),
  // keep the worker's concurrency low, as the write budget asks anyway (docs/ARCHITECTURE.md).
  const previous = turns.get(store) ?? Promise.resolve();
  const mine = previous.then(() => fold(store, events, settings, now));
  turns.set(
    store,
    mine.catch(() => undefined),
  );
  return mine;
}

const turns = new WeakMap<Store, Promise<void>>();

async function fold(
  store: Store,
  events: readonly SignedEvent[],
  settings: SenderLogSettings,
  now: Date,
): Promise<void> {
  const bySender = new Map<string, RefusedRequest[]>();
  const unauthenticated: UnauthenticatedCount[] = [];
  for (const event of events) {
    if (event.trigger === REFUSED_TRIGGER && event.sender) {
      const list = bySender.get(event.sender) ?? [];
      list.push(event.payload as unknown as RefusedRequest);
      bySender.set(event.sender, list);
    } else if (event.trigger === UNAUTHENTICATED_TRIGGER) {
      unauthenticated.push(event.payload as unknown as UnauthenticatedCount);
    }
  }
  for (const [sender, entries] of bySender) {
    const path = senderLogPath(sender);
    const file = parseLog(await store.readFile(path), sender);
    const next = appendRefusals(file, entries, settings, now);
    if (next) await store.writeFile(path, `${JSON.stringify(next, null, 2)}\n`);
  }
  if (unauthenticated.length > 0) {
    const file = parseUnauthenticated(await store.readFile(UNAUTHENTICATED_FILE));
    for (const count of unauthenticated) {
      const day = count.to.slice(0, 10);
      file.by_day[day] = (file.by_day[day] ?? 0) + count.count;
    }
    file.by_day = recentKeys(file.by_day, now, settings.maxDays, 10);
    file.updated_at = now.toISOString();
    await store.writeFile(UNAUTHENTICATED_FILE, `${JSON.stringify(file, null, 2)}\n`);
  }
}

/** The log with `entries` added and the bounds applied; undefined when nothing changed (all seen before). */
export function appendRefusals(
  file: SenderLogFile,
  entries: readonly RefusedRequest[],
  settings: SenderLogSettings,
  now: Date,
): SenderLogFile | undefined {
  const known = new Set(file.refused.map((e) => e.id));
  const fresh = entries.filter((e) => !known.has(e.id));
  if (fresh.length === 0) return undefined;
  const counts = { ...file.refused_items_by_hour };
  for (const entry of fresh) {
    const hour = entry.at.slice(0, 13);
    // A request refused as a whole (bad kind, not JSON) counts as one refused item when it listed none.
    counts[hour] = (counts[hour] ?? 0) + Math.max(entry.items.refused, 1);
  }
  const oldest = now.getTime() - settings.maxDays * 86_400_000;
  let refused = [...file.refused, ...fresh]
    .filter((e) => Date.parse(e.at) >= oldest)
    .sort((a, b) => a.at.localeCompare(b.at));
  refused = refused.slice(Math.max(0, refused.length - settings.maxEntries));
  // Bodies of the newest refusals only, within the byte budget.
  let budget = settings.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  for (let i = refused.length - 1; i >= 0; i -= 1) {
    const entry = refused[i] as RefusedRequest;
    if (entry.body === undefined) continue;
    const bytes = Buffer.byteLength(entry.body);
    if (bytes <= budget) budget -= bytes;
    else {
      const { body: _dropped, ...rest } = entry;
      refused[i] = rest;
    }
  }
  return {
    sender: file.sender,
    updated_at: now.toISOString(),
    refused_items_by_hour: recentKeys(counts, now, settings.maxDays, 13),
    refused,
  };
}

/** Keeps the keys (UTC day or hour prefixes of ISO times) within the last `days`. */
function recentKeys(
  counts: Record<string, number>,
  now: Date,
  days: number,
  length: number,
): Record<string, number> {
  const oldest = new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, length);
  const kept: Record<string, number> = {};
  for (const key of Object.keys(counts).sort()) if (key >= oldest) kept[key] = counts[key] as number;
  return kept;
}

export function parseLog(text: string | undefined, sender: string): SenderLogFile {
  const empty: SenderLogFile = { sender, updated_at: '', refused_items_by_hour: {}, refused: [] };
  if (!text) return empty;
  try {
    const parsed = JSON.parse(text) as Partial<SenderLogFile>;
    return {
      sender,
      updated_at: typeof parsed.updated_at === 'string' ? parsed.updated_at : '',
      refused_items_by_hour:
        parsed.refused_items_by_hour && typeof parsed.refused_items_by_hour === 'object'
          ? parsed.refused_items_by_hour
          : {},
      refused: Array.isArray(parsed.refused) ? parsed.refused : [],
    };
  } catch {
    // A file edited by hand into something else: start again rather than stop logging.
    return empty;
  }
}

export function parseUnauthenticated(text: string | undefined): UnauthenticatedFile {
  try {
    const parsed = text ? (JSON.parse(text) as Partial<UnauthenticatedFile>) : {};
    return {
      updated_at: typeof parsed.updated_at === 'string' ? parsed.updated_at : '',
      by_day: parsed.by_day && typeof parsed.by_day === 'object' ? parsed.by_day : {},
    };
  } catch {
    return { updated_at: '', by_day: {} };
  }
}
