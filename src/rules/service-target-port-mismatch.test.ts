import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import rule from './service-target-port-mismatch.js';

/** A Deployment in namespace shop with the given container ports (flow YAML) and pod spec extras. */
const deployment = (name: string, ports: string, extra = '', labels = `app: ${name}`): string => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {matchLabels: {${labels}}}
  template:
    metadata: {labels: {${labels}}}
    spec:${extra}
      containers:
        - name: app
          image: example.com/app:1
          ports: ${ports}
`;

const service = (ports: string, selector = 'app: web', name = 'web'): string => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: shop}
spec:
  selector: {${selector}}
  ports:
${ports.split('\n').map((l) => `    ${l}`).join('\n')}
`;

ruleTester.run(rule, {
  valid: [
    { name: 'a named targetPort the pods declare', yaml: deployment('web', '[{name: http, containerPort: 8080}]') + service('- {port: 80, targetPort: http}') },
    { name: 'a numeric targetPort the pods declare', yaml: deployment('web', '[{containerPort: 8080}]') + service('- {port: 80, targetPort: 8080}') },
    { name: 'a numeric targetPort on pods that declare no ports at all (KP-14: a number needs no declaration)', yaml: deployment('web', '[]') + service('- {port: 80, targetPort: 9999}') },
    { name: 'an unset targetPort is the Service port, and the pods declare it', yaml: deployment('web', '[{containerPort: 80}]') + service('- {port: 80}') },
    {
      name: 'a named port served by a sidecar init container',
      yaml: deployment('web', '[{containerPort: 8080}]', '\n      initContainers: [{name: proxy, image: envoy, restartPolicy: Always, ports: [{name: proxy, containerPort: 15001}]}]')
        + service('- {port: 80, targetPort: proxy}'),
    },
    {
      name: 'one of two selected workloads serves the name',
      yaml: deployment('a', '[{name: http, containerPort: 8080}]', '', 'app: web, v: a') + deployment('b', '[{containerPort: 9090}]', '', 'app: web, v: b') + service('- {port: 80, targetPort: http}'),
    },
    {
      name: 'one of two selected workloads declares no ports: it may serve the number',
      yaml: deployment('a', '[{containerPort: 8080}]', '', 'app: web, v: a') + deployment('b', '[]', '', 'app: web, v: b') + service('- {port: 80, targetPort: 9090}'),
    },
    { name: 'a Service that selects nothing is left to service-selects-nothing', yaml: deployment('web', '[{containerPort: 8080}]') + service('- {port: 80, targetPort: http}', 'app: other') },
    { name: 'a Service without selector', yaml: deployment('web', '[{containerPort: 8080}]') + service('- {port: 80, targetPort: http}').replace('  selector: {app: web}\n', '') },
    { name: 'hostNetwork: the declared containerPort is the node port the Service targets', yaml: deployment('web', '[{containerPort: 9100}]', '\n      hostNetwork: true') + service('- {port: 9100}') },
    {
      name: 'a number declared with another protocol: the protocol was likely left to default (kube-vip demo)',
      yaml: deployment('web', '[{containerPort: 10002}]') + service('- {port: 10002, protocol: UDP}'),
    },
    {
      name: 'an undeclared number the pods\' ConfigMap listens on (0.0.0.0:5317)',
      yaml: deployment('web', '[{containerPort: 4317}]', '\n      volumes: [{name: conf, configMap: {name: collector}}]')
        + '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: collector, namespace: shop}\ndata:\n  config.yaml: "receivers: {otlp/auth: {endpoint: 0.0.0.0:5317}}"\n'
        + service('- {port: 5317}'),
    },
    { name: 'an undeclared number in the args', yaml: deployment('web', '[{containerPort: 8080}]').replace('image: example.com/app:1', 'image: example.com/app:1\n          args: [--admin-listen=:9901]') + service('- {port: 9901}') },
    { name: 'an undeclared number a probe checks', yaml: deployment('web', '[{containerPort: 8080}]').replace('image: example.com/app:1', 'image: example.com/app:1\n          readinessProbe: {httpGet: {path: /ready, port: 8081}}') + service('- {port: 8081}') },
  ],
  invalid: [
    {
      name: 'a named targetPort no pod declares',
      yaml: deployment('web', '[{name: web, containerPort: 8080}]') + service('- {name: http, port: 80, targetPort: http}'),
      errors: [{
        messageId: 'namedPort', line: 21, column: 30, path: 'spec.ports[0].targetPort', severity: 'error',
        messageIncludes: ['Service port 80/TCP ("http") sends traffic to the container port named "http" with protocol TCP', 'Deployment shop/web declares "web" 8080/TCP.', 'KP-14', 'KP-10', 'Name the container port'],
      }],
    },
    {
      name: 'a named targetPort declared with another protocol',
      yaml: deployment('web', '[{name: dns, containerPort: 53, protocol: UDP}]') + service('- {port: 53, targetPort: dns}'),
      errors: [{ messageId: 'namedPort', messageIncludes: ['has a port named "dns", but with protocol UDP, and the protocol must match the Service port\'s TCP.'] }],
    },
    {
      name: 'a named port on a plain init container does not count',
      yaml: deployment('web', '[{containerPort: 8080}]', '\n      initContainers: [{name: setup, image: x, ports: [{name: http, containerPort: 8080}]}]') + service('- {port: 80, targetPort: http}'),
      errors: [{ messageId: 'namedPort', messageIncludes: ['Init container "setup" of Deployment shop/web has a port named "http"'] }],
    },
    {
      name: 'names are case-sensitive',
      yaml: deployment('web', '[{name: HTTP, containerPort: 8080}]') + service('- {port: 80, targetPort: http}'),
      errors: [{ messageId: 'namedPort', messageIncludes: ['has a port named "HTTP": names are compared case-sensitively.'] }],
    },
    {
      name: 'an unset targetPort defaults to port 80 while the pods declare 8080: points at port, suggests 8080',
      yaml: deployment('web', '[{containerPort: 8080}]') + service('- {port: 80}'),
      errors: [{
        messageId: 'numberedPort', line: 21, column: 8, path: 'spec.ports[0].port',
        messageIncludes: ['sends traffic to port 80/TCP (targetPort is not set, so it is the Service port, DEF-6)', '(Deployment shop/web declares 8080/TCP), and no probe, env value, argument or ConfigMap of theirs mentions 80.', '<pod IP>:80', 'listen on (8080)'],
      }],
    },
    {
      name: 'hostNetwork pods: the endpoint is the node address and the containerPort is the node port',
      yaml: deployment('web', '[{containerPort: 9100}]', '\n      hostNetwork: true') + service('- {port: 9100, targetPort: 9101}'),
      errors: [{ messageId: 'numberedPort', messageIncludes: ['<node IP>:9101 (these pods use hostNetwork', 'DEF-3'] }],
    },
    {
      name: 'each bad port of a Service is reported, good ones are not',
      yaml: deployment('web', '[{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]')
        + service('- {name: a, port: 80, targetPort: http}\n- {name: b, port: 81, targetPort: admin}\n- {name: c, port: 82, targetPort: 9091}'),
      errors: [
        { messageId: 'namedPort', path: 'spec.ports[1].targetPort' },
        { messageId: 'numberedPort', path: 'spec.ports[2].targetPort', messageIncludes: ['"http" 8080/TCP, "metrics" 9090/TCP'] },
      ],
    },
  ],
});

describe('related locations, evidence and fix', () => {
  test('the selected workload\'s ports are a related location; the simulated EndpointSlice is evidence', () => {
    const findings = runRule(rule, deployment('web', '[{name: web, containerPort: 8080}]') + service('- {port: 80, targetPort: http}'));
    expect(findings).toHaveLength(1);
    expect(findings[0]!.related).toEqual([{
      message: 'Deployment shop/web, selected by the Service, declares its container ports here.',
      file: 'test.yaml', line: 13, column: 11, path: 'spec.template.spec.containers[0].ports',
    }]);
    expect(findings[0]!.evidence).toContain('simulated EndpointSlice of Service shop/web, port 80/TCP: 0 endpoints');
    expect(findings[0]!.evidence).toContain('simulated EndpointSlice of Service shop/web, port 80/TCP: 1 running pods where "http" does not resolve (KP-14)');
  });
  test('a single declared port of the right protocol is offered as the fix', () => {
    const [f] = runRule(rule, deployment('web', '[{containerPort: 8080}]') + service('- {port: 80}'));
    expect(f!.fix).toBe('targetPort: 8080');
    expect(f!.evidence).toContain('simulated EndpointSlice of Service shop/web, port 80/TCP: 1 endpoint (10.244.1.2:80)');
  });
});
