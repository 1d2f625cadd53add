import { errorMessage, type Logger } from '../log/logger';
import type { MetricRecord } from '../pipeline/types';
import type { Store, WriteResult } from '../store/types';

/**
 * Watches the store's writes: the first failure makes the collector unhealthy with the reason (one log line),
 * the first success after it makes it healthy again (one log line). While it is unhealthy, /healthz says so,
 * new deliveries get 503 + Retry-After from the queue's `outage`, and queued work is retried without using up
 * attempts, so an outage of ours never dead-letters good deliveries.
 */
export class StoreHealth {
  private failure: string | undefined;
  readonly store: Store;

  constructor(
    inner: Store,
    private readonly logger: Logger,
  ) {
    const watch = <T>(work: Promise<T>): Promise<T> =>
      work.then(
        (value) => {
          this.recovered();
          return value;
        },
        (error: unknown) => {
          this.failed(error);
          throw error;
        },
      );
    this.store = {
      write: (records: readonly MetricRecord[]): Promise<WriteResult> => watch(inner.write(records)),
      readFile: (path: string) => inner.readFile(path),
      writeFile: (path: string, content: string) => watch(inner.writeFile(path, content)),
    };
  }

  /** Why the store cannot write, or undefined when its last write worked. */
  get problem(): string | undefined {
    return this.failure;
  }

  /** `logger` without processBatch's per-attempt "store write failed" line (this class logs the change). */
  quiet(logger: Logger): Logger {
    return {
      ...logger,
      error: (message, fields) =>
        message === 'store write failed' ? logger.debug(message, fields) : logger.error(message, fields),
    };
  }

  private failed(error: unknown): void {
    // Only a failure of the medium is an outage. Anything else (a record the store refuses) fails just its
    // events, which are retried and dead-lettered as usual, so one poison event cannot stop the collector.
    if (!isOutage(error)) return;
    const reason = `store cannot write: ${errorMessage(error)}`;
    if (this.failure === undefined) this.logger.error('store unhealthy', { reason });
    this.failure = reason;
  }

  private recovered(): void {
    if (this.failure === undefined) return;
    this.failure = undefined;
    this.logger.info('store healthy again');
  }
}

/** File system and network error codes that say the store itself cannot write right now. */
const OUTAGE_CODES = new Set([
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'EACCES',
  'EPERM',
  'EIO',
  'EMFILE',
  'ENFILE',
  'EBUSY',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EAI_AGAIN',
]);

/** Is this write failure the store's (disk full, read-only, unreachable, rate-limited) rather than the event's? */
export function isOutage(error: unknown): boolean {
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  if (typeof code === 'string' && OUTAGE_CODES.has(code)) return true;
  return typeof status === 'number' && (status >= 500 || status === 429 || status === 403);
}
