/**
 * Every example manifest reports exactly the findings listed beside it in `<name>.expected`
 * (`line:column severity rule-id`), on the embedded cluster, checked on its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { checkTexts } from '../src/engine/check.js';

const DIR = join(import.meta.dirname, '..', 'examples');
const examples = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

export function findingLines(file: string, text: string): string[] {
  return checkTexts([{ file, text }]).findings.map((f) => `${f.line}:${f.column} ${f.severity} ${f.ruleId}`);
}

test('there are examples, each with its expected findings', () => {
  expect(examples.length).toBeGreaterThanOrEqual(10);
  const expected = new Set(readdirSync(DIR).filter((f) => f.endsWith('.expected')));
  for (const e of examples) expect(expected.has(e.replace(/\.yaml$/, '.expected')), `${e} has no .expected file`).toBe(true);
});

test.for(examples)('%s', (name) => {
  const text = readFileSync(join(DIR, name), 'utf8');
  const want = readFileSync(join(DIR, name.replace(/\.yaml$/, '.expected')), 'utf8')
    .split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  expect(findingLines(name, text)).toEqual(want);
});
