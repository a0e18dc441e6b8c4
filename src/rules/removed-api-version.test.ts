import { describe, expect, test } from 'vitest';
import { REMOVED_APIS, removedApi } from '../model/api-versions.js';
import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './removed-api-version.js';

const ds = (apiVersion: string) => yaml`
  apiVersion: ${apiVersion}
  kind: DaemonSet
  metadata: {name: flannel}
  spec:
    template:
      spec:
        hostNetwork: true
        containers: [{name: c, image: flannel}]
`;

ruleTester.run(rule, {
  valid: [
    { name: 'apps/v1 DaemonSet', yaml: ds('apps/v1') },
    { name: 'removed only later than the target version', yaml: ds('extensions/v1beta1'), cluster: { kubernetesVersion: '1.15' } },
    { name: 'batch/v1beta1 CronJob on 1.24', yaml: 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n', cluster: { kubernetesVersion: '1.24' } },
    { name: 'a kind the removed group never served under that version', yaml: 'apiVersion: policy/v1beta1\nkind: Eviction\nmetadata: {name: e}\n' },
  ],
  invalid: [
    {
      name: 'extensions/v1beta1 DaemonSet: the update strategy default changes',
      yaml: ds('extensions/v1beta1'),
      errors: [{ messageId: 'removedWithChanges', line: 1, column: 1, path: 'apiVersion', messageIncludes: ['since Kubernetes 1.16', 'use apps/v1', 'OnDelete to RollingUpdate'] }],
    },
    { name: 'apps/v1beta2 Deployment', yaml: 'apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: d}\n', errors: [{ messageId: 'removed' }] },
    { name: 'batch/v1beta1 CronJob on 1.25', yaml: 'apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n', cluster: { kubernetesVersion: '1.25' }, errors: [{ messageId: 'removed', messageIncludes: ['cluster runs 1.25'] }] },
    { name: 'PodSecurityPolicy has no replacement', yaml: 'apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\n', errors: [{ messageId: 'gone', messageIncludes: ['Pod Security Admission'] }] },
    {
      name: 'inside a List, pointing at the item',
      yaml: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: extensions/v1beta1\n  kind: Deployment\n  metadata: {name: d}\n',
      errors: [{ messageId: 'removedWithChanges', line: 4, column: 3, messageIncludes: ['25% / 25%'] }],
    },
  ],
});

describe('the removed-API table', () => {
  test('every entry names a version and kinds, and a replacement or what happened instead', () => {
    for (const r of REMOVED_APIS) {
      expect(r.removedIn).toMatch(/^1\.\d+$/);
      expect(r.kinds.length).toBeGreaterThan(0);
      expect(r.replacement ?? r.changes).toBeTruthy();
    }
  });
  test('lookups are by apiVersion and kind', () => {
    expect(removedApi('extensions/v1beta1', 'DaemonSet')?.replacement).toBe('apps/v1');
    expect(removedApi('apps/v1', 'DaemonSet')).toBeUndefined();
  });
});
