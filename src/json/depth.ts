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
  const buffer = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  for (let i = 0; i < buffer.length; i++) {
    const byte = buffer[i];
    if (byte === QUOTE) {
      // Jump over the string with a native search for its closing quote (most bytes of a payload are in
      // strings): a quote preceded by an odd number of backslashes is escaped, keep searching.
      let end = buffer.indexOf(QUOTE, i + 1);
      while (end > 0) {
        let slashes = 0;
        while (buffer[end - 1 - slashes] === BACKSLASH) slashes++;
        if (slashes % 2 === 0) break;
        end = buffer.indexOf(QUOTE, end + 1);
      }
      if (end < 0) return deepest;
      i = end;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return deepest;
}
