import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './unschedulable-replicas.js';

/** A Deployment with `replicas` (omitted when undefined), the given ports and one more pod spec line. */
const deployment = (replicas: number | undefined, ports: string, extra = '') => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: apps}
  spec:
    ${replicas === undefined ? 'minReadySeconds: 0' : `replicas: ${replicas}`}
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        ${extra === '' ? 'restartPolicy: Always' : extra}
        containers:
          - name: main
            image: example.com/web
            ports: ${ports}
`;

const antiAffinity = (topologyKey: string, app = 'web') =>
  `affinity: {podAntiAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: ${app}}}, topologyKey: ${topologyKey}}]}}`;

/** kubernetes/examples _archived/sysdig-cloud/sysdig-rc.yaml, reduced: replicas 100, hostNetwork and hostPort 6666. */
const sysdigRC = yaml`
  apiVersion: v1
  kind: ReplicationController
  metadata:
    name: sysdig-agent
    labels:
      app: sysdig-agent
  spec:
    replicas: 100
    template:
      metadata:
        labels:
          name: sysdig-agent
      spec:
        hostNetwork: true
        containers:
          - name: sysdig-agent
            image: sysdig/agent
            ports:
              - containerPort: 6666
                hostPort: 6666
`;

/** istio pkg/kube/inject/testdata/inject/hello-host-network.yaml, reduced: replicas 7, hostNetwork, containerPort 80. */
const istioHelloHostNetwork = yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: hello-host-network
  spec:
    replicas: 7
    selector:
      matchLabels:
        app: hello
    template:
      metadata:
        labels:
          app: hello
          tier: backend
          track: stable
      spec:
        hostNetwork: true
        containers:
          - name: hello
            image: "fake.docker.io/google-samples/hello-go-gke:1.0"
            ports:
              - name: http
                containerPort: 80
`;

ruleTester.run(rule, {
  valid: [
    { name: 'replicas 3 with a hostPort on 3 workers', yaml: deployment(3, '[{containerPort: 80, hostPort: 80}]') },
    { name: 'replicas 5 without host ports', yaml: deployment(5, '[{containerPort: 80}]') },
    { name: 'replicas 5 on hostNetwork without declared ports reserves nothing (SCHED-4)', yaml: deployment(5, '[]', 'hostNetwork: true') },
    { name: 'anti-affinity on kubernetes.io/hostname with replicas 3', yaml: deployment(3, '[]', antiAffinity('kubernetes.io/hostname')) },
    { name: 'anti-affinity against other pods only', yaml: deployment(4, '[]', antiAffinity('kubernetes.io/hostname', 'db')) },
    {
      name: 'replicas 4 with a hostPort on a cluster that has 4 eligible nodes',
      yaml: deployment(4, '[{containerPort: 80, hostPort: 80}]', 'tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists}]'),
    },
    {
      name: 'a DaemonSet is never counted by replicas',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: agent}
        spec:
          selector: {matchLabels: {app: agent}}
          template:
            metadata: {labels: {app: agent}}
            spec:
              containers: [{name: a, image: example.com/agent, ports: [{containerPort: 80, hostPort: 80}]}]
      `,
    },
    {
      name: 'a Job with parallelism 3 and a hostPort',
      yaml: yaml`
        apiVersion: batch/v1
        kind: Job
        metadata: {name: load}
        spec:
          parallelism: 3
          completions: 10
          template:
            spec:
              restartPolicy: Never
              containers: [{name: a, image: example.com/load, ports: [{containerPort: 9000, hostPort: 9000}]}]
      `,
    },
  ],
  invalid: [
    {
      name: 'replicas 4 with a hostPort on 3 workers: 1 Pending',
      yaml: deployment(4, '[{containerPort: 80, hostPort: 80}]'),
      errors: [{
        messageId: 'hostPort', severity: 'error', line: 5, column: 3, path: 'spec.replicas',
        messageIncludes: [
          'This Deployment runs 4 pods at once',
          'host port 0.0.0.0:80/TCP',
          'only 3 nodes can take its pods (worker-1, worker-2, worker-3)',
          '1 pod stays Pending',
          'The scheduler says: "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn\'t have free ports for the requested pod ports."',
          'Lower spec.replicas to 3 or fewer', 'DaemonSet', 'Service',
        ],
      }],
    },
    {
      name: 'sysdig RC: replicas 100 with hostNetwork and hostPort 6666',
      yaml: sysdigRC,
      errors: [{ messageId: 'hostPort', line: 8, column: 3, path: 'spec.replicas', messageIncludes: ['This ReplicationController runs 100 pods', '0.0.0.0:6666/TCP', '97 pods stay Pending'] }],
    },
    {
      name: 'istio hello-host-network: replicas 7 with hostNetwork port 80 (implied)',
      yaml: istioHelloHostNetwork,
      errors: [{ messageId: 'hostPort', path: 'spec.replicas', messageIncludes: ['runs 7 pods', 'host port 0.0.0.0:80/TCP', '4 pods stay Pending'] }],
    },
    {
      name: 'required anti-affinity on kubernetes.io/hostname with replicas 4',
      yaml: deployment(4, '[]', antiAffinity('kubernetes.io/hostname')),
      errors: [{
        messageId: 'antiAffinity', path: 'spec.replicas',
        messageIncludes: [
          'no two of them may share a kubernetes.io/hostname value', 'they have 3 distinct values', '1 pod stays Pending',
          'The scheduler says: "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 node(s) didn\'t match pod anti-affinity rules."',
          'preferredDuringSchedulingIgnoredDuringExecution',
        ],
      }],
    },
    {
      name: 'anti-affinity on a key all eligible nodes share: one pod at most',
      yaml: deployment(2, '[]', antiAffinity('kubernetes.io/os')),
      errors: [{ messageId: 'antiAffinity', messageIncludes: ['no two of them may share a kubernetes.io/os value', 'they have 1 distinct value', 'Lower spec.replicas to 1 or fewer', '1 pod stays Pending'] }],
    },
    {
      name: 'a Job with parallelism 4 and a hostPort is counted like replicas',
      yaml: yaml`
        apiVersion: batch/v1
        kind: Job
        metadata: {name: load}
        spec:
          parallelism: 4
          completions: 10
          template:
            spec:
              restartPolicy: Never
              containers: [{name: a, image: example.com/load, ports: [{containerPort: 9000, hostPort: 9000}]}]
      `,
      errors: [{ messageId: 'hostPort', line: 5, column: 3, path: 'spec.parallelism', messageIncludes: ['This Job runs 4 pods at once', 'Lower spec.parallelism to 3 or fewer', '1 pod stays Pending'] }],
    },
    {
      name: 'a StatefulSet pinned to one zone: 2 replicas for 1 node',
      yaml: yaml`
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: minio}
        spec:
          replicas: 2
          serviceName: minio
          selector: {matchLabels: {app: minio}}
          template:
            metadata: {labels: {app: minio}}
            spec:
              nodeSelector: {topology.kubernetes.io/zone: zone-b}
              containers: [{name: minio, image: minio/minio, ports: [{containerPort: 9000, hostPort: 9000}]}]
      `,
      errors: [{ messageId: 'hostPort', messageIncludes: ['only 1 node can take its pods (worker-2)', 'Lower spec.replicas to 1 or fewer'] }],
    },
    {
      name: 'pods bound with nodeName: the extra pod is rejected by the kubelet (SCHED-7)',
      yaml: deployment(2, '[{containerPort: 80, hostPort: 80}]', 'nodeName: worker-1'),
      errors: [{
        messageId: 'hostPort', path: 'spec.replicas',
        messageIncludes: ['1 pod is rejected by the kubelet and ends in phase Failed', 'admission check on worker-1 says "node(s) didn\'t have free ports for the requested pod ports"'],
      }],
    },
  ],
});

describe('what it leaves to host-port-conflict', () => {
  test('a pod blocked by another workload is not this rule', () => {
    const other = yaml`
      apiVersion: apps/v1
      kind: DaemonSet
      metadata: {name: agent}
      spec:
        selector: {matchLabels: {app: agent}}
        template:
          metadata: {labels: {app: agent}}
          spec:
            containers: [{name: a, image: example.com/agent, ports: [{containerPort: 80, hostPort: 80}]}]
    `;
    expect(runRule(rule, `${other}---\n${deployment(3, '[{containerPort: 80, hostPort: 80}]')}`)).toEqual([]);
  });

  test('the evidence lists the eligible nodes and the stuck pods', () => {
    const [f] = runRule(rule, deployment(5, '[{containerPort: 80, hostPort: 80}]'));
    expect(f!.evidence).toEqual(expect.arrayContaining([
      '5 pods wanted; eligible nodes (static filters): worker-1, worker-2, worker-3',
      'Deployment apps/web (pod 4 of 5): Pending',
      'Deployment apps/web (pod 5 of 5): Pending',
    ]));
  });
});
