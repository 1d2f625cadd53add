import type { RecordError } from '../pipeline/types';
import type { MetricContext } from './types';

export type Enriched<T> = { ok: true; value: T } | { ok: false; error: RecordError };

/**
 * Runs one enrichment (one or more GitHub calls) and turns any failure into a RecordError instead of
 * throwing, so the metric still returns its record, marked partial. `call` names the endpoint as GitHub
 * documents it, e.g. `GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews`. Without a token it fails at
 * once with the "no token" error. 404 and 403 say the token cannot see the repository (private, or no
 * access), never "does not exist".
 */
export async function enrich<T>(
  ctx: MetricContext,
  call: string,
  fn: (github: NonNullable<MetricContext['github']>) => Promise<T>,
): Promise<Enriched<T>> {
  if (!ctx.github) {
    return {
      ok: false,
      error: { call, message: 'no GitHub token configured (GITHUB_TOKEN): enrichment skipped' },
    };
  }
  try {
    return { ok: true, value: await fn(ctx.github) };
  } catch (error) {
    const status =
      typeof (error as { status?: unknown }).status === 'number'
        ? (error as { status: number }).status
        : undefined;
    let message = error instanceof Error ? error.message : String(error);
    if (status === 404 || status === 403) {
      message = `the token cannot read this repository or resource (HTTP ${status}): ${message}`;
    }
    return { ok: false, error: { call, ...(status !== undefined ? { status } : {}), message } };
  }
}
