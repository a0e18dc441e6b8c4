import { expect, test } from 'vitest';
import { runRule, ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-user-namespace.js';

const pod = (fields: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    ${fields}
    containers: [{name: c, image: busybox}]
`;

ruleTester.run(rule, {
  valid: [
    { name: 'user namespace alone', yaml: pod('hostUsers: false') },
    { name: 'host network with host users (the default)', yaml: pod('hostNetwork: true') },
    { name: 'hostUsers true is the default behaviour', yaml: pod('hostUsers: true\n    hostNetwork: true') },
    { name: 'hostUsers written as a string is not false', yaml: pod('hostUsers: "false"\n    hostNetwork: true') },
    { name: 'hostNetwork false', yaml: pod('hostUsers: false\n    hostNetwork: false\n    hostPID: false') },
  ],
  invalid: [
    {
      name: 'hostUsers false with hostNetwork on a version with the alpha gate',
      yaml: pod('hostUsers: false\n    hostNetwork: true'),
      errors: [{ messageId: 'forbiddenUnlessGate', line: 5, column: 3, path: 'spec.hostUsers', messageIncludes: ['UserNamespacesHostNetworkSupport', 'spec.hostNetwork: Forbidden'] }],
    },
    {
      name: 'on 1.34: before the alpha gate existed, user namespaces on by default',
      yaml: pod('hostUsers: false\n    hostNetwork: true'),
      cluster: { kubernetesVersion: '1.34' },
      errors: [{ messageId: 'forbidden', messageIncludes: ['hostNetwork: true', 'rejects it'] }],
    },
    {
      name: 'on 1.30 user namespaces are off by default and the API server drops hostUsers',
      yaml: pod('hostUsers: false\n    hostNetwork: true'),
      cluster: { kubernetesVersion: '1.30' },
      errors: [{ messageId: 'droppedOrForbidden', messageIncludes: ['Kubernetes 1.30', 'UserNamespacesSupport', 'silently'] }],
    },
    {
      name: 'every host namespace is its own finding, the gate only concerns hostNetwork',
      yaml: pod('hostUsers: false\n    hostNetwork: true\n    hostPID: true\n    hostIPC: true'),
      errors: [
        { messageId: 'forbiddenUnlessGate', path: 'spec.hostUsers' },
        { messageId: 'forbidden', path: 'spec.hostUsers', messageIncludes: ['hostPID: true', 'process namespace'] },
        { messageId: 'forbidden', messageIncludes: ['hostIPC: true', 'IPC namespace'] },
      ],
    },
    {
      name: 'in a Deployment template',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec:
          selector: {matchLabels: {app: d}}
          template:
            metadata: {labels: {app: d}}
            spec:
              hostUsers: false
              hostPID: true
              containers: [{name: c, image: c}]
      `,
      errors: [{ messageId: 'forbidden', line: 9, column: 7, path: 'spec.template.spec.hostUsers', messageIncludes: ['this Deployment', 'spec.template.spec.hostPID: Forbidden'] }],
    },
  ],
});

test('the finding points back at the host namespace field', () => {
  const [f] = runRule(rule, pod('hostUsers: false\n    hostNetwork: true'));
  expect(f!.related).toEqual([expect.objectContaining({ line: 6, column: 3, path: 'spec.hostNetwork' })]);
});
