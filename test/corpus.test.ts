/**
 * hostnet over the whole real-world corpus (../shared/corpus, 215 manifests from 23 repositories):
 * no crash, no internal error, no unexplained load error, and the findings equal the reviewed
 * golden file test/golden/corpus-findings.txt.
 */
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { check } from '../src/index.js';
import { CORPUS, corpusFindingLines, GOLDEN } from './corpus-lines.js';

// Load problems the corpus really has (NOTES.md): the two openshift-origin etcd controllers
// write `selector:` twice (§23). Anything else is unexplained.
const EXPECTED_LOAD_PROBLEMS = new Set([
  'duplicate-key kubernetes__examples/_archived__openshift-origin__etcd-controller.yaml',
  'duplicate-key kubernetes__examples/_archived__openshift-origin__etcd-discovery-controller.yaml',
]);

describe.skipIf(!existsSync(CORPUS))('the real-world corpus (needs ../shared/corpus beside the checkout)', () => {
  test('loads every file without a crash or an unexplained load problem', async () => {
    const result = await check([CORPUS]);
    expect(result.summary.files).toBeGreaterThanOrEqual(215);
    expect(result.summary.objects).toBeGreaterThanOrEqual(1190);
    const internal = result.findings.filter((f) => f.ruleId === 'internal-error');
    expect(internal.map((f) => f.message)).toEqual([]);
    const load = result.findings.filter((f) => ['invalid-yaml', 'unreadable-file', 'duplicate-key', 'not-a-kubernetes-object'].includes(f.ruleId));
    expect(load.map((f) => `${f.ruleId} ${relative(CORPUS, f.file)}`).filter((k) => !EXPECTED_LOAD_PROBLEMS.has(k))).toEqual([]);
  });

  test('findings equal the reviewed golden file', async () => {
    const lines = await corpusFindingLines();
    const golden = readFileSync(GOLDEN, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines).toEqual(golden);
  });
});
