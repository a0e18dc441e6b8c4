import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './privileged-host-port.js';

/** A Pod with the given hostNetwork, pod securityContext and container securityContext (flow YAML). */
const pod = (opts: { hostNetwork?: boolean; podSc?: string; sc?: string; port?: number; extra?: string }) => yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    hostNetwork: ${opts.hostNetwork ?? true}
    securityContext: ${opts.podSc ?? '{}'}
    ${opts.extra ?? 'restartPolicy: Always'}
    containers:
      - name: web
        image: nginx
        securityContext: ${opts.sc ?? '{}'}
        ports:
          - containerPort: ${opts.port ?? 80}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'the user is unknown (the image decides)', yaml: pod({}) },
    { name: 'runAsNonRoot false says nothing about the user', yaml: pod({ sc: '{runAsNonRoot: false}' }) },
    { name: 'root', yaml: pod({ sc: '{runAsUser: 0}' }) },
    { name: 'the container runs as root although the pod says non-root', yaml: pod({ podSc: '{runAsUser: 1000}', sc: '{runAsUser: 0}' }) },
    { name: 'NET_BIND_SERVICE added', yaml: pod({ sc: '{runAsUser: 1000, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}' }) },
    { name: 'CAP_ prefix and lower case accepted', yaml: pod({ sc: '{runAsUser: 1000, capabilities: {add: [cap_net_bind_service]}}' }) },
    { name: 'privileged', yaml: pod({ sc: '{runAsUser: 1000, privileged: true}' }) },
    { name: 'port 1024 and above', yaml: pod({ sc: '{runAsUser: 1000}', port: 1024 }) },
    { name: 'not hostNetwork: containerd 2 opens low ports in the pod netns', yaml: pod({ hostNetwork: false, sc: '{runAsUser: 1000}' }) },
    { name: 'a Windows pod', yaml: pod({ sc: '{runAsUser: 1000}', extra: 'os: {name: windows}' }) },
    { name: 'nodes configured with a lower limit', yaml: pod({ sc: '{runAsUser: 1000}', port: 80 }), options: { unprivilegedPortStart: 80 } },
    { name: 'option 0 turns the rule off', yaml: pod({ sc: '{runAsUser: 1000}' }), options: { unprivilegedPortStart: 0 } },
    { name: 'odd securityContext values do not throw', yaml: pod({ podSc: '[1]', sc: '{runAsUser: "1000", capabilities: "NET_BIND_SERVICE"}' }) },
  ],
  invalid: [
    {
      name: 'runAsUser on the container',
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
              securityContext:
                runAsUser: 101
              ports:
                - containerPort: 80
      `,
      errors: [{
        messageId: 'lowPort', severity: 'warning', line: 13, column: 11, path: 'spec.containers[0].ports[0].containerPort',
        messageIncludes: ['containerPort 80', 'container "web"', "runAsUser 101 in the container's securityContext", 'EACCES', 'net.ipv4.ip_unprivileged_port_start (1024)', 'NET_BIND_SERVICE'],
      }],
    },
    {
      name: 'runAsUser inherited from the pod',
      yaml: pod({ podSc: '{runAsUser: 65534}' }),
      errors: [{ messageId: 'lowPort', messageIncludes: ["runAsUser 65534 in the pod's securityContext"] }],
    },
    {
      name: 'runAsNonRoot on the pod',
      yaml: pod({ podSc: '{runAsNonRoot: true}' }),
      errors: [{ messageId: 'lowPort', messageIncludes: ["runAsNonRoot: true in the pod's securityContext"] }],
    },
    {
      name: 'capabilities other than NET_BIND_SERVICE do not help',
      yaml: pod({ sc: '{runAsNonRoot: true, capabilities: {add: [NET_ADMIN, NET_RAW]}}' }),
      errors: [{ messageId: 'lowPort', messageIncludes: ["runAsNonRoot: true in the container's securityContext"] }],
    },
    { name: 'privileged false does not help', yaml: pod({ sc: '{runAsUser: 1000, privileged: false}', port: 443 }), errors: [{ messageId: 'lowPort', messageIncludes: ['containerPort 443'] }] },
    { name: 'a custom limit', yaml: pod({ sc: '{runAsUser: 1000}', port: 1500 }), options: { unprivilegedPortStart: 2000 }, errors: [{ messageId: 'lowPort', messageIncludes: ['below 2000'] }] },
    {
      name: 'a DaemonSet, init container and several ports',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: dns}
        spec:
          selector: {matchLabels: {app: dns}}
          template:
            metadata: {labels: {app: dns}}
            spec:
              hostNetwork: true
              securityContext: {runAsUser: 1000, runAsNonRoot: true}
              initContainers:
                - name: probe
                  image: busybox
                  ports: [{containerPort: 7}]
              containers:
                - name: dns
                  image: coredns
                  ports:
                    - {containerPort: 53, protocol: UDP}
                    - {containerPort: 53, protocol: TCP}
                    - {containerPort: 9153}
      `,
      errors: [
        { messageId: 'lowPort', path: 'spec.template.spec.initContainers[0].ports[0].containerPort', messageIncludes: ['init container "probe"'] },
        { messageId: 'lowPort', path: 'spec.template.spec.containers[0].ports[0].containerPort' },
        { messageId: 'lowPort', path: 'spec.template.spec.containers[0].ports[1].containerPort' },
      ],
    },
  ],
});
