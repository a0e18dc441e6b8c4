import { describe, expect, test } from 'vitest';
import { findDuplicateObjects, loadText } from './objects.js';

describe('loadText', () => {
  test('multi-document YAML with empty documents, CRLF and a BOM keeps exact positions', () => {
    const text = '\ufeff---\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: a\r\nspec:\r\n  hostNetwork: true\r\n';
    const r = loadText('x.yaml', text);
    expect(r.issues).toEqual([]);
    expect(r.objects).toHaveLength(1);
    expect(r.objects[0]!.source.locator.locate(['spec', 'hostNetwork'])).toEqual({ line: 8, column: 3 });
  });

  test('List and *List wrappers are unwrapped with item paths', () => {
    const r = loadText('l.yaml', 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: x}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n');
    expect(r.objects.map((o) => [o.kind, o.namespace, o.name, o.source.basePath])).toEqual([
      ['ConfigMap', 'x', 'a', ['items', 0]],
      ['ConfigMap', undefined, 'b', ['items', 1]],
    ]);
    expect(r.objects[1]!.source.locator.locate(['metadata', 'name'])).toEqual({ line: 9, column: 14 });
  });

  test('documents that are not objects are findings with positions, and loading goes on', () => {
    const r = loadText('n.yaml', '- a\n- b\n---\nfoo: bar\n---\njust text\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n');
    expect(r.objects.map((o) => o.name)).toEqual(['s']);
    expect(r.issues.map((i) => [i.ruleId, i.line, i.message])).toEqual([
      ['not-a-kubernetes-object', 1, 'Document 1 is a list, so it is not a Kubernetes object; hostnet skips it.'],
      ['not-a-kubernetes-object', 4, 'Document 2 has no apiVersion and kind, so it is not a Kubernetes object; hostnet skips it.'],
      ['not-a-kubernetes-object', 6, 'Document 3 is a plain value ("just text"), so it is not a Kubernetes object; hostnet skips it.'],
    ]);
  });

  test('invalid YAML reports line and column and the next document still loads', () => {
    const r = loadText('bad.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n   bad: indent\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\n');
    expect(r.objects.map((o) => o.name)).toEqual(['b']);
    expect(r.issues).toHaveLength(1);
    expect(r.issues[0]).toMatchObject({ ruleId: 'invalid-yaml', severity: 'error', line: 5 });
  });

  test('duplicate keys are findings pointing at both places', () => {
    const r = loadText('d.yaml', 'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  selector: {a: b}\n  selector: {c: d}\n');
    expect(r.issues).toEqual([expect.objectContaining({ ruleId: 'duplicate-key', line: 6, column: 3, related: [expect.objectContaining({ line: 5, column: 3 })] })]);
    expect(r.objects).toHaveLength(1);
  });

  test('cluster-scoped kinds drop metadata.namespace', () => {
    const r = loadText('c.yaml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: kube-system}\n');
    expect(r.objects[0]!.namespace).toBeUndefined();
  });
});

describe('findDuplicateObjects', () => {
  test('one finding per group, at the second copy, pointing at the others; apps and extensions are one group', () => {
    const dep = (api: string) => `apiVersion: ${api}\nkind: Deployment\nmetadata: {name: web, namespace: a}\n`;
    const objects = [
      ...loadText('one.yaml', dep('apps/v1')).objects,
      ...loadText('two.yaml', dep('extensions/v1beta1')).objects,
      ...loadText('three.yaml', dep('apps/v1')).objects,
      ...loadText('other.yaml', 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: b}\n').objects,
    ];
    const { issues, duplicates } = findDuplicateObjects(objects);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ ruleId: 'duplicate-object', severity: 'info', file: 'two.yaml' });
    expect(issues[0]!.message).toBe('Deployment a/web is defined 3 times in 3 files; applying them all leaves only the last one, so hostnet checks each copy but never counts one as conflicting with another.');
    expect(issues[0]!.related.map((r) => r.file)).toEqual(['one.yaml', 'three.yaml']);
    expect([...duplicates].map((o) => o.source.file)).toEqual(['two.yaml', 'three.yaml']);
  });
});

describe('unrendered templates', () => {
  test('a Helm template that does not parse says so; braces inside valid strings are fine', () => {
    const bad = loadText('t.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n  {{- include "labels" . | nindent 2 }}\n');
    expect(bad.issues[0]!.message).toMatch(/unrendered Helm template/);
    const fine = loadText('d.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\ndata:\n  rule: "{{ $labels.instance }} is down"\n');
    expect(fine.issues).toEqual([]);
  });
});
