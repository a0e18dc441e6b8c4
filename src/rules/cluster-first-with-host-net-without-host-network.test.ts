import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './cluster-first-with-host-net-without-host-network.js';

const pod = (spec: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    ${spec}
    containers:
      - name: c
        image: busybox
`;

ruleTester.run(rule, {
  valid: [
    { name: 'hostNetwork with ClusterFirstWithHostNet is the intended use', yaml: pod('hostNetwork: true\n    dnsPolicy: ClusterFirstWithHostNet') },
    { name: 'no dnsPolicy', yaml: pod('restartPolicy: Always') },
    { name: 'ClusterFirst without hostNetwork', yaml: pod('dnsPolicy: ClusterFirst') },
    { name: 'Default without hostNetwork', yaml: pod('dnsPolicy: Default') },
    { name: 'a non-boolean hostNetwork is a schema problem, not this one', yaml: pod('hostNetwork: "true"\n    dnsPolicy: ClusterFirstWithHostNet') },
    { name: 'a misspelt policy is invalid-dns-policy\'s finding', yaml: pod('dnsPolicy: ClusterFirstWithHostNetwork') },
  ],
  invalid: [
    {
      name: 'a Pod without hostNetwork',
      yaml: pod('dnsPolicy: ClusterFirstWithHostNet'),
      errors: [{ messageId: 'redundant', severity: 'info', line: 6, column: 3, path: 'spec.dnsPolicy', messageIncludes: ['does not set hostNetwork', 'exactly like ClusterFirst'] }],
    },
    {
      name: 'hostNetwork: false written out',
      yaml: pod('hostNetwork: false\n    dnsPolicy: ClusterFirstWithHostNet'),
      errors: [{ messageId: 'redundant', line: 7, column: 3, messageIncludes: ['sets hostNetwork: false'] }],
    },
    {
      name: 'node-feature-discovery\'s nfd-worker DaemonSet (corpus)',
      yaml: yaml`
        apiVersion: apps/v1
        kind: DaemonSet
        metadata:
          name: nfd-worker
          labels:
            app: nfd
        spec:
          selector:
            matchLabels:
              app: nfd-worker
          template:
            metadata:
              labels:
                app: nfd-worker
            spec:
              dnsPolicy: ClusterFirstWithHostNet
              containers:
                - name: nfd-worker
                  image: gcr.io/k8s-staging-nfd/node-feature-discovery:master
      `,
      errors: [{ messageId: 'redundant', line: 16, column: 7, path: 'spec.template.spec.dnsPolicy' }],
    },
    {
      name: 'in a Job and a CronJob',
      yaml: yaml`
        apiVersion: batch/v1
        kind: Job
        metadata: {name: j}
        spec:
          template:
            spec:
              restartPolicy: Never
              dnsPolicy: ClusterFirstWithHostNet
              containers: [{name: c, image: busybox}]
        ---
        apiVersion: batch/v1
        kind: CronJob
        metadata: {name: cj}
        spec:
          schedule: "@hourly"
          jobTemplate:
            spec:
              template:
                spec:
                  restartPolicy: Never
                  dnsPolicy: ClusterFirstWithHostNet
                  containers: [{name: c, image: busybox}]
      `,
      errors: [
        { messageId: 'redundant', path: 'spec.template.spec.dnsPolicy' },
        { messageId: 'redundant', path: 'spec.jobTemplate.spec.template.spec.dnsPolicy' },
      ],
    },
  ],
});
