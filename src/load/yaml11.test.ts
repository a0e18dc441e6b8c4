import { describe, expect, test } from 'vitest';
import { MERGE_KEY, resolvePlain, resolveTagged } from './yaml11.js';

// Cases from go-yaml v2 resolve.go behaviour, which is what sigs.k8s.io/yaml (and so kubectl) uses.
describe('resolvePlain reads scalars as Kubernetes does (YAML 1.1 via go-yaml v2)', () => {
  test.for([
    ['0400', 256], ['0644', 420], ['0777', 511], ['0x1F', 31], ['0o17', 15], ['0b101', 5], ['-0x10', -16],
    ['1_000', 1000], ['42', 42], ['-7', -7], ['+7', 7], ['08', 8], ['3.5', 3.5], ['1e3', 1000], ['.5', 0.5],
    ['yes', true], ['Yes', true], ['YES', true], ['y', true], ['on', true], ['ON', true], ['true', true],
    ['no', false], ['n', false], ['off', false], ['False', false],
    ['~', null], ['null', null], ['NULL', null], ['', null],
    ['.inf', Infinity], ['-.Inf', -Infinity],
    ['yess', 'yess'], ['1:20', '1:20'], ['2024-01-02', '2024-01-02'], ['10.0.0.1', '10.0.0.1'], ['8080/TCP', '8080/TCP'],
    ['ClusterFirst', 'ClusterFirst'], ['0.0.0.0', '0.0.0.0'], ['-', '-'], ['nan', 'nan'],
  ] as const)('%s → %s', ([input, want]) => {
    expect(resolvePlain(input)).toEqual(want);
  });

  test('NaN', () => expect(resolvePlain('.nan')).toBeNaN());
  test('<< is the merge key', () => expect(resolvePlain('<<')).toBe(MERGE_KEY));
});

describe('resolveTagged', () => {
  test('!!str keeps the text', () => expect(resolveTagged('!!str', '0400', false)).toBe('0400'));
  test('!!int on a quoted value', () => expect(resolveTagged('!!int', '7', true)).toBe(7));
  test('unknown tags on quoted values stay strings', () => expect(resolveTagged('!custom', 'yes', true)).toBe('yes'));
  test('unknown tags on plain values resolve as plain', () => expect(resolveTagged('!custom', 'yes', false)).toBe(true));
});
