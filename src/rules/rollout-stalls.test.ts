import { describe, expect, test } from 'vitest';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './rollout-stalls.js';

/** A Deployment with hostPort 80; `strategy` is a flow mapping or '' for none. */
const deployment = (replicas: number, strategy = '', apiVersion = 'apps/v1') => yaml`
  apiVersion: ${apiVersion}
  kind: Deployment
  metadata:
    name: web
  spec:
    replicas: ${replicas}
    selector: {matchLabels: {app: web}}
    ${strategy === '' ? '' : `strategy: ${strategy}`}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers:
          - name: web
            image: nginx:1.27
            ports: [{containerPort: 80, hostPort: 80}]
`;

/** A DaemonSet, hostNetwork or not, with port 9000; `strategy` is a flow mapping or '' for none. */
const daemonSet = (hostNetwork: boolean, strategy = '', apiVersion = 'apps/v1') => yaml`
  apiVersion: ${apiVersion}
  kind: DaemonSet
  metadata:
    name: agent
    namespace: kube-system
  spec:
    selector: {matchLabels: {app: agent}}
    ${strategy === '' ? '' : `updateStrategy: ${strategy}`}
    template:
      metadata: {labels: {app: agent}}
      spec:
        hostNetwork: ${hostNetwork}
        containers:
          - name: agent
            image: example.com/agent:1.0
            ports: [{containerPort: 9000}]
`;

/** calico-typha's shape (projectcalico/calico manifests/calico-typha.yaml), with its maxUnavailable as given. */
const typha = (maxUnavailable: number) => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: calico-typha
    namespace: kube-system
  spec:
    replicas: 1
    selector: {matchLabels: {k8s-app: calico-typha}}
    strategy:
      rollingUpdate:
        maxSurge: 100%
        maxUnavailable: ${maxUnavailable}
      type: RollingUpdate
    template:
      metadata: {labels: {k8s-app: calico-typha}}
      spec:
        nodeSelector: {kubernetes.io/os: linux}
        hostNetwork: true
        tolerations:
          - {key: CriticalAddonsOnly, operator: Exists}
          - {effect: NoSchedule, operator: Exists}
          - {effect: NoExecute, operator: Exists}
        containers:
          - name: calico-typha
            image: quay.io/calico/calico:master
            ports: [{containerPort: 5473, name: calico-typha, protocol: TCP}]
`;

/** A Deployment whose pods keep off each other's nodes; no host ports. */
const antiAffinity = (replicas: number) => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: cache
  spec:
    replicas: ${replicas}
    selector: {matchLabels: {app: cache}}
    template:
      metadata: {labels: {app: cache}}
      spec:
        affinity:
          podAntiAffinity:
            requiredDuringSchedulingIgnoredDuringExecution:
              - labelSelector: {matchLabels: {app: cache}}
                topologyKey: kubernetes.io/hostname
        containers: [{name: cache, image: redis:7}]
`;

const WORKER_1_ONLY = { nodes: DEFAULT_CLUSTER.nodes.filter((n) => n.name === 'worker-1') };

const STUCK_3 = '"0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn\'t have free ports for the requested pod ports."';

ruleTester.run(rule, {
  valid: [
    { name: 'replicas 2 on 3 workers: the surge pod takes the spare worker', yaml: deployment(2) },
    { name: 'replicas 3 with maxUnavailable 1: an old pod goes first', yaml: deployment(3, '{rollingUpdate: {maxUnavailable: 1}}') },
    { name: 'replicas 3 with maxSurge 0, maxUnavailable 1', yaml: deployment(3, '{rollingUpdate: {maxSurge: 0, maxUnavailable: 1}}') },
    { name: 'replicas 3 with Recreate', yaml: deployment(3, '{type: Recreate}') },
    { name: 'extensions/v1beta1 Deployment: maxSurge 1 and maxUnavailable 1 by default', yaml: deployment(3, '', 'extensions/v1beta1') },
    { name: 'replicas 4 on 3 workers: Pending from the start is unschedulable-replicas\' finding', yaml: deployment(4) },
    { name: 'hostNetwork DaemonSet with the default strategy (maxUnavailable 1, DS-4)', yaml: daemonSet(true) },
    { name: 'DaemonSet maxSurge 1 without host ports (istio ztunnel)', yaml: daemonSet(false, '{rollingUpdate: {maxSurge: 1, maxUnavailable: 0}, type: RollingUpdate}') },
    { name: 'extensions/v1beta1 DaemonSet: OnDelete, nothing to play', yaml: daemonSet(true, '', 'extensions/v1beta1') },
    { name: 'DaemonSet OnDelete written', yaml: daemonSet(true, '{type: OnDelete}') },
    { name: 'calico-typha: replicas 1, maxSurge 100%, maxUnavailable 1 completes', yaml: typha(1) },
    { name: 'calico-typha with maxUnavailable 0 still completes: spare nodes', yaml: typha(0) },
    { name: 'calico-typha on one node: maxUnavailable 1 lets the old pod go first', yaml: typha(1), cluster: WORKER_1_ONLY },
    { name: 'anti-affinity with a spare node', yaml: antiAffinity(2) },
    {
      name: 'no host ports and no anti-affinity: nothing to wait for',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: plain}
        spec:
          replicas: 3
          selector: {matchLabels: {app: plain}}
          template:
            metadata: {labels: {app: plain}}
            spec:
              containers: [{name: a, image: busybox, ports: [{containerPort: 80}]}]
      `,
    },
    {
      name: 'a StatefulSet rolls one pod at a time, without surge',
      yaml: yaml`
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          replicas: 3
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              containers: [{name: a, image: busybox, ports: [{containerPort: 9000, hostPort: 9000}]}]
      `,
    },
  ],
  invalid: [
    {
      name: 'replicas 3, hostPort, default strategy, 3 workers: stalls at step 1',
      yaml: deployment(3),
      errors: [{
        messageId: 'deployment', line: 6, column: 3, path: 'spec.replicas', severity: 'error',
        messageIncludes: [
          'maxSurge 25% of 3 replicas rounds up to 1 (the default) and maxUnavailable 25% rounds down to 0 (the default)',
          'adds 1 new pod beside the 3 old ones',
          'At step 1 Deployment default/web (new pod 1 of 3) stays Pending: ' + STUCK_3,
          'It needs host port 80/TCP, which the old pods still hold on worker-1, worker-2 and worker-3 (SCHED-3).',
          'No other node is free: 3 nodes are eligible for 3 replicas, and the update needs 4 at once.',
          'maxSurge: 0 and maxUnavailable: 1', 'type: Recreate',
        ],
      }],
    },
    {
      name: 'a written maxSurge is the field pointed at',
      yaml: deployment(3, '{rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}'),
      errors: [{ messageId: 'deployment', path: 'spec.strategy.rollingUpdate.maxSurge', messageIncludes: ['maxSurge 1 and maxUnavailable 0'] }],
    },
    {
      name: 'a written maxUnavailable 0 is the field pointed at when maxSurge is defaulted',
      yaml: deployment(3, '{rollingUpdate: {maxUnavailable: 0}}'),
      errors: [{
        messageId: 'deployment', line: 8, column: 30, path: 'spec.strategy.rollingUpdate.maxUnavailable',
        messageIncludes: ['maxSurge 25% of 3 replicas rounds up to 1 (the default) and maxUnavailable 0, so'],
      }],
    },
    {
      name: 'a written strategy type without numbers points at the strategy',
      yaml: deployment(3, '{type: RollingUpdate}'),
      errors: [{ messageId: 'deployment', path: 'spec.strategy' }],
    },
    {
      name: 'maxSurge 100% of 3: three new pods wait',
      yaml: deployment(3, '{rollingUpdate: {maxSurge: 100%, maxUnavailable: 0}}'),
      errors: [{
        messageId: 'deployment',
        messageIncludes: ['maxSurge 100% of 3 replicas rounds up to 3 and maxUnavailable 0', 'adds 3 new pods', '(new pod 1 of 3), Deployment default/web (new pod 2 of 3) and Deployment default/web (new pod 3 of 3) stays Pending'],
      }],
    },
    {
      name: 'hostNetwork DaemonSet with maxSurge 1 (DS-5)',
      yaml: daemonSet(true, '{rollingUpdate: {maxSurge: 1, maxUnavailable: 0}, type: RollingUpdate}'),
      errors: [{
        messageId: 'daemonSet', line: 8, column: 36, path: 'spec.updateStrategy.rollingUpdate.maxSurge',
        messageIncludes: [
          'maxSurge 1 (maxUnavailable is then 0, VAL-21)', 'DS-5', 'DS-2',
          'At step 1 DaemonSet kube-system/agent (new pod for worker-1) stays Pending: "0/4 nodes are available: 1 node(s) didn\'t have free ports for the requested pod ports',
          'It needs host port 9000/TCP, which the old pod still holds on worker-1 (SCHED-3).',
          'never gets past worker-1', 'maxSurge: 0 and maxUnavailable: 1',
        ],
      }],
    },
    {
      name: 'DaemonSet maxSurge 2 with a hostPort: two nodes stop',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: proxy}
        spec:
          selector: {matchLabels: {app: proxy}}
          updateStrategy: {rollingUpdate: {maxSurge: 2, maxUnavailable: 0}}
          template:
            metadata: {labels: {app: proxy}}
            spec:
              containers: [{name: p, image: envoy, ports: [{containerPort: 8443, hostPort: 443}]}]
      `,
      errors: [{ messageId: 'daemonSet', messageIncludes: ['maxSurge 2', 'host port 443/TCP', 'never gets past worker-1 and worker-2'] }],
    },
    {
      name: 'DaemonSet maxSurge as a percentage',
      yaml: daemonSet(true, '{rollingUpdate: {maxSurge: 10%, maxUnavailable: 0}}'),
      errors: [{ messageId: 'daemonSet', messageIncludes: ['maxSurge 10% of 3 nodes rounds up to 1'] }],
    },
    {
      name: 'required self anti-affinity on hostname, replicas 3, default strategy',
      yaml: antiAffinity(3),
      errors: [{
        messageId: 'deployment', path: 'spec.replicas',
        messageIncludes: [
          'didn\'t match pod anti-affinity rules."',
          'Its required pod anti-affinity keeps it off worker-1, worker-2 and worker-3, where the old pods run.',
          'No other node is free: 3 nodes are eligible for 3 replicas, and the update needs 4 at once.',
        ],
      }],
    },
    {
      name: 'calico-typha with maxUnavailable 0 on a one-node cluster',
      yaml: typha(0),
      cluster: WORKER_1_ONLY,
      errors: [{
        messageId: 'deployment', path: 'spec.strategy.rollingUpdate.maxSurge',
        messageIncludes: ['maxSurge 100% of 1 replica rounds up to 1 and maxUnavailable 0', 'host port 5473/TCP', '1 node is eligible for 1 replica, and the update needs 2 at once'],
      }],
    },
    {
      name: 'another workload holds the port on the spare node',
      yaml: `${yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: pinned}
        spec:
          nodeName: worker-3
          containers: [{name: a, image: busybox, ports: [{containerPort: 80, hostPort: 80}]}]
      `}---\n${deployment(2)}`,
      errors: [{
        messageId: 'deployment',
        messageIncludes: ['which the old pods still hold on worker-1 and worker-2 (SCHED-3). Elsewhere Pod default/pinned holds 80/TCP on worker-3.'],
      }],
    },
  ],
});

describe('related locations and evidence', () => {
  test('the finding points at the own host port and at the other holder', () => {
    const source = `${yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: pinned}
      spec:
        nodeName: worker-3
        containers: [{name: a, image: busybox, ports: [{containerPort: 80, hostPort: 80}]}]
    `}---\n${deployment(2)}`;
    const findings = runRule(rule, source);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.related).toEqual([
      { message: 'The new pods need host port 80/TCP here, which the old pods still hold.', file: 'test.yaml', line: 22, column: 39, path: 'spec.template.spec.containers[0].ports[0].hostPort' },
      { message: 'Pod default/pinned holds host port 80/TCP on worker-3.', file: 'test.yaml', line: 6, column: 70, path: 'spec.containers[0].ports[0].hostPort' },
    ]);
    expect(findings[0]!.evidence).toEqual(expect.arrayContaining([
      'DS-5', 'SCHED-3',
      'resolved: maxSurge 1, maxUnavailable 0 of 2 replicas; 3 eligible nodes',
      'node worker-3: Pod default/pinned holds 0.0.0.0:80/TCP',
      'node worker-1: Deployment default/web (pod 1 of 2) holds 0.0.0.0:80/TCP',
    ]));
    expect(findings[0]!.evidence.some((e) => e.startsWith('step 1: create Deployment default/web (new pod 1 of 2)'))).toBe(true);
    // 3 eligible nodes are enough for 2 replicas plus 1 surge pod: the other holder is the cause, not the node count.
    expect(findings[0]!.message).not.toContain('No other node is free');
  });
});
