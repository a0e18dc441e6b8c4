import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-network-privileges.js';

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
    { name: 'NET_BIND_SERVICE on host network', yaml: pod(true, '{capabilities: {add: [NET_BIND_SERVICE]}}') },
    { name: 'privileged false', yaml: pod(true, '{privileged: false}') },
    {
      name: 'suppressed with a reason',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: calico-node
          annotations: {hostnet.dev/ignore: "host-network-privileges; the CNI agent programs the node"}
        spec:
          template:
            spec:
              hostNetwork: true
              containers: [{name: calico-node, image: calico, securityContext: {privileged: true}}]
      `,
    },
  ],
  invalid: [
    { name: 'privileged', yaml: pod(true, '{privileged: true}'), errors: [{ messageId: 'privileged', line: 9, column: 23, path: 'spec.containers[0].securityContext.privileged' }] },
    {
      name: 'NET_ADMIN and NET_RAW, any spelling',
      yaml: pod(true, '{capabilities: {add: [cap_net_admin, NET_RAW, SYS_TIME]}}'),
      errors: [
        { messageId: 'capability', path: 'spec.containers[0].securityContext.capabilities.add[0]', messageIncludes: ['NET_ADMIN'] },
        { messageId: 'capability', messageIncludes: ['NET_RAW'] },
      ],
    },
    { name: 'ALL', yaml: pod(true, '{capabilities: {add: [ALL]}}'), errors: [{ messageId: 'capability', messageIncludes: ['every capability'] }] },
  ],
});
