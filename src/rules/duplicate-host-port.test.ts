import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './duplicate-host-port.js';

/** A Pod with two containers and the given ports (flow YAML). */
const pod = (hostNetwork: boolean, a: string, b: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    hostNetwork: ${hostNetwork}
    containers:
      - name: a
        image: busybox
        ports: ${a}
      - name: b
        image: busybox
        ports: ${b}
`;

/** A Deployment with two containers and the given ports (flow YAML). */
const deployment = (hostNetwork: boolean, a: string, b: string) => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: d
  spec:
    selector: {matchLabels: {app: d}}
    template:
      metadata: {labels: {app: d}}
      spec:
        hostNetwork: ${hostNetwork}
        containers:
          - name: a
            image: busybox
            ports: ${a}
          - name: b
            image: busybox
            ports: ${b}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'different host ports', yaml: pod(false, '[{containerPort: 80, hostPort: 80}]', '[{containerPort: 81, hostPort: 81}]') },
    { name: 'same port, different protocols', yaml: pod(false, '[{containerPort: 7946, hostPort: 7946}]', '[{containerPort: 7946, hostPort: 7946, protocol: UDP}]') },
    {
      name: 'same port on different hostIPs',
      yaml: pod(false, '[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.1}]', '[{containerPort: 80, hostPort: 80, hostIP: 10.0.0.2}]'),
    },
    {
      name: 'hostIP "" and "0.0.0.0" are different keys (raw strings, VAL-6)',
      yaml: pod(false, '[{containerPort: 80, hostPort: 80}]', '[{containerPort: 80, hostPort: 80, hostIP: 0.0.0.0}]'),
    },
    { name: 'duplicate containerPorts without hostNetwork are allowed (VAL-7)', yaml: pod(false, '[{containerPort: 8080}]', '[{containerPort: 8080}]') },
    { name: 'hostPort 0 claims nothing', yaml: pod(false, '[{containerPort: 80, hostPort: 0}]', '[{containerPort: 80, hostPort: 0}]') },
    { name: 'a hostNetwork Pod with distinct ports', yaml: pod(true, '[{containerPort: 8080}]', '[{containerPort: 9090}]') },
    { name: 'a hostNetwork Pod: the same number as TCP and UDP', yaml: pod(true, '[{containerPort: 7946}]', '[{containerPort: 7946, protocol: UDP}]') },
    {
      name: 'init containers are checked one by one, and not against regular containers',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers:
            - name: i1
              image: busybox
              ports: [{containerPort: 80, hostPort: 80}]
            - name: i2
              image: busybox
              restartPolicy: Always
              ports: [{containerPort: 80, hostPort: 80}]
          containers:
            - name: a
              image: busybox
              ports: [{containerPort: 80, hostPort: 80}]
      `,
    },
    {
      name: 'ephemeral containers are not part of VAL-6',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers: [{name: a, image: busybox, ports: [{containerPort: 80, hostPort: 80}]}]
          ephemeralContainers: [{name: e, image: busybox, ports: [{containerPort: 80, hostPort: 80}]}]
      `,
    },
    { name: 'values of the wrong type are left to invalid-port', yaml: pod(false, '[{containerPort: 80, hostPort: "80"}]', '[{containerPort: 80, hostPort: "80"}]') },
  ],
  invalid: [
    {
      name: 'the same hostPort in two containers of a Pod',
      yaml: pod(false, '[{containerPort: 8080, hostPort: 80}]', '[{containerPort: 9090, hostPort: 80}]'),
      errors: [{
        messageId: 'duplicate', line: 13, column: 37, path: 'spec.containers[1].ports[0].hostPort',
        messageIncludes: ['80/TCP', 'all addresses', 'container "a" (ports[0].hostPort)', 'container "b" (ports[0].hostPort)', '"TCP//80"', 'this Pod'],
      }],
    },
    {
      name: 'the same hostIP written twice',
      yaml: pod(false, '[{containerPort: 53, hostPort: 53, protocol: UDP, hostIP: 127.0.0.1}]', '[{containerPort: 5353, hostPort: 53, protocol: UDP, hostIP: 127.0.0.1}]'),
      errors: [{ messageId: 'duplicate', messageIncludes: ['hostIP 127.0.0.1', '"UDP/127.0.0.1/53"'] }],
    },
    {
      name: 'an explicit protocol TCP and a defaulted one collide (DEF-2)',
      yaml: pod(false, '[{containerPort: 80, hostPort: 80, protocol: TCP}]', '[{containerPort: 80, hostPort: 80, protocol: ""}]'),
      errors: [{ messageId: 'duplicate' }],
    },
    {
      name: 'a duplicate inside one container',
      yaml: pod(false, '[{containerPort: 80, hostPort: 80}, {containerPort: 81, hostPort: 80}]', '[]'),
      errors: [{ messageId: 'duplicate', path: 'spec.containers[0].ports[1].hostPort', messageIncludes: ['container "a" (ports[0].hostPort) and again by container "a" (ports[1].hostPort)'] }],
    },
    {
      name: 'a duplicate inside one init container',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers:
            - name: init
              image: busybox
              ports: [{containerPort: 80, hostPort: 80}, {containerPort: 81, hostPort: 80}]
          containers: [{name: a, image: busybox}]
      `,
      errors: [{ messageId: 'duplicate', path: 'spec.initContainers[0].ports[1].hostPort', messageIncludes: ['init container "init"'] }],
    },
    {
      name: 'a written duplicate rejects a Deployment itself',
      yaml: deployment(false, '[{containerPort: 80, hostPort: 80}]', '[{containerPort: 80, hostPort: 80}]'),
      errors: [{ messageId: 'duplicate', path: 'spec.template.spec.containers[1].ports[0].hostPort', messageIncludes: ['this Deployment'] }],
    },
    {
      name: 'hostNetwork Pod: the same containerPort in two containers collides after DEF-3',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          hostNetwork: true
          containers:
            - name: app
              image: example.com/app
              ports:
                - containerPort: 8080
            - name: proxy
              image: example.com/proxy
              ports:
                - containerPort: 8080
      `,
      errors: [{
        messageId: 'duplicateImplied', line: 15, column: 11, path: 'spec.containers[1].ports[0].containerPort',
        messageIncludes: ['container "proxy" (ports[0].containerPort)', 'container "app" (ports[0].containerPort)', 'Pod is rejected', '"TCP//8080"'],
      }],
    },
    {
      name: 'hostNetwork Pod: an implied port collides with a written one',
      yaml: pod(true, '[{containerPort: 9100, hostPort: 9100}]', '[{containerPort: 9100}]'),
      errors: [{ messageId: 'duplicateImplied', path: 'spec.containers[1].ports[0].containerPort' }],
    },
    {
      name: 'hostNetwork Pod: the same containerPort twice in one container',
      yaml: pod(true, '[{name: http, containerPort: 80}, {name: http-alt, containerPort: 80}]', '[]'),
      errors: [{ messageId: 'duplicateImplied', path: 'spec.containers[0].ports[1].containerPort' }],
    },
    {
      name: 'hostNetwork Deployment: accepted, but its pods are rejected',
      yaml: deployment(true, '[{containerPort: 8080}]', '[{containerPort: 8080}]'),
      errors: [{
        messageId: 'duplicateInPods', line: 17, column: 20, path: 'spec.template.spec.containers[1].ports[0].containerPort',
        messageIncludes: ['Deployment itself is accepted', 'every Pod created from it', 'FailedCreate events on its ReplicaSet'],
      }],
    },
    {
      name: 'before v1.28 templates were defaulted too, so the Deployment itself is rejected',
      yaml: deployment(true, '[{containerPort: 8080}]', '[{containerPort: 8080}]'),
      cluster: { kubernetesVersion: '1.27' },
      errors: [{ messageId: 'duplicateImpliedTemplate', path: 'spec.template.spec.containers[1].ports[0].containerPort', messageIncludes: ['v1.27 cluster the Deployment itself is rejected'] }],
    },
    {
      name: 'hostNetwork DaemonSet: FailedCreate on the DaemonSet',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: ds}
        spec:
          selector: {matchLabels: {app: ds}}
          template:
            metadata: {labels: {app: ds}}
            spec:
              hostNetwork: true
              containers:
                - {name: a, image: busybox, ports: [{containerPort: 9100}]}
                - {name: b, image: busybox, ports: [{containerPort: 9100, hostPort: 9100}]}
      `,
      errors: [{ messageId: 'duplicateInPods', path: 'spec.template.spec.containers[1].ports[0].hostPort', messageIncludes: ['FailedCreate events on the DaemonSet'] }],
    },
    {
      name: 'hostNetwork template: a written pair is reported once, as a template rejection',
      yaml: deployment(true, '[{containerPort: 80, hostPort: 80}, {containerPort: 80}]', '[{containerPort: 80, hostPort: 80}]'),
      errors: [
        { messageId: 'duplicate', path: 'spec.template.spec.containers[1].ports[0].hostPort' },
        { messageId: 'duplicateInPods', path: 'spec.template.spec.containers[0].ports[1].containerPort' },
      ],
    },
    {
      name: 'hostNetwork: init containers are defaulted too, each on its own',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          hostNetwork: true
          initContainers:
            - name: init
              image: busybox
              ports: [{containerPort: 80}, {containerPort: 80}]
          containers:
            - {name: a, image: busybox, ports: [{containerPort: 80}]}
      `,
      errors: [{ messageId: 'duplicateImplied', path: 'spec.initContainers[0].ports[1].containerPort', messageIncludes: ['init container "init"'] }],
    },
  ],
});

describe('related locations', () => {
  test('the finding points back at the first claim', () => {
    const findings = runRule(rule, deployment(true, '[{containerPort: 8080}]', '[{containerPort: 8080}]'));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.related).toEqual([{
      message: 'First claimed here by container "a" (ports[0].containerPort).',
      file: 'test.yaml', line: 14, column: 20, path: 'spec.template.spec.containers[0].ports[0].containerPort',
    }]);
  });
});
