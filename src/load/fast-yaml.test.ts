/**
 * The fast path must be invisible: on every input it accepts, values, positions, the root offset
 * and issues equal the event path's. Checked on unit cases, the generated bench corpus, and every
 * file of ../shared/corpus.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { generateCorpus } from '../bench/generate.js';
import { FALLBACK, fastParse } from './fast-yaml.js';
import { parseYamlStream, splitDocuments } from './parse-yaml.js';
import { flattenDocument as flatten } from '../testing/positions.js';


function fastCoverage(text: string): { fast: number; total: number } {
  const parts = splitDocuments(text);
  const fast = parts.filter(({ start, end }) => fastParse(text.slice(start, end), start) !== FALLBACK).length;
  return { fast, total: parts.length };
}

function expectSame(text: string): void {
  const a = parseYamlStream(text, undefined, true).map(flatten);
  const b = parseYamlStream(text, undefined, false).map(flatten);
  expect(a).toEqual(b);
}

describe('fast path equals the event path', () => {
  test.for([
    ['block mapping and sequence', 'a: 1\nb:\n  c: yes\n  d: [1, "x", {e: f}]\nlist:\n- x\n- y: 1\n  z: 2\n-\n  nested: true\n- \n'],
    ['indentless sequences and comments', '# top\nspec:\n  containers:\n  - name: a # trailing\n    ports:\n    - containerPort: 80\n\n  volumes: []\nafter: ~\n'],
    ['quoted keys and values', '"quoted key": \'it\'\'s\'\nk2: "tab\\tand \\u00e9"\nk3: \'#not a comment\'\n'],
    ['literal block scalars', 'a: |\n  line 1\n\n  line 3\nb: |-\n  stripped\nc: |+\n  kept\nd: x\n'],
    ['literal in a sequence', 'x:\n- |\n  one\n  two\n- after\n'],
    ['explicit document start', '--- # comment\na: 1\n'],
    ['empty explicit document', '---\n'],
    ['duplicate keys', 'a: 1\nb: 2\na: 3\nm: {x: 1, x: 2}\n'],
    ['plain scalars of every type', 'o: 0400\nh: 0x1F\nb: on\nn: null\nf: 1.5\nt: 2024-01-01\ns: 10.0.0.1\nu: http://x:80/y\n'],
    ['empty values', 'a:\nb: []\nc: {}\nd: ""\n'],
    ['multi-line flow, indented', 'a: [1,\n  2, # two\n  {k: v}]\nb: 1\n'],
  ])('%s', ([, text]) => expectSame(text));

  test.for([
    ['anchors', 'a: &x 1\nb: *x\n'],
    ['tags', 'a: !!str 1\n'],
    ['folded scalar', 'a: >\n  x\n'],
    ['multi-line plain', 'a: one\n  two\n'],
    ['CRLF', 'a: 1\r\n'],
    ['merge key', 'a: {x: 1}\nb:\n  <<: {y: 2}\n'],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n'],
  ])('falls back on %s, and the result still equals the event path', ([, text]) => {
    expect(fastParse(text, 0)).toBe(FALLBACK);
    expectSame(text);
  });

  test('the generated bench corpus takes the fast path and agrees', () => {
    const text = generateCorpus(300);
    expect(fastCoverage(text)).toEqual({ fast: 300, total: 300 });
    expectSame(text);
  });

  const CORPUS = join(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');
  const files = existsSync(CORPUS) ? readdirSync(CORPUS, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ya?ml|json)$/.test(f)) : [];
  test('multi-line flow closed at the key\'s indentation: go-yaml accepts it, js-yaml does not, the fast path reads it', () => {
    const text = 'args: [\n  "-a", "b",\n]\nenv: []\n';
    expect(parseYamlStream(text, undefined, false)[0]!.issues[0]!.message).toMatch(/indentation/);
    const [doc] = parseYamlStream(text);
    expect(doc!.issues).toEqual([]);
    expect(doc!.value).toEqual({ args: ['-a', 'b'], env: [] });
  });

  // Documents js-yaml rejects but go-yaml (kubectl) accepts; the fast path reads them.
  const LENIENT = new Set(['istio__istio/samples__security__spire__spire-quickstart.yaml']);

  test.skipIf(files.length === 0)('every corpus file agrees, and most documents take the fast path (skipped without ../shared/corpus)', () => {
    let fast = 0;
    let total = 0;
    for (const f of files) {
      const text = readFileSync(join(CORPUS, f), 'utf8').replace(/^\ufeff/, '');
      const a = parseYamlStream(text, undefined, true).map(flatten);
      const b = parseYamlStream(text, undefined, false).map(flatten);
      if (LENIENT.has(f)) {
        const bad = (b as Array<{ issues: Array<{ id: string }> }>).findIndex((d) => d.issues.some((i) => i.id === 'invalid-yaml'));
        expect(bad, f).toBeGreaterThanOrEqual(0);
        expect((a as Array<{ issues: unknown[] }>)[bad]!.issues, f).toEqual([]);
        expect(a.filter((_, i) => i !== bad), f).toEqual(b.filter((_, i) => i !== bad));
      } else expect(a, f).toEqual(b);
      const c = fastCoverage(text);
      fast += c.fast;
      total += c.total;
    }
    expect(fast / total).toBeGreaterThan(0.6);
  });
});
