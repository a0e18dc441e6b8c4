import { describe, expect, test } from 'vitest';
import { ruleTester } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule, { suggestDnsPolicy } from './invalid-dns-policy.js';

const pod = (policy: string) => yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    hostNetwork: true
    dnsPolicy: ${policy}
    containers:
      - name: c
        image: busybox
`;

ruleTester.run(rule, {
  valid: [
    { name: 'unset dnsPolicy defaults to ClusterFirst (DEF-1)', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'ClusterFirstWithHostNet', yaml: pod('ClusterFirstWithHostNet') },
    { name: 'ClusterFirst', yaml: pod('ClusterFirst') },
    { name: 'Default', yaml: pod('Default') },
    { name: 'None', yaml: pod('None') },
  ],
  invalid: [
    {
      name: 'the seed article spelling ClusterFirstWithHostNetwork (§15 claim A)',
      yaml: pod('ClusterFirstWithHostNetwork'),
      errors: [{ messageId: 'didYouMean', line: 7, column: 3, path: 'spec.dnsPolicy', messageIncludes: ['"ClusterFirstWithHostNet"'] }],
    },
    {
      name: 'wrong case is rejected (values are case-sensitive)',
      yaml: pod('clusterfirst'),
      errors: [{ messageId: 'didYouMean', messageIncludes: ['"ClusterFirst"'] }],
    },
    { name: 'nothing close', yaml: pod('Bogus'), errors: [{ messageId: 'unsupported' }] },
    { name: 'not a string', yaml: pod('5'), errors: [{ messageId: 'notAString' }] },
    {
      name: 'in a Deployment template, pointing into the template',
      yaml: yaml`
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: d
        spec:
          template:
            spec:
              dnsPolicy: ClusterFirstWithHostNetwork
              containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'didYouMean', line: 8, column: 7, path: 'spec.template.spec.dnsPolicy' }],
    },
  ],
});

describe('suggestDnsPolicy', () => {
  test.for([
    ['ClusterFirstWithHostNetwork', 'ClusterFirstWithHostNet'],
    ['clusterFirstWithHostNet', 'ClusterFirstWithHostNet'],
    ['Cluster-First', 'ClusterFirst'],
    ['ClusterFrist', 'ClusterFirst'],
    ['default', 'Default'],
    ['HostNetwork', undefined],
  ] as const)('%s → %s', ([input, want]) => {
    expect(suggestDnsPolicy(input)).toBe(want);
  });
});
