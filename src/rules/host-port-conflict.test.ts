import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-port-conflict.js';

/** A DaemonSet with one container, the given ports (flow YAML) and one more pod spec line. */
const daemonSet = (name: string, ports: string, extra = '') => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: ${name}, namespace: infra}
  spec:
    selector: {matchLabels: {app: ${name}}}
    template:
      metadata: {labels: {app: ${name}}}
      spec:
        ${extra === '' ? 'restartPolicy: Always' : extra}
        containers:
          - name: main
            image: example.com/${name}
            ports: ${ports}
`;

/** A Deployment with one container and the given replicas and ports. */
const deployment = (name: string, replicas: number, ports: string, extra = '') => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata: {name: ${name}, namespace: apps}
  spec:
    replicas: ${replicas}
    selector: {matchLabels: {app: ${name}}}
    template:
      metadata: {labels: {app: ${name}}}
      spec:
        ${extra === '' ? 'restartPolicy: Always' : extra}
        containers:
          - name: main
            image: example.com/${name}
            ports: ${ports}
`;

const join = (...docs: string[]) => docs.join('---\n');

/** A copy of nginxinc/kubernetes-ingress deployments/daemon-set/nginx-ingress.yaml, reduced to what placement reads. */
const nginxincDaemonSet = yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: nginx-ingress
    namespace: nginx-ingress
  spec:
    selector:
      matchLabels:
        app: nginx-ingress
    template:
      metadata:
        labels:
          app: nginx-ingress
      spec:
        containers:
        - image: nginx/nginx-ingress:4.0.0
          name: nginx-ingress
          ports:
          - name: http
            containerPort: 80
            hostPort: 80
          - name: https
            containerPort: 443
            hostPort: 443
          - name: readiness-port
            containerPort: 8081
`;

/** A copy of kubernetes/ingress-nginx deploy/static/provider/kind/deploy.yaml's controller Deployment. */
const kindDeployment = (tolerations: boolean) => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: ingress-nginx-controller
    namespace: ingress-nginx
  spec:
    selector:
      matchLabels:
        app.kubernetes.io/name: ingress-nginx
    strategy:
      rollingUpdate:
        maxUnavailable: 1
      type: RollingUpdate
    template:
      metadata:
        labels:
          app.kubernetes.io/name: ingress-nginx
      spec:
        containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.15.1
          ports:
          - containerPort: 80
            hostPort: 80
            name: http
            protocol: TCP
          - containerPort: 443
            hostPort: 443
            name: https
            protocol: TCP
          - containerPort: 8443
            name: webhook
            protocol: TCP
        nodeSelector:
          kubernetes.io/os: linux
        tolerations: ${tolerations ? '[{effect: NoSchedule, key: node-role.kubernetes.io/control-plane, operator: Equal}]' : '[]'}
`;

ruleTester.run(rule, {
  valid: [
    {
      name: 'one workload claiming its port twice is duplicate-host-port\'s business, not a conflict with itself',
      yaml: deployment('pair', 1, '[{containerPort: 9090, hostPort: 9090}, {containerPort: 9091, hostPort: 9090}]'),
    },
    { name: 'one workload alone', yaml: nginxincDaemonSet },
    { name: 'different host ports', yaml: join(daemonSet('a', '[{containerPort: 80, hostPort: 80}]'), daemonSet('b', '[{containerPort: 81, hostPort: 81}]')) },
    {
      name: 'DaemonSet and Deployment with disjoint nodeSelectors',
      yaml: join(
        daemonSet('edge', '[{containerPort: 80, hostPort: 80}]', 'nodeSelector: {kubernetes.io/hostname: worker-1}'),
        deployment('web', 2, '[{containerPort: 80, hostPort: 80}]', 'nodeSelector: {topology.kubernetes.io/zone: zone-b}'),
      ),
    },
    {
      name: '80/TCP and 80/UDP never conflict (SCHED-3)',
      yaml: join(daemonSet('tcp', '[{containerPort: 80, hostPort: 80}]'), daemonSet('udp', '[{containerPort: 80, hostPort: 80, protocol: UDP}]')),
    },
    {
      name: 'two different specific hostIPs do not conflict (SCHED-3)',
      yaml: join(
        daemonSet('one', '[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]'),
        daemonSet('two', '[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.2}]'),
      ),
    },
    {
      name: 'a hostNetwork pod that does not declare the port reserves nothing (SCHED-4)',
      yaml: join(daemonSet('agent', '[]', 'hostNetwork: true'), daemonSet('exporter', '[{containerPort: 9100, hostPort: 9100}]')),
    },
    {
      name: 'ports without hostPort on ordinary pods are not host ports',
      yaml: join(deployment('a', 3, '[{containerPort: 8080}]'), deployment('b', 3, '[{containerPort: 8080}]')),
    },
    {
      name: 'the control-plane-only Deployment and a worker DaemonSet never share a node',
      yaml: join(
        nginxincDaemonSet,
        deployment('cp', 1, '[{containerPort: 80, hostPort: 80}]', 'nodeSelector: {node-role.kubernetes.io/control-plane: ""}\n        tolerations: [{key: node-role.kubernetes.io/control-plane, operator: Exists}]'),
      ),
    },
  ],
  invalid: [
    {
      name: 'nginxinc DaemonSet + ingress-nginx kind Deployment: room for both this time (warning on 80 and 443)',
      yaml: join(nginxincDaemonSet, kindDeployment(true)),
      errors: [
        {
          messageId: 'mayCollide', severity: 'warning', line: 51, column: 11, path: 'spec.template.spec.containers[0].ports[0].hostPort',
          messageIncludes: ['Host port 80/TCP of this Deployment', 'DaemonSet nginx-ingress/nginx-ingress (test.yaml:21)', 'worker-1, worker-2, worker-3'],
        },
        {
          messageId: 'mayCollide', severity: 'warning', line: 55, column: 11, path: 'spec.template.spec.containers[0].ports[1].hostPort',
          messageIncludes: ['Host port 443/TCP', 'DaemonSet nginx-ingress/nginx-ingress (test.yaml:24)'],
        },
      ],
    },
    {
      name: 'ingress-nginx kind Deployment first, without the control-plane toleration: the DaemonSet pod on its node stays Pending',
      yaml: join(kindDeployment(false), nginxincDaemonSet),
      errors: [
        {
          messageId: 'blocked', severity: 'error', line: 58, column: 11, path: 'spec.template.spec.containers[0].ports[0].hostPort',
          messageIncludes: [
            'Host port 80/TCP of this DaemonSet collides with Deployment ingress-nginx/ingress-nginx-controller (test.yaml:24), which holds it on worker-1',
            '1 pod of this DaemonSet stays Pending',
            'The scheduler says: "0/4 nodes are available: 1 node(s) didn\'t have free ports for the requested pod ports, 3 node(s) didn\'t satisfy plugin(s) [NodeAffinity]."',
            'different hostPort',
          ],
        },
        { messageId: 'blocked', severity: 'error', path: 'spec.template.spec.containers[0].ports[1].hostPort', messageIncludes: ['Host port 443/TCP', 'test.yaml:28'] },
      ],
    },
    {
      name: 'two DaemonSets on one port: every pod of the second stays Pending',
      yaml: join(daemonSet('a', '[{containerPort: 80, hostPort: 80}]'), daemonSet('b', '[{containerPort: 8080, hostPort: 80}]')),
      errors: [{
        messageId: 'blocked', severity: 'error', line: 27, column: 41, path: 'spec.template.spec.containers[0].ports[0].hostPort',
        messageIncludes: ['DaemonSet infra/a (test.yaml:13)', 'on worker-1, worker-2, worker-3', '3 pods of this DaemonSet stay Pending', '0.0.0.0:80/TCP'],
      }],
    },
    {
      name: 'hostIP 10.0.0.1 against an empty hostIP (0.0.0.0) conflicts (SCHED-3)',
      yaml: join(daemonSet('any', '[{containerPort: 80, hostPort: 80}]'), daemonSet('one', '[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]')),
      errors: [{ messageId: 'blocked', messageIncludes: ['DaemonSet infra/any', 'already holds 0.0.0.0:80/TCP there and this DaemonSet wants 10.0.0.1:80/TCP'] }],
    },
    {
      name: 'hostNetwork implied port against an explicit hostPort (SCHED-4): the DaemonSet is blocked, reported on its containerPort',
      yaml: join(deployment('web', 1, '[{containerPort: 9100, hostPort: 9100}]'), daemonSet('exporter', '[{containerPort: 9100}]', 'hostNetwork: true')),
      errors: [{
        messageId: 'blocked', path: 'spec.template.spec.containers[0].ports[0].containerPort',
        messageIncludes: ['Host port 9100/TCP of this DaemonSet', 'Deployment apps/web', 'on worker-1', '1 pod of this DaemonSet stays Pending'],
      }],
    },
    {
      name: 'explicit hostPort against a hostNetwork implied port (SCHED-4): the Deployment is blocked everywhere',
      yaml: join(daemonSet('exporter', '[{containerPort: 9100}]', 'hostNetwork: true'), deployment('web', 1, '[{containerPort: 9100, hostPort: 9100}]')),
      errors: [{
        messageId: 'blocked', path: 'spec.template.spec.containers[0].ports[0].hostPort',
        messageIncludes: ['DaemonSet infra/exporter', 'worker-1, worker-2, worker-3', '1 pod of this Deployment stays Pending', '3 node(s) didn\'t have free ports'],
      }],
    },
    {
      name: 'a Deployment with two replicas placed first: the DaemonSet loses two nodes',
      yaml: join(deployment('web', 2, '[{containerPort: 80, hostPort: 80}]'), daemonSet('edge', '[{containerPort: 80, hostPort: 80}]')),
      errors: [{ messageId: 'blocked', messageIncludes: ['which holds it on worker-1, worker-2:', '2 pods of this DaemonSet stay Pending'] }],
    },
    {
      name: 'two Deployments with one replica each on three workers: a warning, not an error',
      yaml: join(deployment('a', 1, '[{containerPort: 80, hostPort: 80}]'), deployment('b', 1, '[{containerPort: 80, hostPort: 80}]')),
      errors: [{
        messageId: 'mayCollide', severity: 'warning', path: 'spec.template.spec.containers[0].ports[0].hostPort',
        messageIncludes: ['Deployment apps/a', 'both may run on worker-1, worker-2, worker-3', 'after a node drains'],
      }],
    },
    {
      name: 'five Deployments on one port: one finding per later workload, naming the first and counting the rest',
      yaml: join(...['a', 'b', 'c', 'd', 'e'].map((n) => deployment(n, 1, '[{containerPort: 80, hostPort: 80}]'))),
      errors: [
        { messageId: 'mayCollide', messageIncludes: ['needed by Deployment apps/a'] },
        { messageId: 'mayCollide', messageIncludes: ['needed by Deployment apps/a', 'Deployment apps/b also claims it on some of the same nodes.'] },
        { messageId: 'blocked', messageIncludes: ['collides with Deployment apps/a', 'Deployment apps/b and Deployment apps/c also claim it'] },
        { messageId: 'blocked', messageIncludes: ['collides with Deployment apps/a', 'Deployment apps/b, Deployment apps/c and Deployment apps/d also claim it'] },
      ],
    },
    {
      name: 'a bare Pod bound with nodeName where a DaemonSet holds the port: Failed at kubelet admission (SCHED-7)',
      yaml: join(daemonSet('agent', '[{containerPort: 80, hostPort: 80}]'), yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: debug, namespace: default}
        spec:
          nodeName: worker-2
          containers:
            - name: main
              image: busybox
              ports: [{containerPort: 80, hostPort: 80}]
      `),
      errors: [{
        messageId: 'rejected', severity: 'error', line: 23, column: 35, path: 'spec.containers[0].ports[0].hostPort',
        messageIncludes: ['this Pod collides with DaemonSet infra/agent', 'on worker-2', 'phase Failed with reason NodePorts', '"Pod was rejected: Predicate NodePorts failed"', '(node(s) didn\'t have free ports for the requested pod ports)'],
      }],
    },
    {
      name: 'one finding per pair and port, whatever the number of containers claiming it',
      yaml: join(
        daemonSet('a', '[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}, {containerPort: 81, hostPort: 80, hostIP: 10.0.0.2}]'),
        daemonSet('b', '[{containerPort: 80, hostPort: 80}]'),
      ),
      errors: [{ messageId: 'blocked', messageIncludes: ['3 pods of this DaemonSet stay Pending'] }],
    },
  ],
});

describe('evidence and related locations', () => {
  test('the blocked finding names the holder per node and points at its port', () => {
    const findings = runRule(rule, join(daemonSet('a', '[{containerPort: 80, hostPort: 80}]'), daemonSet('b', '[{containerPort: 80, hostPort: 80}]')));
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f.related).toEqual([{
      message: 'DaemonSet infra/a claims host port 0.0.0.0:80/TCP here.',
      file: 'test.yaml', line: 13, column: 39, path: 'spec.template.spec.containers[0].ports[0].hostPort',
    }]);
    expect(f.evidence).toContain('node worker-1: DaemonSet infra/a holds 0.0.0.0:80/TCP');
    expect(f.evidence).toContain('node worker-3: DaemonSet infra/a holds 0.0.0.0:80/TCP');
    expect(f.evidence).toContain('SCHED-3');
  });

  test('the warning lists the shared nodes and where each was placed', () => {
    const findings = runRule(rule, join(deployment('a', 1, '[{containerPort: 80, hostPort: 80}]'), deployment('b', 1, '[{containerPort: 80, hostPort: 80}]')));
    expect(findings[0]!.evidence).toContain('placed: Deployment apps/b on worker-2; Deployment apps/a on worker-1');
  });

  test('a workload never conflicts with itself (that is unschedulable-replicas)', () => {
    expect(runRule(rule, deployment('a', 5, '[{containerPort: 80, hostPort: 80}]'))).toEqual([]);
  });
});
