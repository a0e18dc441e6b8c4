/**
 * The rule test table, in ESLint's RuleTester shape: `valid` cases must report nothing, `invalid`
 * cases must report exactly the listed findings (by message id, and by line/column/path/severity
 * when given). Loaded objects and options are frozen, so a rule that mutates its input fails.
 */
import { describe, expect, test } from 'vitest';
import { deepFreeze, resolveConfig } from '../engine/config.js';
import { runRules } from '../engine/run-rules.js';
import { loadText } from '../load/objects.js';
import type { Cluster } from '../model/cluster.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { buildModel } from '../model/model.js';
import type { Finding, Severity } from '../model/types.js';
import type { AnyRule } from '../rules/define-rule.js';

export interface ValidCase {
  readonly name: string;
  readonly yaml: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly cluster?: Partial<Cluster>;
}

export interface ExpectedFinding {
  readonly messageId: string;
  readonly line?: number;
  readonly column?: number;
  readonly path?: string;
  readonly severity?: Severity;
  /** Substrings the message must contain. */
  readonly messageIncludes?: readonly string[];
}

export interface InvalidCase extends ValidCase {
  readonly errors: readonly ExpectedFinding[];
}

export function runRule(rule: AnyRule, source: string, options?: Readonly<Record<string, unknown>>, cluster?: Partial<Cluster>): Finding[] {
  const loaded = loadText('test.yaml', source);
  if (loaded.issues.length > 0) {
    throw new Error(`the test YAML does not load cleanly: ${loaded.issues.map((i) => `${i.line}:${i.column} ${i.message}`).join('; ')}`);
  }
  for (const o of loaded.objects) deepFreeze(o.raw);
  const model = buildModel(loaded.objects, { ...DEFAULT_CLUSTER, ...cluster });
  const config = resolveConfig(undefined, {});
  const withOptions = options ? { ...config, rules: { [rule.id]: { options } } } : config;
  return runRules(model, [rule], withOptions).findings;
}

function describeFinding(f: Finding): string {
  return `${f.line}:${f.column} ${f.messageId} [${f.severity}] ${f.path ?? ''} ${f.message}`;
}

export const ruleTester = {
  run(rule: AnyRule, cases: { valid: readonly ValidCase[]; invalid: readonly InvalidCase[] }): void {
    describe(rule.id, () => {
      const names = [...cases.valid, ...cases.invalid].map((c) => c.name);
      test('has valid and invalid cases with unique names', () => {
        expect(cases.valid.length).toBeGreaterThan(0);
        expect(cases.invalid.length).toBeGreaterThan(0);
        expect(new Set(names).size).toBe(names.length);
        for (const c of cases.invalid) expect(c.errors.length, `invalid case "${c.name}" lists no findings`).toBeGreaterThan(0);
      });
      test.for(cases.valid.map((c) => [c.name, c] as const))('valid: %s', ([, c]) => {
        const findings = runRule(rule, c.yaml, c.options, c.cluster);
        expect(findings.map(describeFinding)).toEqual([]);
      });
      test.for(cases.invalid.map((c) => [c.name, c] as const))('invalid: %s', ([, c]) => {
        const findings = runRule(rule, c.yaml, c.options, c.cluster);
        expect(findings.map(describeFinding), 'number of findings').toHaveLength(c.errors.length);
        c.errors.forEach((want, i) => {
          const got = findings[i]!;
          expect(got.messageId, describeFinding(got)).toBe(want.messageId);
          expect(rule.meta.messages[want.messageId], `unknown messageId ${want.messageId}`).toBeDefined();
          if (want.line !== undefined) expect(got.line, describeFinding(got)).toBe(want.line);
          if (want.column !== undefined) expect(got.column, describeFinding(got)).toBe(want.column);
          if (want.path !== undefined) expect(got.path).toBe(want.path);
          if (want.severity !== undefined) expect(got.severity).toBe(want.severity);
          for (const s of want.messageIncludes ?? []) expect(got.message).toContain(s);
          expect(got.message).toMatch(/[.?]$/);
        });
      });
    });
  },
};
