import { describe, expect, test } from 'vitest';
import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule, { networkCapability } from './host-network-privileges.js';

const pod = (hostNetwork: boolean, securityContext: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    hostNetwork: ${hostNetwork}
    containers:
    - name: agent
      image: agent
      securityContext: ${securityContext}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'NET_ADMIN on the pod network acts on the pod sandbox only', yaml: pod(false, '{capabilities: {add: [NET_ADMIN]}}') },
    { name: 'privileged on the pod network is out of scope', yaml: pod(false, '{privileged: true}') },
    { name: 'NET_BIND_SERVICE on host network (PSA baseline allows it)', yaml: pod(true, '{capabilities: {add: [NET_BIND_SERVICE]}}') },
    { name: 'dropping NET_RAW is fine', yaml: pod(true, '{capabilities: {drop: [NET_RAW, ALL]}}') },
    { name: 'privileged false', yaml: pod(true, '{privileged: false}') },
    { name: 'privileged written as a string is not privileged', yaml: pod(true, '{privileged: "true"}') },
    { name: 'capabilities of the wrong types', yaml: pod(true, '{capabilities: {add: [7, null, {a: b}]}}') },
    { name: 'capabilities.add not a list', yaml: pod(true, '{capabilities: {add: NET_ADMIN}}') },
    { name: 'securityContext not a map', yaml: pod(true, 'privileged') },
    {
      name: 'suppressed with a reason',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: calico-node
          annotations: {hostnet.dev/ignore: "host-network-privileges; the CNI agent programs the node"}
        spec:
          selector: {matchLabels: {k8s-app: calico-node}}
          template:
            metadata: {labels: {k8s-app: calico-node}}
            spec:
              hostNetwork: true
              containers: [{name: calico-node, image: calico, securityContext: {privileged: true}}]
      `,
    },
  ],
  invalid: [
    { name: 'privileged', yaml: pod(true, '{privileged: true}'), errors: [{ messageId: 'privileged', line: 9, column: 23, path: 'spec.containers[0].securityContext.privileged', messageIncludes: ['Container "agent"', 'hostnet.dev/ignore'] }] },
    {
      name: 'privileged with NET_ADMIN as well: one finding, privileged covers it',
      yaml: pod(true, '{privileged: true, capabilities: {add: [NET_ADMIN]}}'),
      errors: [{ messageId: 'privileged' }],
    },
    {
      name: 'NET_ADMIN and NET_RAW, any spelling',
      yaml: pod(true, '{capabilities: {add: [cap_net_admin, NET_RAW, SYS_TIME]}}'),
      errors: [
        { messageId: 'capability', line: 9, column: 44, path: 'spec.containers[0].securityContext.capabilities.add[0]', messageIncludes: ['adds NET_ADMIN', 'iptables'] },
        { messageId: 'capability', path: 'spec.containers[0].securityContext.capabilities.add[1]', messageIncludes: ['NET_RAW', 'raw'] },
      ],
    },
    {
      name: 'the same capability twice is one problem',
      yaml: pod(true, '{capabilities: {add: [NET_ADMIN, CAP_NET_ADMIN]}}'),
      errors: [{ messageId: 'capability', path: 'spec.containers[0].securityContext.capabilities.add[0]' }],
    },
    { name: 'ALL, lower case', yaml: pod(true, '{capabilities: {add: [all]}}'), errors: [{ messageId: 'capability', messageIncludes: ['adds ALL', 'every capability'] }] },
    {
      name: 'every kind of container, in a DaemonSet template',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: cni}
        spec:
          selector: {matchLabels: {app: cni}}
          template:
            metadata: {labels: {app: cni}}
            spec:
              hostNetwork: true
              initContainers:
              - name: install-cni
                image: cni
                securityContext: {privileged: true}
              containers:
              - name: agent
                image: cni
                securityContext:
                  capabilities:
                    add: ["NET_ADMIN", "NET_RAW"]
              ephemeralContainers:
              - name: debugger
                image: busybox
                securityContext: {capabilities: {add: [NET_RAW]}}
      `,
      errors: [
        { messageId: 'privileged', line: 13, column: 27, path: 'spec.template.spec.initContainers[0].securityContext.privileged', messageIncludes: ['Init container "install-cni"'] },
        { messageId: 'capability', path: 'spec.template.spec.containers[0].securityContext.capabilities.add[0]', messageIncludes: ['Container "agent" adds NET_ADMIN'] },
        { messageId: 'capability', path: 'spec.template.spec.containers[0].securityContext.capabilities.add[1]', messageIncludes: ['NET_RAW'] },
        { messageId: 'capability', path: 'spec.template.spec.ephemeralContainers[0].securityContext.capabilities.add[0]', messageIncludes: ['Ephemeral container "debugger"'] },
      ],
    },
    {
      name: 'suppressing another rule does not suppress this one',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
          annotations: {hostnet.dev/ignore: "host-network-cluster-dns; resolves node names only"}
        spec:
          hostNetwork: true
          containers: [{name: c, image: c, securityContext: {capabilities: {add: [NET_ADMIN]}}}]
      `,
      errors: [{ messageId: 'capability' }],
    },
  ],
});

describe('networkCapability', () => {
  test.for([
    ['NET_ADMIN', 'NET_ADMIN'],
    ['net_admin', 'NET_ADMIN'],
    ['CAP_NET_RAW', 'NET_RAW'],
    ['cap_all', 'ALL'],
    ['All', 'ALL'],
    ['NET_BIND_SERVICE', undefined],
    ['SYS_ADMIN', undefined],
    [5, undefined],
  ] as const)('%s → %s', ([input, want]) => {
    expect(networkCapability(input)).toBe(want);
  });
});
