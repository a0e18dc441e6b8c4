import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './misplaced-pod-field.js';

ruleTester.run(rule, {
  valid: [
    {
      name: 'all five fields on the pod spec of a Pod',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          hostNetwork: true
          hostPID: false
          hostIPC: false
          dnsPolicy: ClusterFirstWithHostNet
          dnsConfig: {options: [{name: ndots, value: "2"}]}
          securityContext: {runAsNonRoot: true}
          containers:
            - name: c
              image: busybox
              securityContext: {allowPrivilegeEscalation: false}
      `,
    },
    {
      name: 'on the template spec of a Deployment',
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
              dnsPolicy: ClusterFirstWithHostNet
              containers: [{name: c, image: busybox}]
      `,
    },
    {
      name: 'on the innermost spec of a CronJob',
      yaml: yaml`
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: cj}
        spec:
          schedule: "* * * * *"
          jobTemplate:
            spec:
              template:
                spec:
                  hostNetwork: true
                  restartPolicy: Never
                  containers: [{name: c, image: busybox}]
      `,
    },
    {
      name: 'labels and annotations that mention the fields are not fields',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
          labels: {hostNetwork: "true"}
          annotations: {dnsPolicy: ClusterFirst}
        spec:
          containers:
            - name: c
              image: busybox
              env: [{name: hostNetwork, value: "true"}]
      `,
    },
    {
      name: 'kinds without pods are not checked',
      yaml: yaml`
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cm}
        data: {hostNetwork: "true"}
      `,
    },
  ],
  invalid: [
    {
      name: 'a sidecar with its own hostNetwork (§15 claim C)',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
            - name: app
              image: example.com/app
            - name: sidecar
              image: example.com/sidecar
              hostNetwork: true
      `,
      errors: [{
        messageId: 'inContainer', line: 11, column: 7, path: 'spec.containers[1].hostNetwork',
        messageIncludes: ['container "sidecar"', 'share one network namespace', 'sidecar included', 'strict field validation', 'silently does nothing', 'Move it to spec.hostNetwork.'],
      }],
    },
    {
      name: 'dnsPolicy and dnsConfig inside a Deployment container',
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
                - name: c
                  image: busybox
                  dnsPolicy: ClusterFirstWithHostNet
                  dnsConfig: {options: [{name: ndots, value: "1"}]}
      `,
      errors: [
        { messageId: 'inContainer', line: 13, column: 11, path: 'spec.template.spec.containers[0].dnsPolicy', messageIncludes: ['resolv.conf', 'spec.template.spec.dnsPolicy'] },
        { messageId: 'inContainer', path: 'spec.template.spec.containers[0].dnsConfig', messageIncludes: ['spec.template.spec.dnsConfig'] },
      ],
    },
    {
      name: 'init and ephemeral containers too',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          initContainers: [{name: init, image: busybox, hostPID: true}]
          containers: [{name: c, image: busybox}]
          ephemeralContainers: [{name: debug, image: busybox, hostIPC: true}]
      `,
      errors: [
        { messageId: 'inContainer', path: 'spec.initContainers[0].hostPID', messageIncludes: ['init container "init"', 'PID namespace'] },
        { messageId: 'inContainer', path: 'spec.ephemeralContainers[0].hostIPC', messageIncludes: ['ephemeral container "debug"', 'IPC namespace'] },
      ],
    },
    {
      name: 'hostNetwork in a container securityContext',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          containers:
            - name: c
              image: busybox
              securityContext:
                privileged: true
                hostNetwork: true
      `,
      errors: [{ messageId: 'inSecurityContext', line: 10, column: 9, path: 'spec.containers[0].securityContext.hostNetwork', messageIncludes: ['not a securityContext field', 'spec.hostNetwork'] }],
    },
    {
      name: 'hostPID in the pod securityContext',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          securityContext: {hostPID: true, runAsUser: 1000}
          containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'inPodSecurityContext', path: 'spec.securityContext.hostPID', messageIncludes: ['Move it to spec.hostPID.'] }],
    },
    {
      name: 'hostNetwork on the Deployment spec instead of the template spec',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: d
        spec:
          hostNetwork: true
          selector: {matchLabels: {app: d}}
          template:
            metadata: {labels: {app: d}}
            spec:
              containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'outsidePodSpec', line: 6, column: 3, path: 'spec.hostNetwork', messageIncludes: ["the Deployment's own spec", 'spec.template.spec.hostNetwork'] }],
    },
    {
      name: 'in spec.template beside spec, and in the template metadata',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata: {name: ds}
        spec:
          selector: {matchLabels: {app: ds}}
          template:
            hostNetwork: true
            metadata:
              labels: {app: ds}
              dnsPolicy: ClusterFirstWithHostNet
            spec:
              containers: [{name: c, image: busybox}]
      `,
      errors: [
        { messageId: 'outsidePodSpec', path: 'spec.template.hostNetwork', messageIncludes: ['in spec.template, beside spec.template.spec'] },
        { messageId: 'outsidePodSpec', path: 'spec.template.metadata.dnsPolicy', messageIncludes: ['in spec.template.metadata, but', 'metadata holds names'] },
      ],
    },
    {
      name: 'top level and metadata of a Pod',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
          hostIPC: true
        hostNetwork: true
        spec:
          containers: [{name: c, image: busybox}]
      `,
      errors: [
        { messageId: 'outsidePodSpec', path: 'hostNetwork', line: 6, column: 1, messageIncludes: ['at the top level of this Pod, beside spec', 'Move it to spec.hostNetwork.'] },
        { messageId: 'outsidePodSpec', path: 'metadata.hostIPC', messageIncludes: ['in metadata, but', 'not pod settings'] },
      ],
    },
    {
      name: 'every level of a CronJob above the pod spec',
      yaml: yaml`
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: cj}
        spec:
          schedule: "* * * * *"
          dnsPolicy: Default
          jobTemplate:
            spec:
              hostNetwork: true
              template:
                spec:
                  restartPolicy: Never
                  containers: [{name: c, image: busybox}]
      `,
      errors: [
        { messageId: 'outsidePodSpec', path: 'spec.dnsPolicy', messageIncludes: ["CronJob's own spec", 'spec.jobTemplate.spec.template.spec.dnsPolicy'] },
        { messageId: 'outsidePodSpec', path: 'spec.jobTemplate.spec.hostNetwork', messageIncludes: ['beside spec.jobTemplate.spec.template'] },
      ],
    },
    {
      name: 'a copy of what the pod spec already says is redundant, and still rejected by strict validation',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          hostNetwork: true
          containers:
            - {name: c, image: busybox, hostNetwork: true}
            - {name: d, image: busybox, hostNetwork: false}
      `,
      errors: [
        { messageId: 'redundant', path: 'spec.containers[0].hostNetwork', messageIncludes: ['inside container "c" as well as at spec.hostNetwork', 'Delete this copy.'] },
        { messageId: 'inContainer', path: 'spec.containers[1].hostNetwork' },
      ],
    },
    {
      name: 'odd values are still misplaced, and nothing throws',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          securityContext: [hostNetwork]
          containers:
            - {name: c, image: busybox, hostNetwork: {a: 1}, securityContext: "hostNetwork"}
            - bogus
      `,
      errors: [{ messageId: 'inContainer', path: 'spec.containers[0].hostNetwork' }],
    },
  ],
});
