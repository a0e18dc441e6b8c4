import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-ip-not-node-address.js';

/** A Deployment with one container, the given ports and pod-spec extras (flow YAML). */
const deployment = (ports: string, extra = '{}', hostNetwork = false) => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: shop
  spec:
    replicas: 1
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web}}
      spec:
        hostNetwork: ${hostNetwork}
        nodeSelector: ${extra}
        containers:
          - name: web
            image: example.com/web:1.0
            ports: ${ports}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'no hostIP: every node address', yaml: deployment('[{containerPort: 80, hostPort: 8080}]') },
    { name: 'hostIP 0.0.0.0 means every IPv4 address', yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: 0.0.0.0}]') },
    { name: 'loopback is local on every node', yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}]') },
    {
      name: 'pinned to the node that owns the address',
      yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: 192.168.10.11}]', '{kubernetes.io/hostname: worker-1}'),
    },
    { name: 'hostNetwork pods are not mapped by portmap', yaml: deployment('[{containerPort: 80, hostIP: 10.0.0.5}]', '{}', true) },
    {
      name: 'a cluster without portmap maps nothing (host-port-without-portmap reports it)',
      yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: 10.0.0.5}]'),
      cluster: { cni: { name: 'calico', portmap: false } },
    },
  ],
  invalid: [
    {
      name: 'an address no node owns',
      yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: 10.0.0.5}]'),
      errors: [{
        messageId: 'nowhere', line: 17, path: 'spec.template.spec.containers[0].ports[0].hostIP', severity: 'warning',
        messageIncludes: ['hostIP 10.0.0.5 of host port 8080/TCP (container "web")', 'worker-1, worker-2, worker-3', '192.168.10.11', '-d 10.0.0.5', 'PM-4', 'SCHED-2'],
      }],
    },
    {
      name: 'an address of one node, while the pod may land on three',
      yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: 192.168.10.11}]'),
      errors: [{ messageId: 'someNodes', messageIncludes: ['is an address of worker-1 only', 'can also land on worker-2, worker-3', 'nodeSelector'] }],
    },
    {
      name: 'text that is not an IP',
      yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: eth0}]'),
      errors: [{ messageId: 'notAnIP', messageIncludes: ['hostIP "eth0"', 'not an IP address', 'VAL-5', 'PM-4'] }],
    },
    {
      name: 'an IPv6 address on IPv4-only nodes',
      yaml: deployment('[{containerPort: 80, hostPort: 8080, hostIP: "fd00::1"}]'),
      errors: [{ messageId: 'nowhere', messageIncludes: ['hostIP fd00::1'] }],
    },
  ],
});
