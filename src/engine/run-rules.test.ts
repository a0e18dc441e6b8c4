import { describe, expect, test } from 'vitest';
import { loadText } from '../load/objects.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { buildModel } from '../model/model.js';
import { defineRule } from '../rules/define-rule.js';
import { yaml } from '../testing/yaml.js';
import { resolveConfig } from './config.js';
import { runRules } from './run-rules.js';

const twoLevel = defineRule({
  id: 'two-level',
  meta: { severity: 'warning', summary: 'Test.', sources: ['VAL-1'], messages: { w: 'Main level.', i: 'Advice.' } },
  defaultOptions: {},
  create: (ctx) => ({
    podView(v) {
      ctx.report({ object: v.object, path: v.at('hostNetwork'), messageId: 'w' });
      ctx.report({ object: v.object, path: v.at('hostNetwork'), messageId: 'i', severity: 'info' });
    },
  }),
});

const crashes = defineRule({
  id: 'crashes',
  meta: { severity: 'error', summary: 'Test.', sources: ['VAL-1'], messages: { m: 'Never.' } },
  defaultOptions: {},
  create: () => ({ podView() { throw new TypeError('boom'); } }),
});

const model = (text: string) => buildModel(loadText('t.yaml', text).objects, DEFAULT_CLUSTER);
const POD = yaml`
  apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    hostNetwork: true
    containers: [{name: c, image: busybox}]
`;

describe('runRules', () => {
  test('a configured severity replaces the main level only', () => {
    const config = resolveConfig({ rules: { 'two-level': 'error' }, ignorePaths: [] });
    expect(runRules(model(POD), [twoLevel], config).findings.map((f) => [f.messageId, f.severity])).toEqual([['w', 'error'], ['i', 'info']]);
  });

  test('off, --disable and --rule select rules', () => {
    const off = resolveConfig({ rules: { 'two-level': 'off' }, ignorePaths: [] });
    expect(runRules(model(POD), [twoLevel], off).findings).toEqual([]);
    expect(runRules(model(POD), [twoLevel], resolveConfig(undefined, { disable: ['two-level'] })).findings).toEqual([]);
    expect(runRules(model(POD), [twoLevel], resolveConfig(undefined, { only: ['other'] })).findings).toEqual([]);
  });

  test('a rule that throws becomes an internal-error finding that says it is a bug, and others still run', () => {
    const r = runRules(model(POD), [crashes, twoLevel], resolveConfig(undefined));
    expect(r.findings.map((f) => f.ruleId)).toEqual(['internal-error', 'two-level', 'two-level']);
    expect(r.findings[0]!.message).toMatch(/^hostnet bug: the rule crashes failed on this object \(TypeError: boom\)/);
    expect(r.findings[0]!.line).toBe(1);
  });

  test('hostnet.dev/ignore suppresses listed rules, on the object or its template, and counts them', () => {
    const annotated = POD.replace('metadata: {name: p}', 'metadata: {name: p, annotations: {hostnet.dev/ignore: "two-level; reviewed"}}');
    const r = runRules(model(annotated), [twoLevel], resolveConfig(undefined));
    expect(r.findings).toEqual([]);
    expect(r.suppressed).toBe(2);
    const other = POD.replace('metadata: {name: p}', 'metadata: {name: p, annotations: {hostnet.dev/ignore: "something-else"}}');
    expect(runRules(model(other), [twoLevel], resolveConfig(undefined)).findings).toHaveLength(2);
  });
});

describe('checkTexts and load findings', () => {
  test('duplicate-object honours the annotation on the copy it points at', async () => {
    const { checkTexts } = await import('./check.js');
    const cm = (ann: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: x\n${ann}`;
    const plain = checkTexts([{ file: 'a.yaml', text: cm('') }, { file: 'b.yaml', text: cm('') }]);
    expect(plain.findings.map((f) => f.ruleId)).toEqual(['duplicate-object']);
    const ignored = checkTexts([{ file: 'a.yaml', text: cm('') }, { file: 'b.yaml', text: cm('  annotations: {hostnet.dev/ignore: duplicate-object}\n') }]);
    expect(ignored.findings).toEqual([]);
    expect(ignored.summary.suppressed).toBe(1);
  });
});
