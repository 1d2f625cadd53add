/**
 * Deepest nesting a body may have. GitHub's payloads nest about 8 levels, pushed items 3; refusing deeper
 * bodies at the door (400) keeps every later step (JSON.parse, zod, the dead-letter file, serialisation)
 * far from any recursion limit.
 */
export const MAX_JSON_DEPTH = 64;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/**
 * The nesting depth of a JSON text, in one linear pass over its bytes without parsing or recursion; it stops
 * as soon as the depth passes `limit` (returning `limit + 1`). Brackets inside strings do not count. The
 * text need not be valid JSON: JSON.parse still decides that, once the depth is known to be safe.
 */
export function jsonDepth(body: Uint8Array, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
      continue;
    }
    if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return deepest;
}
