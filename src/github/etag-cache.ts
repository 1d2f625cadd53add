import type { Octokit } from '@octokit/core';

/**
 * Conditional requests for resources read again (listings a backfill walks every hour, a repository read by
 * every event): GET answers with an `ETag` are remembered; the next GET of the same URL sends
 * `If-None-Match`, and GitHub's `304 Not Modified`, which costs no rate limit, is answered from memory.
 * `@octokit/request` throws a 304 as a RequestError; the hook turns it back into the remembered response, so
 * callers (and `octokit.paginate`) never see the difference.
 *
 * Bounded LRU: at most `maxEntries` responses are kept (one per URL, i.e. per page of a listing); the least
 * recently used goes first. Responses are stored and returned as copies, because some callers (the
 * pagination plugin) rewrite `response.data` in place.
 */
export interface EtagCacheOptions {
  /** Responses kept at most (default 500). */
  maxEntries?: number;
}

interface CachedResponse {
  etag: string;
  status: number;
  url: string;
  headers: Record<string, unknown>;
  data: unknown;
}

export interface EtagCacheStats {
  /** 304 answers served from memory (requests that cost no rate limit). */
  hits: number;
  /** Conditional-capable GETs that had nothing (valid) in memory. */
  misses: number;
  entries: number;
  evictions: number;
}

export class EtagCache {
  readonly maxEntries: number;
  private readonly entries = new Map<string, CachedResponse>();
  private readonly counters = { hits: 0, misses: 0, evictions: 0 };

  constructor(options: EtagCacheOptions = {}) {
    this.maxEntries = options.maxEntries ?? 500;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new Error(`EtagCache maxEntries must be a positive integer, got ${options.maxEntries}`);
    }
  }

  stats(): EtagCacheStats {
    return { ...this.counters, entries: this.entries.size };
  }

  /** Wires the cache into one client's request hook (through the `conditionalRequests` plugin). */
  install(octokit: Pick<Octokit, 'hook' | 'request'>): void {
    octokit.hook.wrap('request', async (request, options) => {
      if (options.method !== 'GET') return request(options);
      const { url, headers } = octokit.request.endpoint.parse(options);
      const key = `${url}\n${headers.accept ?? ''}`;
      const cached = this.get(key);
      // In place: before-after-hook hands the hooks inside this one (auth, request log) the original options.
      if (cached) options.headers = { ...options.headers, 'if-none-match': cached.etag };
      try {
        const response = await request(options);
        this.counters.misses += 1; // nothing remembered, or the resource changed
        const etag = response.headers.etag;
        if (typeof etag !== 'string' || !etag) {
          this.entries.delete(key);
        } else {
          this.put(key, {
            etag,
            status: response.status,
            url: response.url,
            headers: { ...response.headers },
            data: structuredClone(response.data),
          });
        }
        return response;
      } catch (error) {
        if (cached && (error as { status?: unknown }).status === 304) {
          this.counters.hits += 1;
          const fresh =
            (error as { response?: { headers?: Record<string, unknown> } }).response?.headers ?? {};
          return {
            status: cached.status,
            url: cached.url,
            // Fresh rate-limit headers from the 304, the rest (link, etag) as remembered.
            headers: { ...cached.headers, ...fresh, etag: cached.etag },
            data: structuredClone(cached.data),
          } as Awaited<ReturnType<typeof request>>;
        }
        throw error;
      }
    });
  }

  /** The entry, now the most recently used. */
  private get(key: string): CachedResponse | undefined {
    const entry = this.entries.get(key);
    if (entry) this.put(key, entry);
    return entry;
  }

  private put(key: string, entry: CachedResponse): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.counters.evictions += 1;
    }
  }
}

/** Octokit plugin: installs the constructor option `etagCache` (an EtagCache), when given. */
export function conditionalRequests(octokit: Octokit, options: object): Record<string, never> {
  const { etagCache } = options as { etagCache?: unknown };
  if (etagCache instanceof EtagCache) etagCache.install(octokit);
  return {};
}
