import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './dns-none-without-nameservers.js';

ruleTester.run(rule, {
  valid: [
    { name: 'None with one nameserver (KDNS-7)', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        dnsPolicy: None
        dnsConfig:
          nameservers: [1.1.1.1]
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'the kubernetes/website custom-dns example', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata:
        namespace: default
        name: dns-example
      spec:
        containers:
          - name: test
            image: nginx
        dnsPolicy: "None"
        dnsConfig:
          nameservers:
            - 192.0.2.1
          searches:
            - ns1.svc.cluster-domain.example
            - my.dns.search.suffix
          options:
            - name: ndots
              value: "2"
            - name: edns0
    ` },
    { name: 'unset dnsPolicy defaults to ClusterFirst, which needs no dnsConfig (DEF-1)', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'ClusterFirst with an empty dnsConfig is not this rule\'s business', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        dnsPolicy: ClusterFirst
        dnsConfig: {}
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'Default without dnsConfig', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        dnsPolicy: Default
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'a misspelt policy is invalid-dns-policy\'s finding, not this one', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        dnsPolicy: none
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'malformed dnsConfig and nameservers are left to dns-config-limits', yaml: yaml`
      apiVersion: v1
      kind: List
      items:
        - apiVersion: v1
          kind: Pod
          metadata: {name: a}
          spec:
            dnsPolicy: None
            dnsConfig: "1.1.1.1"
            containers: [{name: c, image: busybox}]
        - apiVersion: v1
          kind: Pod
          metadata: {name: b}
          spec:
            dnsPolicy: None
            dnsConfig: {nameservers: "1.1.1.1"}
            containers: [{name: c, image: busybox}]
    ` },
  ],
  invalid: [
    {
      name: 'None without dnsConfig points at dnsPolicy',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          dnsPolicy: None
          containers:
            - name: c
              image: busybox
      `,
      errors: [{ messageId: 'missingDnsConfig', line: 6, column: 3, path: 'spec.dnsPolicy', severity: 'error', messageIncludes: ['dnsConfig', 'Pod'] }],
    },
    {
      name: 'None with dnsConfig: null is the same as no dnsConfig',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          dnsPolicy: None
          dnsConfig:
          containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'missingDnsConfig', path: 'spec.dnsPolicy' }],
    },
    {
      name: 'None with dnsConfig but only searches points at dnsConfig',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: d
        spec:
          template:
            spec:
              dnsPolicy: None
              dnsConfig:
                searches: [example.com]
              containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'noNameservers', line: 9, column: 7, path: 'spec.template.spec.dnsConfig', messageIncludes: ['dnsConfig.nameservers is missing', 'Deployment'] }],
    },
    {
      name: 'None with an empty nameservers list points at the list',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          dnsPolicy: None
          dnsConfig:
            nameservers: []
            options: [{name: ndots, value: "2"}]
          containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'noNameservers', line: 7, column: 5, path: 'spec.dnsConfig.nameservers', messageIncludes: ['is empty'] }],
    },
    {
      name: 'in a CronJob',
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
                  restartPolicy: Never
                  dnsPolicy: None
                  containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'missingDnsConfig', path: 'spec.jobTemplate.spec.template.spec.dnsPolicy' }],
    },
  ],
});
