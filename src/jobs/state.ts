import type { z } from 'zod';
import type { Store } from '../store/types';

/**
 * Job state (cursors, redelivery log) lives in the data repository under `_state/`, next to the records it
 * describes: whoever holds the data holds the cursors, and a fresh data directory starts a full backfill.
 * A state file that no longer parses is reported, never silently reset.
 */
export async function readState<T extends z.ZodType>(
  store: Store,
  path: string,
  schema: T,
): Promise<z.infer<T> | undefined> {
  const text = await store.readFile(`_state/${path}`);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`_state/${path} is not valid JSON: fix or delete it (deleting restarts from the window)`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const problem = parsed.error.issues[0];
    throw new Error(
      `_state/${path}: ${problem?.path.join('.') || '(root)'}: ${problem?.message}; fix or delete the file`,
    );
  }
  return parsed.data;
}

export async function writeState(store: Store, path: string, value: unknown): Promise<void> {
  await store.writeFile(`_state/${path}`, `${JSON.stringify(value, null, 2)}\n`);
}

/** A file-name-safe form of an owner or repository name. */
export function stateSegment(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').toLowerCase();
}
