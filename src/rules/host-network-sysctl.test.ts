import { describe, expect, test } from 'vitest';
import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule, { isNetSysctl } from './host-network-sysctl.js';

const pod = (hostNetwork: boolean, sysctl: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    hostNetwork: ${hostNetwork}
    securityContext:
      sysctls:
      - name: kernel.shm_rmid_forced
        value: "1"
      - name: ${sysctl}
        value: "1"
    containers: [{name: c, image: busybox}]
`;

ruleTester.run(rule, {
  valid: [
    { name: 'net sysctl on a pod network: the pod has its own network namespace', yaml: pod(false, 'net.ipv4.tcp_syncookies') },
    { name: 'non-net sysctl on host network', yaml: pod(true, 'kernel.msgmax') },
    { name: 'a name that only starts with the letters net', yaml: pod(true, 'netfilter.foo') },
    { name: 'sysctls not a list', yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  securityContext: {sysctls: net.ipv4.ip_forward}\n' },
    { name: 'securityContext not a map', yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  securityContext: 5\n' },
    { name: 'entries of the wrong type', yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  securityContext: {sysctls: [net.core.somaxconn, {name: 7}, null]}\n' },
    { name: 'hostNetwork written as a string is not host network', yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: "true"\n  securityContext: {sysctls: [{name: net.core.somaxconn, value: "1024"}]}\n' },
  ],
  invalid: [
    {
      name: 'rejected by the API server since 1.29',
      yaml: pod(true, 'net.ipv4.tcp_syncookies'),
      errors: [{ messageId: 'rejectedByApi', line: 10, column: 7, path: 'spec.securityContext.sysctls[1].name', messageIncludes: ['net.ipv4.tcp_syncookies', 'rejects this Pod', "may not be specified when 'hostNetwork' is true"] }],
    },
    {
      name: 'rejected by the kubelet before 1.29',
      yaml: pod(true, 'net.core.somaxconn'),
      cluster: { kubernetesVersion: '1.28' },
      errors: [{ messageId: 'rejectedByKubelet', messageIncludes: ['SysctlForbidden', 'net.core.somaxconn', 'Kubernetes 1.28'] }],
    },
    {
      name: 'the slash spelling is the same sysctl',
      yaml: pod(true, 'net/ipv4/ip_local_port_range'),
      errors: [{ messageId: 'rejectedByApi', path: 'spec.securityContext.sysctls[1].name' }],
    },
    {
      name: 'in a Deployment template, as istio gateways with hostNetwork do',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: gateway}
        spec:
          selector: {matchLabels: {app: gw}}
          template:
            metadata: {labels: {app: gw}}
            spec:
              hostNetwork: true
              securityContext:
                sysctls:
                - {name: net.ipv4.ip_unprivileged_port_start, value: "0"}
                - {name: net.core.somaxconn, value: "4096"}
              containers: [{name: istio-proxy, image: proxyv2}]
      `,
      errors: [
        { messageId: 'rejectedByApi', line: 12, column: 12, path: 'spec.template.spec.securityContext.sysctls[0].name', messageIncludes: ['rejects this Deployment'] },
        { messageId: 'rejectedByApi', path: 'spec.template.spec.securityContext.sysctls[1].name' },
      ],
    },
  ],
});

describe('isNetSysctl', () => {
  test.for([
    ['net.ipv4.ip_forward', true],
    ['net/ipv4/ip_forward', true],
    ['net/ipv4/conf/eth0.100/forwarding', true],
    ['net.core.somaxconn', true],
    ['kernel.shm_rmid_forced', false],
    ['network.foo', false],
    ['net', false],
    ['', false],
  ] as const)('%s → %s', ([name, want]) => {
    expect(isNetSysctl(name)).toBe(want);
  });
});
