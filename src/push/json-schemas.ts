import * as z from 'zod/mini';
import { MAX_ITEMS, type PushKind, pushKinds } from './kinds';

// Named once per process (zod's global registry refuses an id twice): each item lands once under $defs.
const named = Object.fromEntries(
  (Object.keys(pushKinds) as PushKind[]).map((kind) => [kind, pushKinds[kind].check(z.meta({ id: kind }))]),
) as unknown as Record<PushKind, z.ZodMiniType>;

/**
 * JSON Schemas of the push request bodies, generated from the zod schemas (the one source of truth), for
 * senders who validate before sending. One file per kind under docs/schemas/, each accepting one item or
 * `{"items": [...]}`. Refinements that JSON Schema cannot say (started_at ≤ finished_at, at most N map keys,
 * no `__proto__`/`constructor`/`prototype` key anywhere) are enforced by the collector only.
 * `npm run schemas` writes them; a test fails when they are stale.
 */
export function pushJsonSchemas(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const kind of Object.keys(pushKinds) as PushKind[]) {
    const item = named[kind];
    const items = z.array(item).check(z.minLength(1), z.maxLength(MAX_ITEMS));
    const body = z.union([item, z.strictObject({ items })]).check(
      z.meta({
        title: `X-Telemetry-Event: ${kind}`,
        description: `Body of a ${kind} push to POST /telemetry: one item, or {"items": [...]} with 1 to ${MAX_ITEMS} items (docs/PUSH.md).`,
      }),
    );
    const schema = z.toJSONSchema(body, { io: 'input', target: 'draft-2020-12' });
    const def = (schema.$defs as Record<string, Record<string, unknown>> | undefined)?.[kind];
    // A rule zod's refinement cannot export but JSON Schema can say: a pipeline run has a start or an end.
    if (kind === 'pipeline-run' && def)
      def.anyOf = [{ required: ['started_at'] }, { required: ['finished_at'] }];
    files[`${kind}.schema.json`] = `${JSON.stringify(schema, null, 2)}\n`;
  }
  return files;
}
