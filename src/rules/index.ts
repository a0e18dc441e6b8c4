/**
 * The registry: every rule, sorted by id. A meta-test checks that each file in this folder is here
 * and that each has its test table and its doc page.
 */
import type { AnyRule } from './define-rule.js';
import invalidDnsPolicy from './invalid-dns-policy.js';

export const RULES: readonly AnyRule[] = [
  invalidDnsPolicy,
];

export function ruleById(id: string): AnyRule | undefined {
  return RULES.find((r) => r.id === id);
}
