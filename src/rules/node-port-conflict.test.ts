import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import rule from './node-port-conflict.js';

/** A Service in namespace shop: `spec` lines (before ports) and the ports list (flow YAML). */
const service = (name: string, spec: string, ports: string): string => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: shop}
spec:
${spec.split('\n').map((l) => `  ${l}`).join('\n')}
  selector: {app: ${name}}
  ports: ${ports}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'two Services with different nodePorts', yaml: service('a', 'type: NodePort', '[{port: 80, nodePort: 30080}]') + service('b', 'type: NodePort', '[{port: 80, nodePort: 30081}]') },
    { name: 'no nodePort written: the API server picks free numbers', yaml: service('a', 'type: NodePort', '[{port: 80}]') + service('b', 'type: LoadBalancer', '[{port: 80}]') },
    { name: '53/TCP and 53/UDP of one Service share one nodePort', yaml: service('dns', 'type: NodePort', '[{name: udp, port: 53, protocol: UDP, nodePort: 30053}, {name: tcp, port: 53, nodePort: 30053}]') },
    { name: 'the range bounds are inclusive', yaml: service('a', 'type: NodePort', '[{name: a, port: 80, nodePort: 30000}, {name: b, port: 81, nodePort: 32767}]') },
    { name: 'the cluster\'s own range', yaml: service('a', 'type: NodePort', '[{port: 80, nodePort: 20080}]'), cluster: { nodePortRange: { min: 20000, max: 22767 } } },
    { name: 'nodePort 0 means unset', yaml: service('a', 'type: ClusterIP', '[{port: 80, nodePort: 0}]') },
    { name: 'ExternalName ignores a nodePort', yaml: service('a', 'type: ExternalName\nexternalName: example.com', '[{port: 80, nodePort: 8080}]') },
    { name: 'a healthCheckNodePort of its own', yaml: service('a', 'type: LoadBalancer\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 32000', '[{port: 80, nodePort: 30080}]') },
    {
      name: 'a healthCheckNodePort on a Service that does not need one is invalid-traffic-policy\'s, not a claim',
      yaml: service('a', 'type: NodePort\nhealthCheckNodePort: 30080', '[{port: 80}]') + service('b', 'type: NodePort', '[{port: 80, nodePort: 30080}]'),
    },
  ],
  invalid: [
    {
      name: 'two Services write the same nodePort, on different protocols: the second is reported',
      yaml: service('a', 'type: NodePort', '[{port: 80, nodePort: 30080}]') + service('b', 'type: LoadBalancer', '[{port: 53, protocol: UDP, nodePort: 30080}]'),
      errors: [{
        messageId: 'taken', line: 16, column: 37, path: 'spec.ports[0].nodePort', severity: 'error',
        messageIncludes: ['nodePort 30080 is already held by Service shop/a as the nodePort of port 80/TCP (test.yaml:8)', 'whatever the protocol', 'spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated'],
      }],
    },
    {
      name: 'a nodePort outside the range',
      yaml: service('a', 'type: NodePort', '[{port: 80, nodePort: 8080}]'),
      errors: [{
        messageId: 'outOfRange', path: 'spec.ports[0].nodePort',
        messageIncludes: ['nodePort 8080 lies outside the cluster\'s Service NodePort range 30000-32767', 'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767'],
      }],
    },
    {
      name: 'the cluster\'s range decides',
      yaml: service('a', 'type: NodePort', '[{port: 80, nodePort: 30080}]'),
      cluster: { nodePortRange: { min: 20000, max: 22767 } },
      errors: [{ messageId: 'outOfRange', messageIncludes: ['range 20000-22767'] }],
    },
    {
      name: 'a nodePort on a ClusterIP Service',
      yaml: service('a', 'selector: {}', '[{port: 80, nodePort: 30080}]').replace('  selector: {}\n', ''),
      errors: [{
        messageId: 'clusterIP', path: 'spec.ports[0].nodePort',
        messageIncludes: ['on a Service of type ClusterIP (type is not set)', 'spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\''],
      }],
    },
    {
      name: 'a quoted nodePort',
      yaml: service('a', 'type: NodePort', '[{port: 80, nodePort: "30080"}]'),
      errors: [{ messageId: 'notANumber', messageIncludes: ['nodePort "30080" is not a whole number'] }],
    },
    {
      name: 'two ports of one Service with different port numbers',
      yaml: service('a', 'type: NodePort', '[{name: http, port: 80, nodePort: 30080}, {name: alt, port: 8080, protocol: UDP, nodePort: 30080}]'),
      errors: [{ messageId: 'takenInService', path: 'spec.ports[1].nodePort', messageIncludes: ['nodePort 30080 is already the nodePort of port 80/TCP of this Service', 'spec.ports[1].nodePort: Invalid value: 30080: provided port is already allocated'] }],
    },
    {
      name: 'a healthCheckNodePort another Service holds as a nodePort',
      yaml: service('a', 'type: NodePort', '[{port: 80, nodePort: 32000}]') + service('b', 'type: LoadBalancer\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 32000', '[{port: 80}]'),
      errors: [{
        messageId: 'taken', path: 'spec.healthCheckNodePort',
        messageIncludes: ['healthCheckNodePort 32000 is already held by Service shop/a', 'failed to allocate requested HealthCheck NodePort 32000: provided port is already allocated'],
      }],
    },
    {
      name: 'a healthCheckNodePort equal to its own Service\'s nodePort',
      yaml: service('a', 'type: LoadBalancer\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 30080', '[{port: 80, nodePort: 30080}]'),
      errors: [{ messageId: 'takenInService', path: 'spec.healthCheckNodePort' }],
    },
    {
      name: 'a healthCheckNodePort outside the range',
      yaml: service('a', 'type: LoadBalancer\nexternalTrafficPolicy: Local\nhealthCheckNodePort: 10256', '[{port: 80}]'),
      errors: [{ messageId: 'outOfRange', messageIncludes: ['failed to allocate requested HealthCheck NodePort 10256: provided port is not in the valid range'] }],
    },
  ],
});

describe('related locations', () => {
  test('the Service that holds the number first', () => {
    const findings = runRule(rule, service('a', 'type: NodePort', '[{port: 80, nodePort: 30080}]') + service('b', 'type: NodePort', '[{port: 81, nodePort: 30080}]'));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.related).toEqual([{
      message: 'Service shop/a holds 30080 as the nodePort of port 80/TCP here.',
      file: 'test.yaml', line: 8, column: 22, path: 'spec.ports[0].nodePort',
    }]);
    expect(findings[0]!.evidence).toContain('Service shop/a: nodePort of port 80/TCP is 30080');
  });
  test('a second copy of the same Service is an update of it, not a second holder', () => {
    const one = service('a', 'type: NodePort', '[{port: 80, nodePort: 30080}]');
    expect(runRule(rule, one + one)).toEqual([]);
  });
});
