import type { GitHubClient } from '../github/client';

export const CONTENTS_CALL = 'GET /repos/{owner}/{repo}/contents/{path}';

/** What a JSON file at a commit says in one field: absent, not JSON, or the field's value. */
export type JsonField =
  | { present: false }
  | { present: true; parsable: false; value: null }
  | { present: true; parsable: true; value: string | null };

/**
 * The value at a dot path (`version`, `tooling.version`) of a parsed JSON document, as a string: strings as
 * they are, numbers as written; anything else (absent, object, array, boolean, null) is null.
 */
export function jsonField(document: unknown, field: string): string | null {
  let value: unknown = document;
  for (const key of field.split('.')) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** Parses `text` as JSON and reads `field`; a file that is not JSON (or not an object) is not parsable. */
export function jsonFieldOf(text: string, field: string): JsonField {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { present: true, parsable: false, value: null };
  }
  if (!document || typeof document !== 'object' || Array.isArray(document)) {
    return { present: true, parsable: false, value: null };
  }
  return { present: true, parsable: true, value: jsonField(document, field) };
}

/**
 * Reads `path` at commit `ref` through the contents API (one request) and returns `field` of it. A file that
 * does not exist at that commit is `present: false` (the caller knows the repository itself is readable); a
 * file above 1 MB (which the contents API does not inline) or a directory throws.
 */
export async function readJsonField(
  github: GitHubClient,
  target: { owner: string; repo: string; path: string; ref: string },
  field: string,
): Promise<JsonField> {
  let data: unknown;
  try {
    ({ data } = await github.request(CONTENTS_CALL, target));
  } catch (error) {
    if ((error as { status?: unknown }).status === 404) return { present: false };
    throw error;
  }
  const body = data as { type?: string; encoding?: string; content?: string };
  if (Array.isArray(data) || body.type !== 'file') throw new Error(`${target.path} is not a file`);
  if (body.encoding !== 'base64' || typeof body.content !== 'string') {
    throw new Error(`${target.path}: not read, the contents API does not inline files above 1 MB`);
  }
  return jsonFieldOf(Buffer.from(body.content, 'base64').toString('utf8'), field);
}
