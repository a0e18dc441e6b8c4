import { describe, expect, test } from 'vitest';
import { REMOVED_APIS, removedApi, replacementAt } from '../model/api-versions.js';
import { versionAtLeast } from '../model/cluster.js';
import { runRule, ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './removed-api-version.js';

const ds = (apiVersion: string) => yaml`
  apiVersion: ${apiVersion}
  kind: DaemonSet
  metadata: {name: flannel}
  spec:
    template:
      metadata: {labels: {app: flannel}}
      spec:
        hostNetwork: true
        containers: [{name: c, image: flannel}]
`;

const object = (apiVersion: string, kind: string) => `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\n`;

ruleTester.run(rule, {
  valid: [
    { name: 'apps/v1 DaemonSet', yaml: ds('apps/v1') },
    { name: 'removed only later than the target version', yaml: ds('extensions/v1beta1'), cluster: { kubernetesVersion: '1.15' } },
    { name: 'batch/v1beta1 CronJob on 1.24 (deprecated, still served)', yaml: object('batch/v1beta1', 'CronJob'), cluster: { kubernetesVersion: '1.24' } },
    { name: 'flowcontrol v1beta3 on 1.31', yaml: object('flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema'), cluster: { kubernetesVersion: '1.31' } },
    { name: 'policy/v1beta1 PodSecurityPolicy on 1.24', yaml: object('policy/v1beta1', 'PodSecurityPolicy'), cluster: { kubernetesVersion: '1.24' } },
    { name: 'a kind the removed group version never listed', yaml: object('policy/v1beta1', 'Eviction') },
    { name: 'a custom resource in a v1beta1 group of its own', yaml: object('example.com/v1beta1', 'Widget') },
    { name: 'the current versions', yaml: `${object('networking.k8s.io/v1', 'Ingress')}---\n${object('batch/v1', 'CronJob')}---\n${object('policy/v1', 'PodDisruptionBudget')}` },
  ],
  invalid: [
    {
      name: 'extensions/v1beta1 DaemonSet: the update strategy default changes (NOTES §28)',
      yaml: ds('extensions/v1beta1'),
      errors: [{
        messageId: 'removedWithChanges', line: 1, column: 1, path: 'apiVersion',
        messageIncludes: ['in 1.16', 'Change apiVersion to apps/v1', 'RollingUpdate (maxUnavailable 1) instead of OnDelete', 'spec.selector becomes required'],
      }],
    },
    {
      name: 'extensions/v1beta1 DaemonSet that writes its strategy and selector: nothing changes but the apiVersion',
      yaml: yaml`
        apiVersion: extensions/v1beta1
        kind: DaemonSet
        metadata: {name: weave-net}
        spec:
          selector: {matchLabels: {name: weave-net}}
          updateStrategy: {type: OnDelete}
          template:
            metadata: {labels: {name: weave-net}}
            spec:
              hostNetwork: true
              containers: [{name: weave, image: weave}]
      `,
      errors: [{ messageId: 'removed', messageIncludes: ['Change apiVersion to apps/v1.'] }],
    },
    {
      name: 'extensions/v1beta1 Deployment: rolling-update, history and deadline defaults',
      yaml: object('extensions/v1beta1', 'Deployment'),
      errors: [{ messageId: 'removedWithChanges', messageIncludes: ['maxSurge defaults to 25% instead of 1', 'maxUnavailable defaults to 25% instead of 1', 'revisionHistoryLimit defaults to 10', 'progressDeadlineSeconds defaults to 600'] }],
    },
    {
      name: 'apps/v1beta1 StatefulSet: OnDelete becomes RollingUpdate',
      yaml: object('apps/v1beta1', 'StatefulSet'),
      errors: [{ messageId: 'removedWithChanges', messageIncludes: ['RollingUpdate instead of OnDelete'] }],
    },
    { name: 'apps/v1beta2 Deployment: same defaults as apps/v1', yaml: object('apps/v1beta2', 'Deployment'), errors: [{ messageId: 'removed' }] },
    {
      name: 'batch/v1beta1 CronJob on 1.25',
      yaml: object('batch/v1beta1', 'CronJob'),
      cluster: { kubernetesVersion: '1.25' },
      errors: [{ messageId: 'removed', messageIncludes: ['cluster runs 1.25', 'batch/v1'] }],
    },
    { name: 'batch/v2alpha1 CronJob goes straight to batch/v1', yaml: object('batch/v2alpha1', 'CronJob'), cluster: { kubernetesVersion: '1.22' }, errors: [{ messageId: 'removed', messageIncludes: ['Change apiVersion to batch/v1.'] }] },
    { name: 'PodSecurityPolicy has no replacement', yaml: object('policy/v1beta1', 'PodSecurityPolicy'), errors: [{ messageId: 'gone', messageIncludes: ['Pod Security Admission'] }] },
    {
      name: 'extensions/v1beta1 PodSecurityPolicy on 1.20 moves to policy/v1beta1',
      yaml: object('extensions/v1beta1', 'PodSecurityPolicy'),
      cluster: { kubernetesVersion: '1.20' },
      errors: [{ messageId: 'removed', messageIncludes: ['policy/v1beta1'] }],
    },
    { name: 'extensions/v1beta1 PodSecurityPolicy on 1.36 has nowhere to go', yaml: object('extensions/v1beta1', 'PodSecurityPolicy'), errors: [{ messageId: 'gone', messageIncludes: ['removed in Kubernetes 1.25'] }] },
    {
      name: 'flowcontrol v1beta1 on 1.27: the newest version that cluster serves is v1beta3',
      yaml: object('flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema'),
      cluster: { kubernetesVersion: '1.27' },
      errors: [{ messageId: 'removed', messageIncludes: ['Change apiVersion to flowcontrol.apiserver.k8s.io/v1beta3.'] }],
    },
    { name: 'flowcontrol v1beta3 on 1.36', yaml: object('flowcontrol.apiserver.k8s.io/v1beta3', 'PriorityLevelConfiguration'), errors: [{ messageId: 'removed', messageIncludes: ['flowcontrol.apiserver.k8s.io/v1.'] }] },
    { name: 'extensions/v1beta1 Ingress', yaml: object('extensions/v1beta1', 'Ingress'), errors: [{ messageId: 'removedWithChanges', messageIncludes: ['networking.k8s.io/v1', 'pathType'] }] },
    { name: 'rbac v1beta1', yaml: object('rbac.authorization.k8s.io/v1beta1', 'ClusterRole'), errors: [{ messageId: 'removed', messageIncludes: ['in 1.22'] }] },
    { name: 'an unparseable target version counts as recent', yaml: object('autoscaling/v2beta2', 'HorizontalPodAutoscaler'), cluster: { kubernetesVersion: 'latest' }, errors: [{ messageId: 'removed' }] },
    {
      name: 'inside a List, pointing at the item',
      yaml: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: extensions/v1beta1\n  kind: Deployment\n  metadata: {name: d}\n',
      errors: [{ messageId: 'removedWithChanges', line: 4, column: 3, path: 'apiVersion', messageIncludes: ['25%'] }],
    },
  ],
});

describe('removed-api-version notes follow what the manifest writes', () => {
  test('a Recreate Deployment with a selector hears only about history and deadline', () => {
    const findings = runRule(rule, yaml`
      apiVersion: extensions/v1beta1
      kind: Deployment
      metadata: {name: d}
      spec:
        selector: {matchLabels: {app: d}}
        strategy: {type: Recreate}
        template:
          metadata: {labels: {app: d}}
          spec:
            containers: [{name: c, image: c}]
    `);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('revisionHistoryLimit');
    expect(findings[0]!.message).not.toContain('maxSurge');
    expect(findings[0]!.message).not.toContain('spec.selector');
    expect(findings[0]!.fix).toBe('apiVersion: apps/v1');
  });
});

describe('the removed-API table', () => {
  test('every entry names a version and kinds, and at its removal either a served replacement or what to do instead', () => {
    for (const r of REMOVED_APIS) {
      expect(r.removedIn).toMatch(/^1\.\d+$/);
      expect(r.kinds.length).toBeGreaterThan(0);
      for (const kind of r.kinds) expect(replacementAt(r, kind, r.removedIn) ?? r.instead, `${r.apiVersion} ${kind}`).toBeTruthy();
      // Oldest first; the oldest was served before the removal (later ones may come after it).
      r.replacements.forEach((rep, i) => {
        if (i === 0) expect(versionAtLeast(r.removedIn, rep.since), `${r.apiVersion} → ${rep.apiVersion}`).toBe(true);
        else expect(versionAtLeast(rep.since, r.replacements[i - 1]!.since)).toBe(true);
      });
      // Notes are joined with '; ' into one sentence: none ends with a period or holds a semicolon.
      for (const n of r.notes) expect(n.note).not.toMatch(/\.$|;/);
    }
  });
  test('each apiVersion and kind pair appears once', () => {
    const pairs = REMOVED_APIS.flatMap((r) => r.kinds.map((k) => `${r.apiVersion} ${k}`));
    expect(new Set(pairs).size).toBe(pairs.length);
  });
  test.for([
    ['extensions/v1beta1', 'Deployment', '1.16'], ['extensions/v1beta1', 'DaemonSet', '1.16'], ['extensions/v1beta1', 'ReplicaSet', '1.16'],
    ['extensions/v1beta1', 'NetworkPolicy', '1.16'], ['extensions/v1beta1', 'PodSecurityPolicy', '1.16'], ['extensions/v1beta1', 'Ingress', '1.22'],
    ['apps/v1beta1', 'Deployment', '1.16'], ['apps/v1beta1', 'StatefulSet', '1.16'], ['apps/v1beta2', 'Deployment', '1.16'],
    ['apps/v1beta2', 'DaemonSet', '1.16'], ['apps/v1beta2', 'ReplicaSet', '1.16'], ['apps/v1beta2', 'StatefulSet', '1.16'],
    ['batch/v1beta1', 'CronJob', '1.25'], ['batch/v2alpha1', 'CronJob', '1.21'], ['policy/v1beta1', 'PodSecurityPolicy', '1.25'],
    ['policy/v1beta1', 'PodDisruptionBudget', '1.25'], ['networking.k8s.io/v1beta1', 'Ingress', '1.22'], ['networking.k8s.io/v1beta1', 'IngressClass', '1.22'],
    ['rbac.authorization.k8s.io/v1beta1', 'RoleBinding', '1.22'], ['apiextensions.k8s.io/v1beta1', 'CustomResourceDefinition', '1.22'],
    ['admissionregistration.k8s.io/v1beta1', 'ValidatingWebhookConfiguration', '1.22'], ['discovery.k8s.io/v1beta1', 'EndpointSlice', '1.25'],
    ['autoscaling/v2beta1', 'HorizontalPodAutoscaler', '1.25'], ['autoscaling/v2beta2', 'HorizontalPodAutoscaler', '1.26'],
    ['scheduling.k8s.io/v1beta1', 'PriorityClass', '1.22'], ['node.k8s.io/v1beta1', 'RuntimeClass', '1.25'],
    ['flowcontrol.apiserver.k8s.io/v1beta1', 'FlowSchema', '1.26'], ['flowcontrol.apiserver.k8s.io/v1beta2', 'FlowSchema', '1.29'],
    ['flowcontrol.apiserver.k8s.io/v1beta3', 'FlowSchema', '1.32'], ['storage.k8s.io/v1beta1', 'CSIStorageCapacity', '1.27'],
  ] as const)('%s %s is removed in %s', ([apiVersion, kind, removedIn]) => {
    expect(removedApi(apiVersion, kind)?.removedIn).toBe(removedIn);
  });
  test('lookups are by apiVersion and kind', () => {
    expect(removedApi('apps/v1', 'DaemonSet')).toBeUndefined();
    expect(replacementAt(removedApi('extensions/v1beta1', 'Ingress')!, 'Ingress', '1.22')).toBe('networking.k8s.io/v1');
  });
});
