import type { MetricRecord } from '../pipeline/types';

export interface WriteResult {
  /** Ids written (new, or replacing a worse record). */
  written: string[];
  /** Ids whose path already held an equal or better record: nothing written. */
  unchanged: string[];
  /** Ids the store can never hold (checked before any request: e.g. a record larger than a tree request). */
  rejected?: { id: string; reason: string }[];
}

export interface WriteOptions {
  /**
   * Epoch milliseconds (on the store's clock) by which the write must have returned: no wait (write budget,
   * rate limit, backoff) and no request reaches past it; the write fails with `StoreUnavailableError`.
   */
  deadline?: number;
  /**
   * Longest wait for the write budget (the pacer): a write that would wait longer fails at once with
   * `StoreUnavailableError` carrying the wait, so that nobody is billed for waiting (the worker: the queue
   * waits instead). Default: up to the deadline.
   */
  maxBudgetWaitMs?: number;
}

/**
 * The write cannot finish now but can later (GitHub answering 5xx or not at all, rate limits, the write
 * budget spent, the deadline reached): nothing about the records is wrong. `retryAfterMs` says when trying
 * again makes sense, when known.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  /**
   * Ids of the batch's records that are stored all the same (committed before the write stopped, or found
   * stored already): their events need no retry. Set by the store's `write`.
   */
  settled?: readonly string[];
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** GitHub refused the commit for good (a 4xx that is neither a rate limit nor a ref race): these records, as they are, cannot be stored. */
export class StoreRefusedError extends Error {
  override readonly name = 'StoreRefusedError';
}

/**
 * Where records go. Both stores use the same layout (`recordPath`) and the same "better record wins"
 * rule, so a data directory and a clone of the data repository are interchangeable.
 * `write` is all-or-error for the caller: when it throws, the caller retries the whole batch, which is safe
 * because writing is idempotent by path.
 */
export interface Store {
  write(records: readonly MetricRecord[], options?: WriteOptions): Promise<WriteResult>;
  /** Reads a file under the data root (e.g. `_state/...`), or undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Writes (creates or replaces) a file under the data root, e.g. job cursors under `_state/`. */
  writeFile(path: string, content: string): Promise<void>;
}
