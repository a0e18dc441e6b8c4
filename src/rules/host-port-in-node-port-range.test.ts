import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-port-in-node-port-range.js';

/** A DaemonSet with one container and the given ports (flow YAML). */
const daemonSet = (hostNetwork: boolean, ports: string) => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: agent
    namespace: monitoring
  spec:
    selector: {matchLabels: {app: agent}}
    template:
      metadata: {labels: {app: agent}}
      spec:
        hostNetwork: ${hostNetwork}
        containers:
          - name: agent
            image: example.com/agent:1.0
            ports: ${ports}
`;

const nodePortService = (nodePort: number, protocol = 'TCP') => yaml`
  apiVersion: v1
  kind: Service
  metadata:
    name: web
    namespace: shop
  spec:
    type: NodePort
    selector: {app: web}
    ports:
      - port: 80
        protocol: ${protocol}
        nodePort: ${nodePort}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'a host port below the range', yaml: daemonSet(false, '[{containerPort: 8080, hostPort: 8080}]') },
    { name: 'a containerPort in the range without a host port', yaml: daemonSet(false, '[{containerPort: 31000}]') },
    { name: 'hostNetwork with a port below the range', yaml: daemonSet(true, '[{containerPort: 9100}]') },
    { name: 'just below the default range', yaml: daemonSet(false, '[{containerPort: 29999, hostPort: 29999}]') },
    { name: 'just above the default range', yaml: daemonSet(false, '[{containerPort: 32768, hostPort: 32768}]') },
    {
      name: 'the cluster\'s own range: 30080 is outside 20000-22767',
      yaml: daemonSet(false, '[{containerPort: 80, hostPort: 30080}]'),
      cluster: { nodePortRange: { min: 20000, max: 22767 } },
    },
    {
      name: 'an ephemeral container\'s ports reserve nothing',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers: [{name: a, image: busybox}]
          ephemeralContainers: [{name: e, image: busybox, ports: [{containerPort: 30080, hostPort: 30080}]}]
      `,
    },
  ],
  invalid: [
    {
      name: 'hostPort 30080 in the default range',
      yaml: daemonSet(false, '[{containerPort: 80, hostPort: 30080}]'),
      errors: [{
        messageId: 'hostPort', line: 15, column: 39, path: 'spec.template.spec.containers[0].ports[0].hostPort', severity: 'warning',
        messageIncludes: ['Host port 30080/TCP of container "agent"', 'NodePort range 30000-32767', 'KP-7', 'PM-5', 'NodePort rule is evaluated first', 'PM-11', 'below 30000', 'nodePort: 30080'],
      }],
    },
    {
      name: 'hostNetwork: an implied host port 31000 points at the containerPort',
      yaml: daemonSet(true, '[{containerPort: 31000}]'),
      errors: [{
        messageId: 'hostNetwork', line: 15, column: 20, path: 'spec.template.spec.containers[0].ports[0].containerPort',
        messageIncludes: ['This hostNetwork pod listens on port 31000/TCP', 'DEF-3', 'before they reach this pod\'s socket', 'below 30000'],
      }],
    },
    {
      name: 'the cluster\'s own range 20000-22767 catches 21000',
      yaml: daemonSet(false, '[{containerPort: 80, hostPort: 21000}]'),
      cluster: { nodePortRange: { min: 20000, max: 22767 } },
      errors: [{ messageId: 'hostPort', messageIncludes: ['NodePort range 20000-22767', 'below 20000'] }],
    },
    {
      name: 'the range bounds are inclusive',
      yaml: daemonSet(false, '[{containerPort: 80, hostPort: 30000}, {containerPort: 81, hostPort: 32767, protocol: UDP}]'),
      errors: [
        { messageId: 'hostPort', path: 'spec.template.spec.containers[0].ports[0].hostPort', messageIncludes: ['30000/TCP'] },
        { messageId: 'hostPort', path: 'spec.template.spec.containers[0].ports[1].hostPort', messageIncludes: ['32767/UDP'] },
      ],
    },
    {
      name: 'a sidecar\'s host port counts',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers:
            - {name: proxy, image: busybox, restartPolicy: Always, ports: [{containerPort: 80, hostPort: 31500}]}
          containers: [{name: a, image: busybox}]
      `,
      errors: [{ messageId: 'hostPort', path: 'spec.initContainers[0].ports[0].hostPort', messageIncludes: ['init container "proxy"'] }],
    },
    {
      name: 'other proxy modes: the order is not documented',
      yaml: daemonSet(false, '[{containerPort: 80, hostPort: 30080}]'),
      cluster: { proxyMode: 'ipvs' },
      errors: [{ messageId: 'hostPort', messageIncludes: ['kube-proxy in ipvs mode', 'PM-11 describes only iptables mode'] }],
    },
    {
      name: 'a Service in the same manifests sets the same nodePort (ipvs: not traced, so this rule names it)',
      yaml: `${daemonSet(false, '[{containerPort: 80, hostPort: 30080}]')}---\n${nodePortService(30080)}`,
      cluster: { proxyMode: 'ipvs' },
      errors: [{ messageId: 'hostPort', messageIncludes: ['Service shop/web in these manifests already sets nodePort 30080, so this happens as soon as both are applied.'] }],
    },
    {
      name: 'a Service with the same nodePort on another protocol is not named',
      yaml: `${daemonSet(false, '[{containerPort: 80, hostPort: 30080}]')}---\n${nodePortService(30080, 'UDP')}`,
      errors: [{ messageId: 'hostPort', messageIncludes: ['random for each NodePort or LoadBalancer Service. When a Service gets 30080'] }],
    },
  ],
});

describe('related locations', () => {
  test('in iptables mode the certain collision is left to node-port-shadows-host-port, which traces it', () => {
    expect(runRule(rule, `${daemonSet(false, '[{containerPort: 80, hostPort: 30080}]')}---\n${nodePortService(30080)}`)).toEqual([]);
  });

  test('a Service that sets the same nodePort is a related location', () => {
    const findings = runRule(rule, `${daemonSet(false, '[{containerPort: 80, hostPort: 30080}]')}---\n${nodePortService(30080)}`, undefined, { proxyMode: 'ipvs' });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.related).toEqual([{
      message: 'Service shop/web sets nodePort 30080/TCP here.',
      file: 'test.yaml', line: 28, column: 7, path: 'spec.ports[0].nodePort',
    }]);
    expect(findings[0]!.evidence).toContain('Service shop/web sets nodePort 30080/TCP');
  });
});
