/**
 * `<user_data>` delimiting (KI-22): decrypted inputs and agent memory are data, never instructions.
 * Content must not be able to open or close such a block, so the tags are neutralised inside it.
 */

const TAG = /<(\/?user_data)/gi;

/** Replaces the `<` of every `<user_data` / `</user_data` (any case) with `‹`. */
export function neutraliseUserData(text: string): string {
  return text.replace(TAG, '‹$1');
}

/** `text`, neutralised, between `<user_data>` and `</user_data>` lines. */
export function wrapUserData(text: string): string {
  return `<user_data>\n${neutraliseUserData(text)}\n</user_data>`;
}
