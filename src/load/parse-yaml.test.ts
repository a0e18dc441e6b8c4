import { describe, expect, test } from 'vitest';
import { parseYamlStream, splitDocuments } from './parse-yaml.js';

describe('splitDocuments', () => {
  test('splits on --- lines, keeps --- with comments, and ends at ...', () => {
    const text = 'a: 1\n---\nb: 2\n--- # c\nc: 3\n...\nd: 4\n';
    const parts = splitDocuments(text).map(({ start, end }) => text.slice(start, end));
    expect(parts).toEqual(['a: 1\n', '---\nb: 2\n', '--- # c\nc: 3\n', 'd: 4\n']);
  });
  test('a leading --- does not make an empty first document', () => {
    expect(splitDocuments('---\na: 1\n')).toHaveLength(1);
  });
  test('--- inside a line or indented is not a separator', () => {
    expect(splitDocuments('a: "---"\nb: |\n  ---\n')).toHaveLength(1);
  });
});

describe('parseYamlStream', () => {
  test('values and positions come from the same pass', () => {
    const [doc] = parseYamlStream('spec:\n  containers:\n    - name: c\n      ports:\n        - containerPort: 80\n');
    const v = doc!.value as { spec: { containers: Array<{ ports: object[] }> } };
    expect(v.spec.containers[0]!.ports[0]).toEqual({ containerPort: 80 });
    const ports = doc!.positions.get(v.spec.containers[0]!.ports)!;
    expect(ports.items![0]).toBe('spec:\n  containers:\n    - name: c\n      ports:\n        - '.length);
  });

  test('a syntax error in one document leaves the others intact', () => {
    const docs = parseYamlStream('a: 1\n---\nb: [1,\n---\nc: 3\n');
    expect(docs.map((d) => d.value)).toEqual([{ a: 1 }, undefined, { c: 3 }]);
    expect(docs[1]!.issues).toHaveLength(1);
    expect(docs[1]!.issues[0]!.id).toBe('invalid-yaml');
    expect(docs[1]!.issues[0]!.message).toMatch(/^YAML syntax error: .+\.$/);
  });

  test('duplicate keys are reported with both positions and the last value wins', () => {
    const [doc] = parseYamlStream('selector: 1\nname: x\nselector: 2\n');
    expect(doc!.value).toEqual({ selector: 2, name: 'x' });
    expect(doc!.issues).toEqual([expect.objectContaining({ id: 'duplicate-key', offset: 20, firstOffset: 0 })]);
  });

  test('merge keys: explicit keys win, earlier sources win over later ones', () => {
    const [doc] = parseYamlStream('base: &b {p: 1, q: 1}\nother: &o {q: 2, r: 2}\nm:\n  <<: [*b, *o]\n  p: 0\n');
    expect((doc!.value as { m: unknown }).m).toEqual({ p: 0, q: 1, r: 2 });
  });

  test('an alias bomb is bounded and reported, not expanded', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const [doc] = parseYamlStream(`${lines.join('\n')}\n`);
    expect(doc!.value).toBeUndefined();
    expect(doc!.issues[0]!.message).toMatch(/alias bomb/);
  });

  test('deep nesting is bounded and reported', () => {
    const deep = `${'['.repeat(500)}${']'.repeat(500)}\n`;
    const [doc] = parseYamlStream(deep);
    expect(doc!.value).toBeUndefined();
    expect(doc!.issues[0]!.message).toMatch(/nests deeper than/);
  });

  test('an undefined alias is an error but the document survives', () => {
    const [doc] = parseYamlStream('a: *nope\nb: 1\n');
    expect(doc!.value).toEqual({ a: null, b: 1 });
    expect(doc!.issues[0]!.message).toMatch(/not defined/);
  });

  test('__proto__ is an ordinary key', () => {
    const [doc] = parseYamlStream('__proto__: {polluted: true}\n');
    expect(Object.getPrototypeOf(doc!.value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(doc!.value as object)).toEqual(['__proto__']);
  });

  test('non-string keys become strings as sigs.k8s.io/yaml does', () => {
    const [doc] = parseYamlStream('80: a\nyes: b\n');
    expect(doc!.value).toEqual({ '80': 'a', true: 'b' });
  });

  test('JSON is YAML', () => {
    const [doc] = parseYamlStream('{"kind": "Pod", "spec": {"hostNetwork": true}}');
    expect(doc!.value).toEqual({ kind: 'Pod', spec: { hostNetwork: true } });
  });
});
