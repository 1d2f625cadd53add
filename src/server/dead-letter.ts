/**
 * The text of a dead-letter file. Events reach it only through the door's depth check (at most 64 levels,
 * src/json/depth.ts), so serialising is safe; should it fail anyway (a RangeError), the letter keeps
 * everything but the payload, which is replaced by a note, rather than failing forever.
 */
export function deadLetterText(letter: { event: { payload: unknown }; [key: string]: unknown }): string {
  try {
    return `${JSON.stringify(letter, null, 2)}\n`;
  } catch (error) {
    const note = `payload not serialisable: ${error instanceof Error ? error.message : String(error)}`;
    return `${JSON.stringify({ ...letter, event: { ...letter.event, payload: note } }, null, 2)}\n`;
  }
}
