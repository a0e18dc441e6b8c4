/**
 * Not a rule: wording shared by rules (listed in NOT_RULES in test/rules-meta.test.ts).
 */

/** `a, b and c`, or the first few and a count. */
export function listNames(names: readonly string[], shown = 4): string {
  if (names.length <= shown) return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]!}`;
  return `${names.slice(0, shown - 1).join(', ')} and ${names.length - shown + 1} more`;
}
