import { ruleTester } from '../testing/rule-tester.js';
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
    { name: 'host network with host users', yaml: pod('hostNetwork: true') },
    { name: 'hostUsers true is the default behaviour', yaml: pod('hostUsers: true\n    hostNetwork: true') },
  ],
  invalid: [
    {
      name: 'hostUsers false with hostNetwork on a version with the alpha gate',
      yaml: pod('hostUsers: false\n    hostNetwork: true'),
      errors: [{ messageId: 'forbiddenUnlessGate', line: 5, column: 3, path: 'spec.hostUsers' }],
    },
    {
      name: 'before the gate existed',
      yaml: pod('hostUsers: false\n    hostNetwork: true'),
      cluster: { kubernetesVersion: '1.30' },
      errors: [{ messageId: 'forbidden', messageIncludes: ['hostNetwork: true'] }],
    },
    {
      name: 'every host namespace is its own finding',
      yaml: pod('hostUsers: false\n    hostNetwork: true\n    hostPID: true\n    hostIPC: true'),
      errors: [{ messageId: 'forbiddenUnlessGate' }, { messageId: 'forbidden', messageIncludes: ['hostPID'] }, { messageId: 'forbidden', messageIncludes: ['hostIPC'] }],
    },
  ],
});
