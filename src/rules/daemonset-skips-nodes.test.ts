import { describe, expect, test } from 'vitest';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { workerNode } from '../testing/model.js';
import { yaml } from '../testing/yaml.js';
import rule from './daemonset-skips-nodes.js';

/** A DaemonSet with hostNetwork set as given and one more pod spec line. */
const daemonSet = (hostNetwork: boolean, extra = '') => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: cni-agent, namespace: kube-system}
  spec:
    selector: {matchLabels: {app: cni-agent}}
    template:
      metadata: {labels: {app: cni-agent}}
      spec:
        hostNetwork: ${hostNetwork}
        ${extra === '' ? 'restartPolicy: Always' : extra}
        containers:
          - name: agent
            image: example.com/cni-agent
`;

const controlPlaneToleration = 'tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]';

ruleTester.run(rule, {
  valid: [
    { name: 'hostNetwork DaemonSet that tolerates the control-plane taint', yaml: daemonSet(true, controlPlaneToleration) },
    { name: 'a toleration of every taint (operator Exists, no key)', yaml: daemonSet(true, 'tolerations: [{operator: Exists}]') },
    { name: 'a DaemonSet without hostNetwork', yaml: daemonSet(false) },
    {
      name: 'a hostNetwork Deployment is not a DaemonSet',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec:
          selector: {matchLabels: {app: d}}
          template:
            metadata: {labels: {app: d}}
            spec:
              hostNetwork: true
              containers: [{name: a, image: busybox}]
      `,
    },
    {
      name: 'DS-3: a cordoned node and a network-unavailable taint are tolerated automatically',
      yaml: daemonSet(true, controlPlaneToleration),
      cluster: {
        nodes: [
          ...DEFAULT_CLUSTER.nodes,
          workerNode('worker-4', { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] }),
          workerNode('worker-5', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }),
        ],
      },
    },
  ],
  invalid: [
    {
      name: 'default cluster, hostNetwork DaemonSet without tolerations: skips control-plane-1',
      yaml: daemonSet(true),
      errors: [{
        messageId: 'skips', severity: 'info', line: 9, column: 7, path: 'spec.template.spec.hostNetwork',
        messageIncludes: [
          'runs no pod on 1 of the cluster\'s 4 nodes: control-plane-1 (untolerated taint {node-role.kubernetes.io/control-plane: })',
          'a CNI, a proxy, a log or metrics agent, a DNS cache',
          'tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]',
        ],
      }],
    },
    {
      name: 'a nodeSelector matching only worker-1 lists the others, grouped by reason',
      yaml: daemonSet(true, 'nodeSelector: {kubernetes.io/hostname: worker-1}'),
      errors: [{
        messageId: 'skips', severity: 'info',
        messageIncludes: [
          'runs no pod on 3 of the cluster\'s 4 nodes: control-plane-1, worker-2, worker-3 (its nodeSelector or required node affinity does not match)',
          'If it must run on control-plane-1, worker-2, worker-3, widen its nodeSelector or node affinity.',
        ],
      }],
    },
    {
      name: 'required node affinity excluding the control plane, and a tainted worker',
      yaml: daemonSet(true, 'affinity: {nodeAffinity: {requiredDuringSchedulingIgnoredDuringExecution: {nodeSelectorTerms: [{matchExpressions: [{key: node-role.kubernetes.io/control-plane, operator: DoesNotExist}]}]}}}'),
      cluster: {
        nodes: [...DEFAULT_CLUSTER.nodes, workerNode('gpu-1', { taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }, { key: 'dedicated', value: 'ml', effect: 'NoExecute' }] })],
      },
      errors: [{
        messageId: 'skips',
        messageIncludes: [
          'on 2 of the cluster\'s 5 nodes: control-plane-1 (its nodeSelector or required node affinity does not match); gpu-1 (untolerated taint {nvidia.com/gpu: present}, {dedicated: ml})',
          'add these tolerations to the pod template: tolerations: [{key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}, {key: dedicated, operator: Exists, effect: NoExecute}]',
        ],
      }],
    },
    {
      name: 'a template bound with nodeName runs on one node only',
      yaml: daemonSet(true, 'nodeName: worker-3'),
      errors: [{ messageId: 'skips', messageIncludes: ['control-plane-1, worker-1, worker-2 (spec.nodeName names another node)', 'Remove spec.nodeName'] }],
    },
  ],
});

describe('evidence', () => {
  test('each skipped node carries the controller verdict', () => {
    const [f] = runRule(rule, daemonSet(true, 'nodeSelector: {kubernetes.io/hostname: worker-1}'));
    expect(f!.evidence).toContain('node worker-2: DS-1 says no: node(s) didn\'t match Pod\'s node affinity/selector');
    expect(f!.evidence).toContain('DS-3');
  });
});
