import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-port-reserved.js';

/** A Deployment with one container and the given ports (flow YAML). */
const deployment = (hostNetwork: boolean, ports: string, name = 'web', image = 'example.com/web:1.0') => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: ${name}
  spec:
    replicas: 2
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        hostNetwork: ${hostNetwork}
        containers:
          - name: app
            image: ${image}
            ports: ${ports}
`;

/** A hostNetwork DaemonSet on port 9100. */
const daemonSet = (name: string, image: string) => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: ${name}
    namespace: monitoring
  spec:
    selector: {matchLabels: {app: ${name}}}
    template:
      metadata: {labels: {app: ${name}}}
      spec:
        hostNetwork: true
        containers:
          - name: exporter
            image: ${image}
            ports:
              - name: metrics
                containerPort: 9100
`;

ruleTester.run(rule, {
  valid: [
    { name: 'a port no daemon holds', yaml: deployment(true, '[{containerPort: 8080}]') },
    { name: 'a containerPort without a host port', yaml: deployment(false, '[{containerPort: 10250}]') },
    { name: 'another protocol: 10250/UDP', yaml: deployment(false, '[{containerPort: 10250, hostPort: 10250, protocol: UDP}]') },
    {
      name: '10248 on hostIP 10.0.0.5: kubelet healthz holds only 127.0.0.1 (two different specific IPs do not overlap)',
      yaml: deployment(false, '[{containerPort: 10248, hostPort: 10248, hostIP: 10.0.0.5}]'),
    },
    {
      name: 'the node-exporter DaemonSet itself on 9100 (image names the owner)',
      yaml: daemonSet('prometheus-exporter', 'quay.io/prometheus/node-exporter:v1.8.2'),
    },
    {
      name: 'the node-exporter DaemonSet itself on 9100 (workload name names the owner)',
      yaml: daemonSet('node-exporter', 'quay.io/brancz/kube-rbac-proxy:v0.18.0'),
    },
    {
      name: 'the kube-proxy DaemonSet itself on 10256 (the first word of "kube-proxy healthz")',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: kube-proxy, namespace: kube-system}
        spec:
          selector: {matchLabels: {k8s-app: kube-proxy}}
          template:
            metadata: {labels: {k8s-app: kube-proxy}}
            spec:
              hostNetwork: true
              containers:
                - name: kube-proxy
                  image: registry.k8s.io/kube-proxy:v1.36.0
                  ports: [{containerPort: 10256, name: healthz}]
      `,
    },
    {
      name: 'the option replaces the well-known list: 9100 is no longer reported',
      yaml: daemonSet('metrics-agent', 'example.com/agent:1.0'),
      options: { wellKnownHostPorts: [{ port: 9200, owner: 'metrics-agent' }] },
    },
    {
      name: 'an empty option turns the well-known list off',
      yaml: daemonSet('metrics-agent', 'example.com/agent:1.0'),
      options: { wellKnownHostPorts: [] },
    },
    {
      name: 'malformed option entries are ignored',
      yaml: daemonSet('metrics-agent', 'example.com/agent:1.0'),
      options: { wellKnownHostPorts: [{ port: '9100', owner: 'x' }, { port: 9100 }, 'node-exporter'] },
    },
    {
      name: 'a hostPort without a portmap plugin is never programmed, so it intercepts nothing',
      yaml: deployment(false, '[{containerPort: 8080, hostPort: 10256}]'),
      cluster: { cni: { name: 'custom', portmap: false } },
    },
    {
      name: 'a ClusterProfile list replaces the default one',
      yaml: deployment(false, '[{containerPort: 8080, hostPort: 10256}]'),
      cluster: { reservedHostPorts: [{ port: 4240, protocol: 'TCP', owner: 'cilium-agent health' }] },
    },
  ],
  invalid: [
    {
      name: 'a hostNetwork pod on the kubelet port 10250',
      yaml: deployment(true, '[{containerPort: 10250}]'),
      errors: [{
        messageId: 'hostNetwork', line: 15, column: 20, path: 'spec.template.spec.containers[0].ports[0].containerPort', severity: 'warning',
        messageIncludes: [
          'declares port 10250/TCP in container "app"', 'but on every node kubelet already listens on port 10250/TCP on all addresses',
          "listed in the cluster's reservedHostPorts", 'SCHED-8', '(on worker-1, worker-2)', 'address already in use', 'CrashLoopBackOff',
        ],
      }],
    },
    {
      name: 'a hostPort on the kube-proxy healthz port 10256',
      yaml: deployment(false, '[{containerPort: 8080, hostPort: 10256}]'),
      errors: [{
        messageId: 'hostPort', line: 15, column: 41, path: 'spec.template.spec.containers[0].ports[0].hostPort',
        messageIncludes: [
          'Host port 10256/TCP on all addresses of container "app" overlaps port 10256/TCP on all addresses, where kube-proxy healthz already listens',
          'PM-8', "port 10256 on any of the node's addresses", 'PM-4, PM-5', 'instead of kube-proxy healthz',
        ],
      }],
    },
    {
      name: 'hostIP 127.0.0.1 on 10250 overlaps the kubelet\'s 0.0.0.0',
      yaml: deployment(false, '[{containerPort: 8080, hostPort: 10250, hostIP: 127.0.0.1}]'),
      errors: [{ messageId: 'hostPort', messageIncludes: ['on hostIP 127.0.0.1', 'kubelet already listens', '127.0.0.1:10250 on the node'] }],
    },
    {
      name: 'all addresses on 10248 overlap kubelet healthz on 127.0.0.1',
      yaml: deployment(false, '[{containerPort: 10248, hostPort: 10248}]'),
      errors: [{ messageId: 'hostPort', messageIncludes: ['overlaps 127.0.0.1:10248/TCP, where kubelet healthz already listens'] }],
    },
    {
      name: 'hostNetwork with an explicit hostPort points at the hostPort',
      yaml: deployment(true, '[{containerPort: 10249, hostPort: 10249}]'),
      errors: [{ messageId: 'hostNetwork', path: 'spec.template.spec.containers[0].ports[0].hostPort', messageIncludes: ['kube-proxy metrics', '127.0.0.1:10249/TCP'] }],
    },
    {
      name: 'another workload on node-exporter\'s 9100',
      yaml: daemonSet('metrics-agent', 'example.com/agent:1.0'),
      errors: [{
        messageId: 'hostNetwork', line: 17, column: 15, path: 'spec.template.spec.containers[0].ports[0].containerPort',
        messageIncludes: ['node-exporter already listens on port 9100/TCP on all addresses', "hostnet's well-known node daemon ports, option wellKnownHostPorts", '(on worker-1, worker-2, worker-3)'],
      }],
    },
    {
      name: 'the node-exporter exemption does not cover the kubelet port',
      yaml: deployment(true, '[{containerPort: 10250}]', 'node-exporter', 'quay.io/prometheus/node-exporter:v1.8.2'),
      errors: [{ messageId: 'hostNetwork', messageIncludes: ['kubelet already listens'] }],
    },
    {
      name: 'a port the cluster\'s ClusterProfile adds',
      yaml: deployment(false, '[{containerPort: 8080, hostPort: 4240}]'),
      cluster: { reservedHostPorts: [{ port: 4240, protocol: 'TCP', owner: 'cilium-agent health' }] },
      errors: [{ messageId: 'hostPort', messageIncludes: ['cilium-agent health already listens', "listed in the cluster's reservedHostPorts"] }],
    },
    {
      name: 'the option overrides the well-known list',
      yaml: deployment(true, '[{containerPort: 9200}]'),
      options: { wellKnownHostPorts: [{ port: 9200, owner: 'metrics-agent' }] },
      errors: [{ messageId: 'hostNetwork', messageIncludes: ['metrics-agent already listens on port 9200/TCP', 'option wellKnownHostPorts'] }],
    },
    {
      name: 'the daemon exemption is per owner: a cilium image still conflicts with node-exporter',
      yaml: daemonSet('cilium', 'quay.io/cilium/cilium:v1.16.0'),
      errors: [{ messageId: 'hostNetwork', messageIncludes: ['node-exporter'] }],
    },
    {
      name: 'a pod that cannot be placed still gets the warning',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          nodeSelector: {disk: ssd}
          containers: [{name: a, image: busybox, ports: [{containerPort: 80, hostPort: 10250}]}]
      `,
      errors: [{ messageId: 'hostPort', path: 'spec.containers[0].ports[0].hostPort', messageIncludes: ['(on whichever node it lands on)'] }],
    },
  ],
});

describe('evidence', () => {
  test('each overlapping daemon port is listed', () => {
    const findings = runRule(rule, deployment(false, '[{containerPort: 10248, hostPort: 10248}]'), undefined, {
      reservedHostPorts: [
        { port: 10248, protocol: 'TCP', hostIP: '127.0.0.1', owner: 'kubelet healthz' },
        { port: 10248, protocol: 'TCP', owner: 'custom agent' },
      ],
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]!.evidence).toEqual(expect.arrayContaining([
      'every node: kubelet healthz holds 127.0.0.1:10248/TCP (cluster reservedHostPorts)',
      'every node: custom agent holds 0.0.0.0:10248/TCP (cluster reservedHostPorts)',
    ]));
  });
});
