import { z } from 'zod';
import { isIsoTime } from '../time';

/**
 * The parts of GitHub webhook payloads the metrics read, validated at the boundary. Objects are loose:
 * GitHub adds fields all the time, and only what we read must be present and well-typed.
 */

/** GitHub ids can pass 2^53: accepted as numbers or strings, always handled as decimal strings. */
export const githubId = z
  .union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)])
  .transform(String);

/** A strict ISO-8601 date-time (src/time.ts): `"1"` or `2021-02-30` are refused, not filed under 2001 or March. */
export const isoTime = z.string().refine(isIsoTime, 'must be an ISO-8601 date-time with a time zone');

export const repositorySchema = z.looseObject({
  id: githubId,
  name: z.string().min(1),
  full_name: z.string().min(1),
  owner: z.looseObject({ login: z.string().min(1) }),
  default_branch: z.string().optional(),
});
export type RepositoryPayload = z.infer<typeof repositorySchema>;

/** Thrown for a payload that can never be collected (wrong shape): the worker parks it instead of retrying. */
export class InvalidPayloadError extends Error {
  override readonly name = 'InvalidPayloadError';
}

/**
 * Parses `value` with `schema`, turning zod's issues into one readable message naming each bad path. Any zod
 * schema: classic ones, and the `zod/mini` ones of the push contract (src/push/kinds.ts).
 */
export function parsePayload<T extends z.core.$ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const problems = result.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  throw new InvalidPayloadError(`${what}: ${problems}`);
}
