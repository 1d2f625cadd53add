import { z } from 'zod';
import { isoTime } from '../github/payloads';
import type { AppPermissions } from '../github/permissions';
import { RateBudget, StopJob } from './budget';
import { checkBudget, listPages } from './listing';
import { readState, stateSegment, writeState } from './state';
import type { Job } from './types';
import { isTimeSpec, parseTimeSpec } from './window';

/** GitHub redelivers a delivery only within this many days. */
export const REDELIVERY_WINDOW_MS = 3 * 86_400_000;
const RUNS_KEPT = 50;

/** Delivery ids passed 2^53: Octokit parses such numbers as BigInt; they are kept as decimal strings. */
const deliveryIdSchema = z
  .union([z.bigint().nonnegative(), z.number().int().nonnegative(), z.string().regex(/^\d+$/)])
  .transform(String);

export const deliverySchema = z.looseObject({
  id: deliveryIdSchema,
  guid: z.string().min(1),
  delivered_at: isoTime,
  status: z.string(),
  status_code: z.number().int(),
  redelivery: z.boolean().optional(),
  event: z.string().optional(),
  action: z.string().nullable().optional(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const redeliverInput = z
  .object({
    /** Organisation whose hook it is (organisation webhooks). */
    org: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,39}$/, 'a GitHub organisation name')
      .optional(),
    /** `owner/name` whose hook it is (repository webhooks). */
    repo: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/, 'owner/name')
      .optional(),
    /** The GitHub App's own webhook (`/app/hook/deliveries`, authenticated as the App with its JWT). */
    app: z.boolean().default(false),
    /** The hook's id (organisation and repository hooks; the App has one hook, named by `app: true`). */
    hook: z
      .union([z.number().int().positive(), z.string().regex(/^\d+$/, 'a hook id (digits)')])
      .transform(String)
      .optional(),
    /** How far back to look on the first run (later runs start at the cursor); GitHub keeps 3 days. */
    since: z.string().refine(isTimeSpec, 'an age (24h, 3d) or an ISO-8601 time').default('24h'),
    /** Redeliveries per delivery guid before giving up on it. */
    maxAttempts: z.number().int().min(1).max(10).default(3),
    budgetShare: z.number().gt(0).max(1).default(0.5),
  })
  .strict()
  .refine((i) => [i.org !== undefined, i.repo !== undefined, i.app].filter(Boolean).length === 1, {
    message:
      'name exactly one of org (organisation hook), repo (repository hook) or app: true (the App hook)',
    path: ['org'],
  })
  .refine((i) => i.app || i.hook !== undefined, {
    message: 'an organisation or repository hook needs its id (hook)',
    path: ['hook'],
  });
export type RedeliverInput = z.infer<typeof redeliverInput>;

const runLogSchema = z.looseObject({
  at: isoTime,
  listed: z.number(),
  failed_guids: z.number(),
  redelivered: z.array(z.object({ guid: z.string(), delivery_id: z.string(), event: z.string().nullable() })),
});

export const redeliverStateSchema = z.looseObject({
  /** delivered_at of the newest delivery seen: the next run lists down to here. */
  cursor: isoTime.nullable().default(null),
  /** Redeliveries asked per guid (kept while GitHub can still redeliver it). */
  attempts: z.record(z.string(), z.object({ count: z.number().int(), last_at: isoTime })).default({}),
  /** The last runs, newest first: what was redelivered. */
  runs: z.array(runLogSchema).default([]),
});
type RedeliverState = z.infer<typeof redeliverStateSchema>;

export function redeliverStatePath(input: Pick<RedeliverInput, 'org' | 'repo' | 'hook' | 'app'>): string {
  if (input.app) return 'redeliver/app-hook.json';
  const scope = input.org ? `org-${stateSegment(input.org)}` : `repo-${stateSegment(input.repo ?? '')}`;
  return `redeliver/${scope}-hook-${input.hook}.json`;
}

/** The hook's API path: the App's, an organisation's or a repository's. */
function hookPath(input: RedeliverInput): string {
  if (input.app) return '/app/hook';
  return input.org
    ? `/orgs/${encodeURIComponent(input.org)}/hooks/${input.hook}`
    : `/repos/${input.repo}/hooks/${input.hook}`;
}

function isOk(delivery: Delivery): boolean {
  return delivery.status === 'OK' || (delivery.status_code >= 200 && delivery.status_code < 300);
}

/**
 * `redeliver`: lists the hook's deliveries back to its cursor (first run: `since`), groups them by guid (a
 * redelivery keeps the guid), skips every guid that has an OK delivery, and asks GitHub to redeliver the
 * newest failed delivery of each other guid still inside GitHub's 3-day window, at most `maxAttempts` times
 * per guid. What it did is recorded in `_state/redeliver/`; the collector then receives the deliveries as
 * usual and, ids being deterministic, stores each entity once.
 */
export const redeliver: Job<RedeliverInput> = {
  name: 'redeliver',
  description: "Redeliver the webhook's failed deliveries (3-day window), once per delivery guid.",
  input: redeliverInput,
  // GitHub asks write access to a hook to redeliver from it; the App's own hook takes the App's JWT and no
  // installation permission at all.
  permissions: (input): AppPermissions => {
    if (input.app) return {};
    return input.org ? { organization_hooks: 'write' } : { repository_hooks: 'write' };
  },
  async run(input, ctx) {
    const now = ctx.now();
    if (input.app && ctx.config.githubAuth.source !== 'app') {
      throw new Error(
        'redelivering the App\'s hook authenticates as the App: set githubAuth.source to "app" and give the App\'s credentials',
      );
    }
    const base = hookPath(input);
    const path = redeliverStatePath(input);
    const saved: RedeliverState = (await readState(ctx.store, path, redeliverStateSchema)) ?? {
      cursor: null,
      attempts: {},
      runs: [],
    };
    const oldest = now.getTime() - REDELIVERY_WINDOW_MS;
    const requested = parseTimeSpec(input.since, now).getTime();
    const start = Math.max(
      oldest,
      saved.cursor ? Math.min(Date.parse(saved.cursor), now.getTime()) : requested,
    );
    const budget = new RateBudget(input.budgetShare, 5, () => ctx.now().getTime());
    const detach = budget.attach(ctx.github);
    const lctx = { github: ctx.github, budget, ...(ctx.signal ? { signal: ctx.signal } : {}) };

    const byGuid = new Map<string, Delivery[]>();
    let listed = 0;
    let newest = saved.cursor ? Date.parse(saved.cursor) : Number.NEGATIVE_INFINITY;
    let stopped: string | null = null;
    const redelivered: { guid: string; delivery_id: string; event: string | null }[] = [];
    const counts = {
      listed: 0,
      guids: 0,
      ok: 0,
      redelivered: 0,
      expired: 0,
      gave_up: 0,
      refused: 0,
      requests: 0,
    };
    const attempts = { ...saved.attempts };
    try {
      try {
        pages: for await (const page of listPages(lctx, `GET ${base}/deliveries`, {})) {
          if (page === 'not-modified') break;
          for (const raw of page.items) {
            const parsed = deliverySchema.safeParse(raw);
            if (!parsed.success) {
              throw new Error(
                `GET ${base}/deliveries: unexpected delivery: ${parsed.error.issues[0]?.message}`,
              );
            }
            const delivery = parsed.data;
            const at = Date.parse(delivery.delivered_at);
            if (at < start) break pages; // listed newest first
            listed += 1;
            newest = Math.max(newest, at);
            const group = byGuid.get(delivery.guid) ?? [];
            group.push(delivery);
            byGuid.set(delivery.guid, group);
          }
        }
      } catch (error) {
        if (!(error instanceof StopJob)) throw error;
        stopped = error.message;
      }

      counts.listed = listed;
      counts.guids = byGuid.size;
      for (const [guid, group] of byGuid) {
        if (stopped) break;
        if (group.some(isOk)) {
          counts.ok += 1;
          continue;
        }
        const latest = group.reduce((a, b) =>
          Date.parse(b.delivered_at) > Date.parse(a.delivered_at) ? b : a,
        );
        if (Date.parse(latest.delivered_at) < oldest) {
          counts.expired += 1;
          continue;
        }
        if ((attempts[guid]?.count ?? 0) >= input.maxAttempts) {
          counts.gave_up += 1;
          continue;
        }
        if (ctx.dryRun) {
          counts.redelivered += 1;
          redelivered.push({ guid, delivery_id: latest.id, event: latest.event ?? null });
          continue;
        }
        try {
          checkBudget(lctx);
          await ctx.github.request(`POST ${base}/deliveries/{delivery_id}/attempts`, {
            delivery_id: latest.id,
          });
        } catch (error) {
          if (error instanceof StopJob) {
            stopped = error.message;
            break;
          }
          const status = (error as { status?: number }).status;
          if (status === 422 || status === 404) {
            counts.refused += 1; // GitHub will not redeliver it (too old, or gone)
            ctx.logger.warn('redelivery refused', { guid, delivery_id: latest.id, status });
            continue;
          }
          throw error;
        }
        counts.redelivered += 1;
        redelivered.push({ guid, delivery_id: latest.id, event: latest.event ?? null });
        attempts[guid] = { count: (attempts[guid]?.count ?? 0) + 1, last_at: now.toISOString() };
      }
    } finally {
      detach();
      counts.requests = budget.requests;
    }

    if (!ctx.dryRun) {
      for (const [guid, entry] of Object.entries(attempts)) {
        if (Date.parse(entry.last_at) < oldest) delete attempts[guid];
      }
      const state: RedeliverState = {
        // After a stop the cursor stays: the unread or unhandled deliveries are listed again.
        cursor: stopped || !Number.isFinite(newest) ? saved.cursor : new Date(newest).toISOString(),
        attempts,
        runs: [
          { at: now.toISOString(), listed, failed_guids: counts.guids - counts.ok, redelivered },
          ...saved.runs,
        ].slice(0, RUNS_KEPT),
      };
      await writeState(ctx.store, path, state);
    }
    const verb = ctx.dryRun ? 'would redeliver' : 'redelivered';
    const head = `${input.app ? 'App hook' : `hook ${input.hook}`}: ${counts.listed} deliveries, ${counts.guids} guids, ${counts.ok} ok, ${verb} ${counts.redelivered}, ${counts.expired} past the 3-day window, ${counts.gave_up} given up after ${input.maxAttempts} attempts, ${counts.refused} refused`;
    return {
      job: 'redeliver',
      finished: stopped === null,
      counts,
      message: stopped ? `${head}; stopped early (${stopped}): the next run continues` : head,
    };
  },
};
