import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import rule from './service-selects-nothing.js';

const deployment = (labels: string, namespace = 'shop', name = 'web'): string => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: 0
  selector: {matchLabels: {${labels}}}
  template:
    metadata: {labels: {${labels}}}
    spec:
      containers: [{name: app, image: example.com/app:1}]
`;

const service = (selector: string | undefined, namespace = 'shop', extra = ''): string => `---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${namespace}}
spec:${selector === undefined ? '' : `\n  selector: ${selector}`}${extra}
  ports: [{port: 80}]
`;

ruleTester.run(rule, {
  valid: [
    { name: 'the selector matches a Deployment template (replicas 0 counts: the template is what matters)', yaml: deployment('app: web, tier: front') + service('{app: web}') },
    { name: 'a bare Pod with the labels', yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop, labels: {app: web}}\nspec:\n  containers: [{name: c, image: x}]\n' + service('{app: web}') },
    { name: 'a CronJob\'s job template', yaml: 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c, namespace: shop}\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {app: web}}\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: x}]\n' + service('{app: web}') },
    { name: 'no selector: endpoints are managed by hand', yaml: service(undefined) },
    { name: 'an empty selector counts as none', yaml: service('{}') },
    { name: 'ExternalName gets no endpoints anyway', yaml: service('{app: nothing}', 'shop', '\n  type: ExternalName\n  externalName: example.com') },
    {
      name: 'pods an operator creates from a custom resource named by the selector (kube-prometheus)',
      yaml: '---\napiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: shop}\nspec: {replicas: 2}\n'
        + service('{app.kubernetes.io/name: prometheus, app.kubernetes.io/instance: k8s}'),
    },
    { name: 'no namespace written on either: both are default', yaml: deployment('app: web').replace(', namespace: shop', '') + service('{app: web}').replace(', namespace: shop', '') },
  ],
  invalid: [
    {
      name: 'no template has the labels',
      yaml: service('{app: web}'),
      errors: [{
        messageId: 'nothing', line: 6, column: 3, path: 'spec.selector', severity: 'warning',
        messageIncludes: ['Service shop/web selects pods labelled app: web, but no workload in these manifests has a pod template with those labels in namespace shop.', 'EPS-1', 'KP-10'],
      }],
    },
    {
      name: 'a near miss names the closest workload and the differing label',
      yaml: deployment('app: web-frontend, tier: front') + service('{app: web, tier: front}'),
      errors: [{ messageId: 'nothing', messageIncludes: ['The closest is Deployment shop/web, with app: web-frontend where the selector wants app: web.'] }],
    },
    {
      name: 'a missing label is named',
      yaml: deployment('app: web') + service('{app: web, tier: front}'),
      errors: [{ messageId: 'nothing', messageIncludes: ['with no label tier (the selector wants tier: front).'] }],
    },
    {
      name: 'the labels match in another namespace only',
      yaml: deployment('app: web', 'store') + service('{app: web}'),
      errors: [{
        messageId: 'otherNamespace', path: 'spec.selector',
        messageIncludes: ['the workloads with those labels in these manifests are in another namespace: Deployment store/web.', 'Put the Service in the namespace of its pods (store), or the workload in namespace shop.'],
      }],
    },
    {
      name: 'a custom resource in another namespace, or of a built-in group, explains nothing',
      yaml: '---\napiVersion: monitoring.coreos.com/v1\nkind: Prometheus\nmetadata: {name: k8s, namespace: other}\n'
        + '---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: k8s, namespace: shop}\n'
        + service('{app.kubernetes.io/name: prometheus, app.kubernetes.io/instance: k8s}'),
      errors: [{ messageId: 'nothing' }],
    },
    {
      name: 'a template without labels in the namespace is no near miss',
      yaml: 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers: [{name: c, image: x}]\n' + service('{app: web}'),
      errors: [{ messageId: 'nothing', messageIncludes: ['in namespace shop. The EndpointSlice'] }],
    },
  ],
});

describe('related locations', () => {
  test('the other namespace\'s workload labels are a related location', () => {
    const [f] = runRule(rule, deployment('app: web', 'store') + service('{app: web}'));
    expect(f!.related).toEqual([{
      message: 'Deployment store/web in namespace store has the selected labels here.',
      file: 'test.yaml', line: 9, column: 16, path: 'spec.template.metadata.labels',
    }]);
    expect(f!.evidence).toContain('Deployment store/web: labels app: web');
  });
});
