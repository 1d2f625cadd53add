import type { MetricRecord } from '../pipeline/types';

export interface WriteResult {
  /** Ids written (new, or replacing a worse record). */
  written: string[];
  /** Ids whose path already held an equal or better record: nothing written. */
  unchanged: string[];
}

/**
 * Where records go. Both stores use the same layout (`recordPath`) and the same "better record wins"
 * rule, so a data directory and a clone of the data repository are interchangeable.
 * `write` is all-or-error for the caller: when it throws, the caller retries the whole batch, which is safe
 * because writing is idempotent by path.
 */
export interface Store {
  write(records: readonly MetricRecord[]): Promise<WriteResult>;
  /** Reads a file under the data root (e.g. `_state/...`), or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Writes (creates or replaces) a file under the data root, e.g. job cursors under `_state/`. */
  writeFile(path: string, content: string): Promise<void>;
}
