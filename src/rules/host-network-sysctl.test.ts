import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-network-sysctl.js';

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
    { name: 'net sysctl on a pod network', yaml: pod(false, 'net.ipv4.tcp_syncookies') },
    { name: 'non-net sysctl on host network', yaml: pod(true, 'kernel.msgmax') },
    { name: 'sysctls not a list', yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  securityContext: {sysctls: net.ipv4.ip_forward}\n' },
  ],
  invalid: [
    {
      name: 'rejected by the API server since 1.29',
      yaml: pod(true, 'net.ipv4.tcp_syncookies'),
      errors: [{ messageId: 'rejectedByApi', line: 10, column: 7, path: 'spec.securityContext.sysctls[1].name' }],
    },
    {
      name: 'rejected by the kubelet before 1.29',
      yaml: pod(true, 'net.core.somaxconn'),
      cluster: { kubernetesVersion: '1.28' },
      errors: [{ messageId: 'rejectedByKubelet', messageIncludes: ['SysctlForbidden', 'net.core.somaxconn'] }],
    },
  ],
});
