import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './host-port-mismatch.js';

const pod = (hostNetwork: boolean, ports: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    hostNetwork: ${hostNetwork}
    containers:
      - name: web
        image: nginx
        ports: ${ports}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'hostPort omitted: DEF-3 defaults it to containerPort (§15 claim D)', yaml: pod(true, '[{containerPort: 8080}]') },
    { name: 'hostPort equal to containerPort', yaml: pod(true, '[{containerPort: 9100, hostPort: 9100}]') },
    { name: 'hostPort 0 counts as unset', yaml: pod(true, '[{containerPort: 8080, hostPort: 0}]') },
    { name: 'a mapping without hostNetwork is fine', yaml: pod(false, '[{containerPort: 8080, hostPort: 8001}]') },
    { name: 'hostNetwork false written explicitly', yaml: pod(false, '[{containerPort: 2368, hostPort: 80}]') },
    {
      name: 'init-container ports are not part of VAL-8 (as reviewed)',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          hostNetwork: true
          initContainers:
            - name: init
              image: busybox
              ports: [{containerPort: 8080, hostPort: 8081}]
          containers: [{name: c, image: busybox}]
      `,
    },
    { name: 'a hostPort that is not a number is left to invalid-port', yaml: pod(true, '[{containerPort: 8080, hostPort: "8081"}]') },
    { name: 'a missing containerPort is left to invalid-port', yaml: pod(true, '[{hostPort: 8081}]') },
    {
      name: 'a template may leave hostPort 0',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: d}
        spec:
          selector: {matchLabels: {app: d}}
          template:
            metadata: {labels: {app: d}}
            spec:
              hostNetwork: true
              containers:
                - name: c
                  image: busybox
                  ports: [{containerPort: 8080, hostPort: 0}]
      `,
    },
  ],
  invalid: [
    {
      name: 'explicit hostPort different from containerPort on a Pod',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          hostNetwork: true
          containers:
            - name: web
              image: nginx
              ports:
                - containerPort: 8080
                  hostPort: 80
      `,
      errors: [{
        messageId: 'mismatch', line: 12, column: 11, path: 'spec.containers[0].ports[0].hostPort',
        messageIncludes: ['hostPort 80', 'containerPort 8080', 'hostPort: 8080', 'remove hostPort', 'container "web"', 'hostNetwork Pod'],
      }],
    },
    {
      name: 'in a DaemonSet template, pointing into the template',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: d
        spec:
          selector: {matchLabels: {app: d}}
          template:
            metadata: {labels: {app: d}}
            spec:
              hostNetwork: true
              containers:
                - name: agent
                  image: busybox
                  ports:
                    - containerPort: 9100
                    - containerPort: 9101
                      hostPort: 19101
      `,
      errors: [{ messageId: 'mismatch', line: 17, column: 15, path: 'spec.template.spec.containers[0].ports[1].hostPort', messageIncludes: ['hostNetwork DaemonSet'] }],
    },
    {
      name: 'one finding per mismatching port, across containers',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: d}
        spec:
          selector: {matchLabels: {app: d}}
          template:
            metadata: {labels: {app: d}}
            spec:
              hostNetwork: true
              containers:
                - name: a
                  image: busybox
                  ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 443, hostPort: 443}]
                - name: b
                  image: busybox
                  ports: [{containerPort: 53, hostPort: 5353, protocol: UDP}]
      `,
      errors: [
        { messageId: 'mismatch', path: 'spec.template.spec.containers[0].ports[0].hostPort' },
        { messageId: 'mismatch', path: 'spec.template.spec.containers[1].ports[0].hostPort', messageIncludes: ['container "b"'] },
      ],
    },
    {
      name: 'an out-of-range hostPort still differs',
      yaml: pod(true, '[{containerPort: 8080, hostPort: 70000}]'),
      errors: [{ messageId: 'mismatch' }],
    },
  ],
});
