/**
 * Properties of the loader over generated input: it never throws, whatever the bytes; and for any
 * JSON-like value written as YAML, both parse paths read back the value and agree on positions.
 */
import fc from 'fast-check';
import { DUMP_SCHEMA, dump } from 'js-yaml';
import { describe, expect, test } from 'vitest';
import { loadText } from './objects.js';
import { parseYamlStream } from './parse-yaml.js';
import { resolvePlain } from './yaml11.js';
import { flattenDocument as flatten } from '../testing/positions.js';

const fragment = fc.constantFrom(
  'apiVersion: v1\n', 'kind: Pod\n', 'metadata:\n', '  name: x\n', 'spec:\n', '  hostNetwork: true\n', '- ', '---\n', '...\n',
  '&a ', '*a', '!!str ', '<<: ', '{', '}', '[', ']', ',', ': ', '"', "'", '|', '>', '#', '\t', '\r\n', '\n', '  ', '0400', 'yes', '\u0000', '\ufeff',
);
const yamlish = fc.array(fc.oneof(fragment, fc.string({ maxLength: 8 })), { maxLength: 60 }).map((parts) => parts.join(''));

describe('the loader never throws', () => {
  test('on YAML-shaped noise', () => {
    fc.assert(fc.property(yamlish, (text) => {
      const r = loadText('fuzz.yaml', text);
      for (const i of r.issues) {
        expect(i.line).toBeGreaterThanOrEqual(1);
        expect(i.message).toMatch(/[.?)]$/);
      }
    }), { numRuns: 2000 });
  });

  test('on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      loadText('fuzz.yaml', text);
    }), { numRuns: 1000 });
  });
});

// Keys and strings that survive a YAML round trip unchanged under Kubernetes' YAML 1.1 reading.
const key = fc.stringMatching(/^[a-z][a-zA-Z0-9./-]{0,12}$/).filter((k) => !['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null'].includes(k.toLowerCase()));
// js-yaml quotes strings by YAML 1.2 rules, so a string go-yaml v2 reads as a number when plain
// (`0e0_` is 0: it drops underscores before matching a float) would not survive; those are left out.
const plainStaysString = (s: string): boolean => resolvePlain(s) === s;
const scalar = fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.boolean(), fc.constant(null), fc.string({ maxLength: 20 }).filter(plainStaysString), fc.constantFrom('0400', 'yes', 'a: b', '#x', '- x', '', ' lead', 'trail ', 'line\nbreak'));
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
  list: fc.array(tie('node'), { maxLength: 4 }),
  map: fc.dictionary(key, tie('node'), { maxKeys: 5 }),
})).map;


describe('both parse paths agree and round-trip', () => {
  test.for([
    ['block style', { flowLevel: -1 }],
    ['flow below level 2', { flowLevel: 2 }],
  ] as const)('%s', ([, style]) => {
    fc.assert(fc.property(value, (v) => {
      const text = dump(v, { schema: DUMP_SCHEMA, ...style });
      const fast = parseYamlStream(text, undefined, true);
      const slow = parseYamlStream(text, undefined, false);
      expect(fast.map(flatten)).toEqual(slow.map(flatten));
      expect(slow[0]!.value).toEqual(v);
    }), { numRuns: 500 });
  });
});
