import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './external-traffic-policy-local-gaps.js';
import { stepWalks } from '../sim/dataplane/describe.js';
import { listNames } from './rule-text.js';

/** The backing workload: app=web in namespace shop, serving 8080. */
const deployment = (replicas: number) => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: shop}
  spec:
    replicas: ${replicas}
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        containers: [{name: web, image: example.com/web:1.0, ports: [{containerPort: 8080}]}]
`;

const daemonSet = (tolerations = '[]') => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata: {name: web, namespace: shop}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        tolerations: ${tolerations}
        containers: [{name: web, image: example.com/web:1.0, ports: [{containerPort: 8080}]}]
`;

/** A Service of app=web; line 6 is externalTrafficPolicy (column 3). */
const service = (type: string, policy: string, extra = '', ports = '[{port: 80, targetPort: 8080, nodePort: 30080}]') => yaml`
  apiVersion: v1
  kind: Service
  metadata: {name: web, namespace: shop}
  spec:
    type: ${type}
    externalTrafficPolicy: ${policy}
    selector: {app: web}
    ports: ${ports}
    ${extra}
`;

const join = (...docs: string[]): string => docs.join('---\n');

ruleTester.run(rule, {
  valid: [
    { name: 'Cluster: every node forwards to any endpoint', yaml: join(deployment(1), service('NodePort', 'Cluster')) },
    {
      name: 'ClusterIP: no external destination to police',
      yaml: join(deployment(1), service('ClusterIP', 'Cluster', '', '[{port: 80, targetPort: 8080}]')),
    },
    {
      name: 'Local with a DaemonSet that tolerates the control-plane taint: an endpoint on every node',
      yaml: join(daemonSet('[{key: node-role.kubernetes.io/control-plane, operator: Exists, effect: NoSchedule}]'), service('NodePort', 'Local')),
    },
    {
      name: 'Local with no endpoint anywhere is REJECTed everywhere, which other rules explain',
      yaml: service('NodePort', 'Local'),
    },
    {
      name: 'a kube-proxy replacement (proxyMode none) is not judged',
      yaml: join(deployment(1), service('NodePort', 'Local')),
      cluster: { proxyMode: 'none' },
    },
    {
      name: 'a LoadBalancer without nodePorts and without a known address has no external destination here',
      yaml: join(deployment(1), service('LoadBalancer', 'Local', 'allocateLoadBalancerNodePorts: false', '[{port: 80, targetPort: 8080}]')),
    },
  ],
  invalid: [
    {
      name: 'Local with a DaemonSet on every worker: the tainted control-plane node is still a gap',
      yaml: join(daemonSet(), service('NodePort', 'Local')),
      errors: [{
        messageId: 'nodePort', line: 17, column: 3, path: 'spec.externalTrafficPolicy', severity: 'warning',
        messageIncludes: [
          'Service shop/web has externalTrafficPolicy: Local, and 1 of the cluster\'s 4 nodes runs none of its endpoints: control-plane-1 (the endpoints are on worker-1, worker-2 and worker-3).',
          'The backing pods cannot run there: they do not tolerate the taint on control-plane-1 (node-role.kubernetes.io/control-plane:NoSchedule).',
          'opens nodePort 30080/TCP on all of them',
          'On control-plane-1 kube-proxy drops it (KP-10): hostnet\'s trace of a connection from outside to control-plane-1 at 192.168.10.10:30080/TCP ends with the packet dropped by rule 1 of filter KUBE-EXTERNAL-SERVICES ("shop/web has no local endpoints")',
          'a DaemonSet does that, with a toleration for node-role.kubernetes.io/control-plane:NoSchedule if clients use that node',
          'externalTrafficPolicy: Cluster',
        ],
      }],
    },
    {
      name: 'Local with a 1-replica Deployment: three nodes are gaps',
      yaml: join(deployment(1), service('NodePort', 'Local')),
      errors: [{
        messageId: 'nodePort', path: 'spec.externalTrafficPolicy',
        messageIncludes: [
          '3 of the cluster\'s 4 nodes run none of its endpoints: control-plane-1, worker-2 and worker-3 (the endpoints are on worker-1).',
          'The backing pods cannot run on 1 of them: they do not tolerate the taint on control-plane-1',
          'On control-plane-1, worker-2 and worker-3 kube-proxy drops it (KP-10)',
        ],
      }],
    },
    {
      name: 'a nodeSelector keeps the pods off the other workers, the taint off the control plane',
      yaml: join(deployment(1).replace('      containers:', '      nodeSelector: {kubernetes.io/hostname: worker-1}\n      containers:'), service('NodePort', 'Local')),
      errors: [{
        messageId: 'nodePort',
        messageIncludes: ['The backing pods cannot run on any of them: they do not tolerate the taint on control-plane-1 (node-role.kubernetes.io/control-plane:NoSchedule), and their nodeSelector, affinity or nodeName keeps them off worker-2 and worker-3.'],
      }],
    },
    {
      name: 'LoadBalancer: info, the health check steers the load balancer around the gaps',
      yaml: join(deployment(2), service('LoadBalancer', 'Local', 'healthCheckNodePort: 32000')),
      errors: [{
        messageId: 'loadBalancer', severity: 'info', path: 'spec.externalTrafficPolicy',
        messageIncludes: [
          'LoadBalancer Service shop/web has externalTrafficPolicy: Local, and 2 of the cluster\'s 4 nodes run none of its endpoints: control-plane-1 and worker-3 (the endpoints are on worker-1 and worker-2).',
          'it probes healthCheckNodePort 32000 on every node, kube-proxy answers 503',
          'KP-11',
          'clients that connect to nodePort 30080/TCP of a node directly',
          'On control-plane-1 and worker-3 kube-proxy drops it (KP-10)',
        ],
      }],
    },
    {
      name: 'LoadBalancer without a written healthCheckNodePort: the number is a stand-in',
      yaml: join(deployment(3), service('LoadBalancer', 'Local')),
      errors: [{ messageId: 'loadBalancer', severity: 'info', messageIncludes: ['(allocated by the API server; hostnet uses a stand-in number)', 'runs none of its endpoints: control-plane-1 ('] }],
    },
    {
      name: 'a LoadBalancer address without nodePorts is traced to that address',
      yaml: join(deployment(1), service('LoadBalancer', 'Local', 'allocateLoadBalancerNodePorts: false\n    loadBalancerIP: 198.51.100.7', '[{port: 80, targetPort: 8080}]')),
      errors: [{
        messageId: 'loadBalancer',
        messageIncludes: [
          'is not forwarded to other nodes (KP-9): connections that arrive before',
          'trace of a connection from outside to control-plane-1 at 198.51.100.7:80/TCP ends with the packet dropped by rule 1 of filter KUBE-EXTERNAL-SERVICES ("shop/web has no local endpoints")',
        ],
      }],
    },
    {
      name: 'two ports with the same gaps make one finding',
      yaml: join(deployment(1), service('NodePort', 'Local', '', '[{name: http, port: 80, targetPort: 8080, nodePort: 30080}, {name: alt, port: 81, targetPort: 8080, nodePort: 30081}]')),
      errors: [{ messageId: 'nodePort', messageIncludes: ['opens nodePort 30080/TCP and 30081/TCP on all of them', '("shop/web:http has no local endpoints")'] }],
    },
    {
      name: 'ipvs mode: the same by the documentation, not traced',
      yaml: join(deployment(1), service('NodePort', 'Local')),
      cluster: { proxyMode: 'ipvs' },
      errors: [{ messageId: 'nodePort', messageIncludes: ['The Service documentation says the same for kube-proxy in ipvs mode', 'so this was not traced.'] }],
    },
    {
      name: 'a gap node where another pod\'s host port takes the nodePort: the trace says so, no drop is claimed there',
      yaml: join(deployment(1), service('NodePort', 'Local'), yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: relay, namespace: mon}
        spec:
          nodeName: worker-2
          containers: [{name: relay, image: example.com/relay:1.0, ports: [{containerPort: 9000, hostPort: 30080}]}]
      `),
      errors: [{
        messageId: 'nodePort',
        messageIncludes: [
          'On control-plane-1 and worker-3 kube-proxy drops it (KP-10)',
          'On worker-2 the trace ends otherwise: the packet is delivered to pod ',
          ' at 10.244.2.2:9000 on worker-2.',
        ],
      }],
    },
  ],
});

describe('evidence', () => {
  test('the trace of one gap node is in the evidence, walk by walk', () => {
    const findings = runRule(rule, join(daemonSet(), service('NodePort', 'Local')));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence).toEqual([
      'KP-7', 'KP-9', 'KP-10', 'KP-11', 'KP-14', 'DEF-6', 'VAL-20', 'DS-1',
      'Service shop/web: type NodePort, externalTrafficPolicy Local, nodePort 30080/TCP',
      'endpoints: 10.244.1.2:8080 on worker-1, 10.244.2.2:8080 on worker-2 and 10.244.3.2:8080 on worker-3',
      'nodes without a local endpoint: control-plane-1',
      'trace on control-plane-1: 203.0.113.10 → 192.168.10.10:30080/TCP from outside the cluster: nat PREROUTING → KUBE-SERVICES → KUBE-NODEPORTS → KUBE-EXT-E3PXEPMWAWIUT6ZV (no rule there matched); filter INPUT → KUBE-EXTERNAL-SERVICES rule 1 "shop/web has no local endpoints": DROP',
    ]);
  });
});

describe('helpers', () => {
  test('listNames', () => {
    expect(listNames([])).toBe('');
    expect(listNames(['a'])).toBe('a');
    expect(listNames(['a', 'b', 'c'])).toBe('a, b and c');
    expect(listNames(['a', 'b', 'c', 'd', 'e', 'f'])).toBe('a, b, c and 3 more');
  });
  test('stepWalks leaves out a walk into a chain where nothing matched', () => {
    expect(stepWalks([
      { table: 'filter', chain: 'INPUT', index: 1, rule: '-A INPUT -j KUBE-FIREWALL', effect: 'jump KUBE-FIREWALL' },
      { table: 'filter', chain: 'INPUT', index: 2, rule: '-A INPUT -j KUBE-EXTERNAL-SERVICES', effect: 'jump KUBE-EXTERNAL-SERVICES' },
      { table: 'filter', chain: 'KUBE-EXTERNAL-SERVICES', index: 3, rule: '-A KUBE-EXTERNAL-SERVICES -p tcp -j REJECT', effect: 'REJECT' },
    ])).toEqual(['filter INPUT → KUBE-EXTERNAL-SERVICES rule 3: REJECT']);
  });
});
