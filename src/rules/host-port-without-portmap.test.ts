import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-port-without-portmap.js';

const pod = (spec: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: shop}
  spec: ${spec}
`;
const noPortmap = { cni: { name: 'cilium', portmap: false } };

ruleTester.run(rule, {
  valid: [
    { name: 'portmap in the chain', yaml: pod('{containers: [{name: a, image: x, ports: [{containerPort: 80, hostPort: 8080}]}]}') },
    { name: 'no host port', yaml: pod('{containers: [{name: a, image: x, ports: [{containerPort: 80}]}]}'), cluster: noPortmap },
    { name: 'hostNetwork needs no mapping', yaml: pod('{hostNetwork: true, containers: [{name: a, image: x, ports: [{containerPort: 80}]}]}'), cluster: noPortmap },
  ],
  invalid: [
    {
      name: 'a hostPort on a cluster without portmap',
      yaml: pod('{containers: [{name: a, image: x, ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 53, hostPort: 53, protocol: UDP}]}]}'),
      cluster: noPortmap,
      errors: [
        { messageId: 'hostPort', path: 'spec.containers[0].ports[0].hostPort', severity: 'error', messageIncludes: ['Host port 8080/TCP of container "a"', 'CNI chain (cilium)', 'portMappings', 'SCHED-1'] },
        { messageId: 'hostPort', path: 'spec.containers[0].ports[1].hostPort', messageIncludes: ['53/UDP'] },
      ],
    },
  ],
});
