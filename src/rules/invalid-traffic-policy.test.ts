import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import rule from './invalid-traffic-policy.js';

/** A Service in namespace shop; `spec` lines are indented under `spec:`. */
const service = (spec: string): string => `apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
${spec.split('\n').map((l) => `  ${l}`).join('\n')}
  selector: {app: web}
  ports: [{port: 80}]
`;

ruleTester.run(rule, {
  valid: [
    { name: 'nothing set', yaml: service('type: ClusterIP') },
    { name: 'NodePort with Local', yaml: service('type: NodePort\nexternalTrafficPolicy: Local') },
    { name: 'LoadBalancer with Cluster', yaml: service('type: LoadBalancer\nexternalTrafficPolicy: Cluster') },
    { name: 'ClusterIP with externalIPs is externally accessible', yaml: service('externalIPs: [198.51.100.7]\nexternalTrafficPolicy: Local') },
    { name: 'internalTrafficPolicy Local on ClusterIP', yaml: service('internalTrafficPolicy: Local') },
    { name: 'an empty externalTrafficPolicy is the same as none', yaml: service('externalTrafficPolicy: ""') },
    { name: 'healthCheckNodePort on LoadBalancer with Local', yaml: service('type: LoadBalancer\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 32100') },
    { name: 'healthCheckNodePort 0 means unset', yaml: service('type: NodePort\nhealthCheckNodePort: 0') },
    { name: 'another kind with the same fields', yaml: 'apiVersion: example.com/v1\nkind: Service\nmetadata: {name: x}\nspec: {externalTrafficPolicy: Sideways}\n' },
  ],
  invalid: [
    {
      name: 'externalTrafficPolicy on a ClusterIP Service (type unset)',
      yaml: service('externalTrafficPolicy: Local'),
      errors: [{
        messageId: 'externalNotAllowed', line: 5, column: 3, path: 'spec.externalTrafficPolicy', severity: 'error',
        messageIncludes: ['on a Service of type ClusterIP (type is not set) without externalIPs', 'spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services (VAL-20)', 'internalTrafficPolicy: Local'],
      }],
    },
    {
      name: 'externalTrafficPolicy on ExternalName',
      yaml: service('type: ExternalName\nexternalName: example.com\nexternalTrafficPolicy: Cluster'),
      errors: [{ messageId: 'externalNotAllowed', messageIncludes: ['of type ExternalName, which is not externally accessible', 'Invalid value: "Cluster"'] }],
    },
    {
      name: 'a lower-case value on a NodePort Service',
      yaml: service('type: NodePort\nexternalTrafficPolicy: local'),
      errors: [{ messageId: 'externalUnsupported', path: 'spec.externalTrafficPolicy', messageIncludes: ['Unsupported value: "local": supported values: "Cluster", "Local"', 'case-sensitive and take no spaces: write "Local"'] }],
    },
    {
      name: 'the old annotation value Global',
      yaml: service('type: LoadBalancer\nexternalTrafficPolicy: Global'),
      errors: [{ messageId: 'externalUnsupported', messageIncludes: ['"Global" was the value of the old beta annotation'] }],
    },
    {
      name: 'internalTrafficPolicy with a trafficDistribution value',
      yaml: service('internalTrafficPolicy: PreferClose'),
      errors: [{ messageId: 'internalUnsupported', path: 'spec.internalTrafficPolicy', messageIncludes: ['Unsupported value: "PreferClose"', 'looks like a value of trafficDistribution'] }],
    },
    {
      name: 'internalTrafficPolicy is checked on every type, ExternalName included',
      yaml: service('type: ExternalName\nexternalName: example.com\ninternalTrafficPolicy: Nearest'),
      errors: [{ messageId: 'internalUnsupported', messageIncludes: ['"Nearest"'] }],
    },
    {
      name: 'healthCheckNodePort on a LoadBalancer without Local',
      yaml: service('type: LoadBalancer\nhealthCheckNodePort: 32100'),
      errors: [{
        messageId: 'healthCheckNotAllowed', path: 'spec.healthCheckNodePort',
        messageIncludes: ['a LoadBalancer with externalTrafficPolicy Cluster (externalTrafficPolicy is not set)', 'Invalid value: 32100: may only be set when `type` is \'LoadBalancer\' and `externalTrafficPolicy` is \'Local\'', 'or set externalTrafficPolicy: Local'],
      }],
    },
    {
      name: 'healthCheckNodePort on NodePort with Local',
      yaml: service('type: NodePort\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 32100'),
      errors: [{ messageId: 'healthCheckNotAllowed', messageIncludes: ['this Service is of type NodePort,', 'Remove healthCheckNodePort.'] }],
    },
    {
      name: 'a healthCheckNodePort that is not a port number',
      yaml: service('type: LoadBalancer\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 70000'),
      errors: [{ messageId: 'healthCheckInvalid', messageIncludes: ['Invalid value: 70000: must be between 1 and 65535, inclusive'] }],
    },
    {
      name: 'several problems on one Service, in field order',
      yaml: service('externalTrafficPolicy: Local\ninternalTrafficPolicy: local\nhealthCheckNodePort: 30000'),
      errors: [
        { messageId: 'externalNotAllowed' },
        { messageId: 'internalUnsupported', messageIncludes: ['write "Local"'] },
        { messageId: 'healthCheckNotAllowed', messageIncludes: ['this Service is of type ClusterIP (type is not set),'] },
      ],
    },
  ],
});

describe('fix and evidence', () => {
  test('a field on a Service that is not externally accessible: delete it', () => {
    const [f] = runRule(rule, service('type: ClusterIP\nexternalTrafficPolicy: Cluster'));
    expect(f!.fix).toBe('delete externalTrafficPolicy');
    expect(f!.evidence).toEqual(['VAL-20', 'DEF-6', 'KP-4', 'KP-8', 'KP-9', 'KP-11', 'type ClusterIP, 0 externalIPs: not externally accessible']);
  });
});
