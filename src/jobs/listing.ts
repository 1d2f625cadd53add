import type { GitHubClient } from '../github/client';
import { type RateBudget, StopJob } from './budget';

// biome-ignore lint/suspicious/noExplicitAny: REST items, validated where they are used
export type Rest = Record<string, any>;

export interface ListingContext {
  github: GitHubClient;
  budget: RateBudget;
  signal?: AbortSignal;
}

export interface Page {
  items: Rest[];
  /** `total_count` of search-like listings (workflow runs), else null. */
  totalCount: number | null;
  /** The `Link: rel="next"` URL, or null on the last page. */
  next: string | null;
  etag: string | null;
}

/** Throws StopJob when the job must stop before its next request (budget spent, or aborted). */
export function checkBudget(ctx: ListingContext): void {
  if (ctx.signal?.aborted) throw new StopJob('aborted');
  if (ctx.budget.exhausted) throw new StopJob('request budget spent');
}

/**
 * Reads one page of a listing. `route` is `GET /path/{param}` or a `next` URL from a previous page. With
 * `etag` the request is conditional: GitHub answers 304 when nothing changed, which costs no rate limit, and
 * this returns `'not-modified'`. `key` names the array inside an object answer (`workflow_runs`, `jobs`).
 */
export async function getPage(
  ctx: ListingContext,
  route: string,
  params: Record<string, unknown> = {},
  options: { key?: string; etag?: string | null } = {},
): Promise<Page | 'not-modified'> {
  checkBudget(ctx);
  const headers: Record<string, string> = options.etag ? { 'if-none-match': options.etag } : {};
  let response: { data: unknown; headers: Record<string, string | number | undefined> };
  try {
    response = await ctx.github.request(route, { ...params, headers });
  } catch (error) {
    if ((error as { status?: number }).status === 304) return 'not-modified';
    throw error;
  }
  const data = response.data as Rest | Rest[];
  const items = Array.isArray(data) ? data : ((options.key ? data[options.key] : undefined) ?? []);
  if (!Array.isArray(items)) throw new Error(`${route}: the answer has no list ${options.key ?? ''}`.trim());
  const total = !Array.isArray(data) && typeof data.total_count === 'number' ? data.total_count : null;
  return {
    items,
    totalCount: total,
    next: nextLink(response.headers.link),
    etag: typeof response.headers.etag === 'string' ? response.headers.etag : null,
  };
}

/** Every page of a listing, first to last, following `Link: rel="next"` (page numbers or cursors alike). */
export async function* listPages(
  ctx: ListingContext,
  route: string,
  params: Record<string, unknown> = {},
  options: { key?: string; etag?: string | null; first?: Page } = {},
): AsyncGenerator<Page | 'not-modified'> {
  let page = options.first ?? (await getPage(ctx, route, { per_page: 100, ...params }, options));
  yield page;
  while (page !== 'not-modified' && page.next) {
    page = await getPage(ctx, `GET ${page.next}`, {}, options.key ? { key: options.key } : {});
    yield page;
  }
}

export function nextLink(link: string | number | undefined): string | null {
  if (typeof link !== 'string') return null;
  for (const part of link.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="next"/.exec(part);
    if (match?.[1]) return match[1];
  }
  return null;
}
