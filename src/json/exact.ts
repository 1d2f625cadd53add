/**
 * JSON.parse that keeps integers beyond 2^53 exact. GitHub ids passed 2^53 in 2026 and may arrive as JSON
 * numbers; JSON.parse would round them (a different id, a wrong record) and the payload schemas would then
 * refuse them. One linear pass over the text (no recursion, no parsing) finds integer literals outside strings
 * that are not safe integers; only when there is one is the text rewritten with those literals quoted, so they
 * reach the schemas as exact decimal strings (`githubId` accepts both). Everything else is JSON.parse's.
 */
export function parseJsonExact(text: string): unknown {
  const spans = unsafeIntegers(text);
  if (spans.length === 0) return JSON.parse(text);
  let out = '';
  let at = 0;
  for (const [start, end] of spans) {
    out += `${text.slice(at, start)}"${text.slice(start, end)}"`;
    at = end;
  }
  return JSON.parse(out + text.slice(at));
}

const MAX_SAFE = String(Number.MAX_SAFE_INTEGER);

/** [start, end) of every integer literal outside strings whose value is above Number.MAX_SAFE_INTEGER. */
function unsafeIntegers(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    const isMinus = c === 0x2d;
    if (!isMinus && (c < 0x30 || c > 0x39)) continue;
    let end = i + (isMinus ? 1 : 0);
    while (end < text.length && text.charCodeAt(end) >= 0x30 && text.charCodeAt(end) <= 0x39) end++;
    const next = text.charCodeAt(end);
    const integer = !(next === 0x2e || next === 0x65 || next === 0x45); // not . e E
    const digits = text.slice(i + (isMinus ? 1 : 0), end);
    if (integer && isUnsafe(digits)) spans.push([i, end]);
    // Skip the rest of the number (fraction, exponent) so its digits are not read as another literal.
    while (end < text.length && /[0-9.eE+-]/.test(text[end] as string)) end++;
    i = end - 1;
  }
  return spans;
}

function isUnsafe(digits: string): boolean {
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  return trimmed.length > MAX_SAFE.length || (trimmed.length === MAX_SAFE.length && trimmed > MAX_SAFE);
}
