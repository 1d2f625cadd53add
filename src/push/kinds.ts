import { en } from 'zod/locales';
import * as z from 'zod/mini';
import type { PUSH_KIND_NAMES } from './kind-names';

/**
 * The versioned contract of pushed items (docs/PUSH.md; JSON Schemas generated into docs/schemas/ by
 * `npm run schemas`). Unknown fields are dropped, so a sender may already send fields of a later version.
 * Limits are generous for real senders and keep one item well below the queue's 1 MB message size.
 *
 * Written with zod's tree-shakable functional API (`zod/mini`, same package and core as the rest of the
 * project): the webhook Lambda validates pushes, and the classic API would add ~440 KB to its bundle
 * (issue 4 caps it at 150 KB). Descriptions are `z.describe` checks, so `z.toJSONSchema` still emits them.
 * Namespace and named imports on purpose: `import { z } from 'zod/mini'` (and `z.locales.en`) hand the bundler
 * one object it must keep whole, every locale included (~340 KB).
 */

// zod/mini ships no default locale: without English messages every issue would read "Invalid input" instead of
// e.g. "Invalid input: expected string, received undefined". Set only when none is, as classic zod does.
if (!z.config().localeError) z.config(en());

/** Keys that would touch an object's prototype in JavaScript readers of the records. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const text = (max: number) =>
  z.string().check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(max, `must be at most ${max} characters`),
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    z.regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters'),
  );

/** The sender's own unique id for the item: with the sender name it is the natural key of the record. */
const itemId = text(200).check(
  z.describe('unique for this sender: resending the same id never duplicates a record'),
);

const repository = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/,
      'must be "owner/name" (letters, digits, ".", "_", "-")',
    ),
  )
  .check(z.describe('"owner/name" of the repository the item belongs to'));

const time = z.iso
  .datetime({
    offset: true,
    error: (issue) =>
      `${issue.input === undefined ? 'is required: ' : 'must be '}an ISO-8601 date-time with a time zone, e.g. 2026-11-01T12:00:00Z`,
  })
  .check(z.describe('ISO-8601 date-time with Z or an offset'));

/** `earlier` is not after `later`; true when either is absent or invalid (their own checks report that). */
function inOrder(earlier: string | undefined, later: string | undefined): boolean {
  const a = time.safeParse(earlier).success ? Date.parse(earlier as string) : Number.NaN;
  const b = time.safeParse(later).success ? Date.parse(later as string) : Number.NaN;
  return Number.isNaN(a) || Number.isNaN(b) || a <= b;
}

const sha = z
  .string()
  .check(z.regex(/^[0-9a-fA-F]{7,64}$/, 'must be a commit sha (7 to 64 hexadecimal characters)'))
  .check(z.describe('commit sha (7 to 64 hex characters)'));

const url = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
  .check(z.maxLength(2048, 'must be at most 2048 characters'));

const schemaVersion = z
  ._default(z.literal(1, 'must be 1 (the only version of this contract)'), 1)
  .check(z.describe('version of this item contract'));

/** Map keys that can never reach an object's prototype (refused here and, for any field, by the handler). */
const mapKey = (max: number) =>
  z
    .string()
    .check(
      z.regex(
        new RegExp(`^(?!(?:__proto__|constructor|prototype)$)[^\\u0000-\\u001f\\u007f]{1,${max}}$`),
        `keys must be 1 to ${max} characters, without control characters, and not __proto__, constructor or prototype`,
      ),
    );

/** Statuses a pushed deployment may report (each its own push-deployment record). */
export const DEPLOYMENT_STATUSES = ['success', 'failure', 'error', 'in_progress', 'cancelled'] as const;

export const deploymentItem = z
  .object({
    schema_version: schemaVersion,
    id: itemId,
    repository,
    environment: text(255).check(z.describe('deployment environment, e.g. production')),
    sha,
    status: z.enum(DEPLOYMENT_STATUSES),
    finished_at: time.check(z.describe('when the deployment reached this status')),
    started_at: z.optional(time).check(z.describe('when the deployment started')),
    first_commit_at: z
      .optional(time)
      .check(
        z.describe('time of the oldest commit this deployment shipped, when the sender knows it (lead time)'),
      ),
    service: z.optional(text(255)),
    version: z.optional(text(255)),
    url: z.optional(url).check(z.describe('link to the deployment or pipeline')),
    pull_requests: z
      .optional(
        z
          .array(z.number().check(z.int(), z.positive()))
          .check(z.maxLength(1000, 'at most 1000 pull requests')),
      )
      .check(z.describe('numbers of the pull requests this deployment shipped')),
  })
  .check(
    z.refine((item) => inOrder(item.started_at, item.finished_at), {
      message: 'must not be after finished_at',
      path: ['started_at'],
    }),
  )
  .check(
    z.refine((item) => inOrder(item.first_commit_at, item.finished_at), {
      message: 'must not be after finished_at',
      path: ['first_commit_at'],
    }),
  )
  .check(z.describe('A deployment finished (or changed status) in another system.'));

export const incidentItem = z
  .object({
    schema_version: schemaVersion,
    id: itemId,
    repository,
    opened_at: time.check(z.describe('when the incident started or was declared')),
    resolved_at: z.optional(time).check(z.describe('when service was restored; absent while open')),
    severity: z.optional(text(100)),
    title: z.optional(text(1000)),
    service: z.optional(text(255)),
    sha: z.optional(sha).check(z.describe('commit that caused the incident, when known')),
    deployment_id: z
      .optional(text(200))
      .check(z.describe("the sender's id of the deployment that caused it")),
    url: z.optional(url),
  })
  .check(
    z.refine((item) => inOrder(item.opened_at, item.resolved_at), {
      message: 'must not be before opened_at',
      path: ['resolved_at'],
    }),
  )
  .check(z.describe('An incident opened or resolved in another system.'));

export const toolingUsageItem = z
  .object({
    schema_version: schemaVersion,
    repository,
    tools: z
      .record(mapKey(200), text(200))
      .check(z.refine((tools) => Object.keys(tools).length <= 1000, 'at most 1000 tools'))
      .check(z.describe('tool name → version ("*" when present without a version)')),
    sha: z.optional(sha).check(z.describe('commit the tools were read at')),
    observed_at: z.optional(time).check(z.describe('when the tools were read (default: when received)')),
  })
  .check(z.describe('The tooling a repository uses, as another system saw it.'));

export const customMetricItem = z
  .object({
    schema_version: schemaVersion,
    id: itemId,
    name: z
      .string()
      .check(
        z.regex(
          /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/,
          'must be 1 to 100 letters, digits, ".", "_", ":" or "-", starting with a letter or digit',
        ),
      )
      .check(z.describe('metric name, e.g. build.cache_hit_ratio')),
    value: z.number().check(z.describe('a finite number')),
    unit: text(50).check(z.describe('unit of value, e.g. ms, percent, count')),
    observed_at: time.check(z.describe('when the value was observed')),
    repository: z.optional(repository),
    dimensions: z
      .optional(
        z
          .record(mapKey(100), text(200))
          .check(z.refine((d) => Object.keys(d).length <= 50, 'at most 50 dimensions')),
      )
      .check(z.describe('string → string labels')),
  })
  .check(z.describe('A number another system measured.'));

/** Statuses of a pipeline run; the last four are final. */
export const PIPELINE_STATUSES = [
  'queued',
  'in_progress',
  'success',
  'failure',
  'cancelled',
  'skipped',
  'timed_out',
] as const;

export const pipelineRunItem = z
  .object({
    schema_version: schemaVersion,
    id: itemId,
    repository,
    pipeline: text(255).check(z.describe('name of the pipeline, job or workflow')),
    status: z.enum(PIPELINE_STATUSES),
    branch: z.optional(text(255)),
    sha: z.optional(sha),
    actor: z.optional(text(255)).check(z.describe('who or what started the run')),
    url: z.optional(url).check(z.describe('link to the run')),
    queued_at: z.optional(time).check(z.describe('when the run was queued')),
    started_at: z.optional(time).check(z.describe('when the run started')),
    finished_at: z.optional(time).check(z.describe('when the run ended (final statuses)')),
  })
  .check(
    z.refine((item) => item.started_at !== undefined || item.finished_at !== undefined, {
      message: 'is required: started_at or finished_at (an ISO-8601 date-time with a time zone)',
      path: ['started_at'],
    }),
  )
  .check(
    z.refine((item) => inOrder(item.queued_at, item.started_at ?? item.finished_at), {
      message: 'must not be after started_at or finished_at',
      path: ['queued_at'],
    }),
  )
  .check(
    z.refine((item) => inOrder(item.started_at, item.finished_at), {
      message: 'must not be after finished_at',
      path: ['started_at'],
    }),
  )
  .check(
    z.describe(
      "A run of another system's pipeline (Jenkins, GitLab CI, CircleCI, …), sent when it starts and again when it ends.",
    ),
  );

/** Exactly the kinds PUSH_KIND_NAMES names (the light list `telemetry send --help` shows), in its order. */
export const pushKinds = {
  deployment: deploymentItem,
  incident: incidentItem,
  'tooling-usage': toolingUsageItem,
  'custom-metric': customMetricItem,
  'pipeline-run': pipelineRunItem,
} as const satisfies Record<PushKind, z.ZodMiniType>;

export type PushKind = (typeof PUSH_KIND_NAMES)[number];
export type DeploymentItem = z.infer<typeof deploymentItem>;
export type IncidentItem = z.infer<typeof incidentItem>;
export type ToolingUsageItem = z.infer<typeof toolingUsageItem>;
export type CustomMetricItem = z.infer<typeof customMetricItem>;
export type PipelineRunItem = z.infer<typeof pipelineRunItem>;

export function isPushKind(value: string): value is PushKind {
  return Object.hasOwn(pushKinds, value);
}

/** One id of a retraction: the `id` the item was pushed with (tooling-usage: `owner/name@YYYY-MM-DD`). */
export const retractedId = text(200);

/** The payload of one `push::retract` event: which kind, which of the sender's ids. */
export interface RetractPayload {
  kind: PushKind;
  id: string;
}

/** At most this many items in one `{ "items": [...] }` body (more: 413). */
export const MAX_ITEMS = 500;

/**
 * Largest accepted item, as compact JSON (UTF-8). Every item travels as its own queue message (SQS: 1 MB),
 * and no real deployment, incident or tool list comes near it.
 */
export const MAX_ITEM_BYTES = 64 * 1024;

/** "owner/name" → its parts (the schema has already checked the shape). */
export function splitRepository(value: string): { owner: string; repo: string } {
  const [owner = '', repo = ''] = value.split('/', 2);
  return { owner, repo };
}
