/**
 * Keeps the repository honest (ESLint's checkRuleFiles, kube-linter's generated docs): every rule is
 * registered in order, has its test table and its doc page with the fixed headings, every doc example
 * runs (invalid examples report, valid ones are clean), messages are sentences, and generated files
 * are current.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Cluster } from '../src/model/cluster.js';
import { ruleCatalog } from '../src/report/rule-catalog.js';
import { SEMANTICS_ID } from '../src/rules/define-rule.js';
import { RULES } from '../src/rules/index.js';
import { runRule } from '../src/testing/rule-tester.js';
import { GENERATED_FILES } from '../src/tools/generated-docs.js';

const ROOT = join(import.meta.dirname, '..');
const RULE_DIR = join(ROOT, 'src', 'rules');
const NOT_RULES = new Set(['define-rule', 'index', 'dns-names', 'rule-text']);
const ruleFiles = readdirSync(RULE_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts')).map((f) => f.replace(/\.ts$/, '')).filter((f) => !NOT_RULES.has(f));
const RULE_HEADINGS = ['Rule Details', 'Examples', 'When Not To Use It', 'References'];
const INPUT_HEADINGS = ['Details', 'Examples', 'References'];

function docOf(id: string): string {
  return readFileSync(join(ROOT, 'docs', 'rules', `${id}.md`), 'utf8');
}

function examples(doc: string, kind: 'valid' | 'invalid'): string[] {
  return [...doc.matchAll(new RegExp('```yaml ' + kind + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** An example may start with `# hostnet-cluster: {json}`: the parts of the default cluster it changes. */
function clusterOf(example: string): Partial<Cluster> | undefined {
  const m = /^# hostnet-cluster: (.+)$/m.exec(example);
  return m ? (JSON.parse(m[1]!) as Partial<Cluster>) : undefined;
}

describe('the rule registry', () => {
  test('every rule file is registered, and the registry is sorted by id', () => {
    expect(RULES.map((r) => r.id)).toEqual([...ruleFiles].sort());
  });
  test('ids are kebab-case', () => {
    for (const r of RULES) expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });
});

describe.for(RULES.map((r) => [r.id, r] as const))('%s', ([id, rule]) => {
  test('has a test table beside it', () => {
    expect(existsSync(join(RULE_DIR, `${id}.test.ts`))).toBe(true);
  });
  test('summary and messages are sentences; sources cite the semantics', () => {
    expect(rule.meta.summary).toMatch(/^[A-Z`a-z].*\.$/);
    for (const m of Object.values(rule.meta.messages)) expect(m).toMatch(/[.?]$/);
    expect(rule.meta.sources.some((s) => SEMANTICS_ID.test(s))).toBe(true);
  });
  test('its doc page has the headings in order', () => {
    const doc = docOf(id);
    expect(doc.split('\n')[0]).toBe(`# ${id}`);
    expect([...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1])).toEqual(RULE_HEADINGS);
  });
  test('its doc examples run: invalid ones report, valid ones do not', () => {
    const doc = docOf(id);
    const bad = examples(doc, 'invalid');
    const good = examples(doc, 'valid');
    expect(bad.length).toBeGreaterThan(0);
    expect(good.length).toBeGreaterThan(0);
    for (const y of bad) expect(runRule(rule, y, undefined, clusterOf(y)).length, `invalid example reports nothing:\n${y}`).toBeGreaterThan(0);
    for (const y of good) expect(runRule(rule, y, undefined, clusterOf(y)).map((f) => f.message), `valid example reports:\n${y}`).toEqual([]);
  });
});

describe('input problems', () => {
  test.for(ruleCatalog().filter((e) => e.category === 'input').map((e) => [e.id] as const))('%s has a doc page', ([id]) => {
    const doc = docOf(id);
    expect(doc.split('\n')[0]).toBe(`# ${id}`);
    expect([...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1])).toEqual(INPUT_HEADINGS);
  });
});

describe('generated files are current (npm run gen:docs)', () => {
  test.for(GENERATED_FILES.map((f) => [f.path, f] as const))('%s', ([path, f]) => {
    expect(readFileSync(join(ROOT, path), 'utf8')).toBe(f.render());
  });
});
