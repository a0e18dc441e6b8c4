import { describe, expect, test } from 'vitest';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { buildModel } from '../model/model.js';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import { serviceIndexOf } from './dns-names.js';
import rule, { externalNamesOf } from './ndots-query-amplification.js';

/** A Deployment in namespace `web`; `spec` lines go under the pod spec, `container` lines under its container. */
const deployment = (container: string, spec = '') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: web
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
${spec.split('\n').filter((l) => l !== '').map((l) => `      ${l}`).join('\n')}${spec === '' ? '' : '\n'}      containers:
        - name: app
          image: example.com/app:1
${container.split('\n').filter((l) => l !== '').map((l) => `          ${l}`).join('\n')}
`;

const FIVE_QUERIES = 'api.example.com.web.svc.cluster.local, api.example.com.svc.cluster.local, api.example.com.cluster.local, api.example.com.corp.example, api.example.com';

ruleTester.run(rule, {
  valid: [
    { name: 'a trailing dot: asked only as written', yaml: deployment('env: [{name: API_URL, value: "https://api.example.com./v1"}]') },
    { name: 'dnsConfig ndots:2: a name with 2 dots is asked as written first', yaml: deployment('env: [{name: API_URL, value: "https://api.example.com/v1"}]', 'dnsConfig: {options: [{name: ndots, value: "2"}]}') },
    { name: 'a cluster name (the cluster domain)', yaml: deployment('env: [{name: REDIS_URL, value: "redis://redis.cache.svc.cluster.local:6379"}]') },
    { name: 'a .svc name', yaml: deployment('args: ["--upstream=http://api.default.svc:8080"]') },
    { name: 'hostNetwork with ClusterFirst gets the node\'s ndots (the Host type)', yaml: deployment('env: [{name: API_URL, value: "https://api.example.com/v1"}]', 'hostNetwork: true') },
    { name: 'dnsPolicy Default: the node\'s resolv.conf', yaml: deployment('env: [{name: API_URL, value: "https://api.example.com/v1"}]', 'dnsPolicy: Default') },
    { name: 'dnsPolicy None chooses its own options', yaml: deployment('env: [{name: API_URL, value: "https://api.example.com/v1"}]', 'dnsPolicy: None\ndnsConfig: {nameservers: [10.96.0.10], searches: [web.svc.cluster.local], options: [{name: ndots, value: "5"}]}') },
    { name: 'no clusterDNS: ClusterFirst falls back to the node\'s resolver (KDNS-5)', yaml: deployment('env: [{name: API_URL, value: "https://api.example.com/v1"}]'), cluster: { clusterDNS: [] } },
    { name: 'a name with at least ndots dots is asked as written first', yaml: deployment('env: [{name: U, value: "a.b.c.d.e.example.com"}]') },
    { name: 'IP addresses, file names, image references, label keys and paths are not names', yaml: deployment(`command: [app.py, --config=/etc/app/config.yaml, --tls-cert=tls.crt]
args: ["--image=quay.io/prometheus/node-exporter:v1.8.0", "--selector=app.kubernetes.io/name=web", "--db=10.0.0.5:5432", "run.sh", "--group=monitoring.coreos.k8s.io"]
env: [{name: JAVA_OPTS, value: "-Dspring.profiles.active=prod -Xmx1g"}, {name: EMAIL, value: "ops@example.com"}]`) },
    { name: 'a Service of the manifests written as svc.ns is a cluster name', yaml: `${deployment('env: [{name: REDIS, value: "redis.cache:6379"}]')}---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: cache}
spec: {ports: [{port: 6379}]}
` },
    { name: 'an unreferenced ConfigMap is not read', yaml: `${deployment('env: [{name: A, value: b}]')}---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: web}
data: {url: "https://api.example.com"}
` },
  ],
  invalid: [
    {
      name: 'an env URL on a ClusterFirst Deployment: 5 queries under ndots:5 and 4 search domains',
      yaml: deployment('env: [{name: API_URL, value: "https://api.example.com/v1"}]'),
      errors: [{
        messageId: 'amplified', severity: 'info', line: 14, column: 33, path: 'spec.template.spec.containers[0].env[0].value',
        messageIncludes: [
          'looks up "api.example.com" outside the cluster',
          'ndots:5 with 4 search domains',
          `"api.example.com" (in env API_URL of container app) is asked as ${FIVE_QUERIES}; that is 5 names, each as A and AAAA, 10 queries where 2 would do`,
          'trailing dot ("api.example.com.")',
          'dnsConfig.options: [{name: ndots, value: "2"}]',
        ],
      }],
    },
    {
      name: 'hostNetwork with ClusterFirstWithHostNet gets the Cluster type and ndots:5',
      yaml: deployment('args: ["--server", "api.example.com"]', 'hostNetwork: true\ndnsPolicy: ClusterFirstWithHostNet'),
      errors: [{ messageId: 'amplified', path: 'spec.template.spec.containers[0].args[1]' }],
    },
    {
      name: 'more than 3 names: three named, the rest counted; a one-dot name suggests ndots 1',
      yaml: deployment('env:\n  - {name: A, value: "a.example.com:443"}\n  - {name: B, value: "https://b.example.org"}\n  - {name: C, value: "c.example.net"}\n  - {name: D, value: "example.io"}\n  - {name: E, value: "a.example.com"}'),
      errors: [{
        messageId: 'amplified', path: 'spec.template.spec.containers[0].env[0].value',
        messageIncludes: ['looks up "a.example.com", "b.example.org", "c.example.net" and 1 more outside the cluster', 'value: "1"'],
      }],
    },
    {
      name: 'a name in a ConfigMap read through envFrom points at the envFrom entry',
      yaml: `${deployment('envFrom: [{configMapRef: {name: app-config}}]')}---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: web}
data:
  LOG_LEVEL: info
  config.yaml: |
    upstream:
      url: https://payments.example.com/api
`,
      errors: [{
        messageId: 'amplified', line: 14, column: 21, path: 'spec.template.spec.containers[0].envFrom[0]',
        messageIncludes: ['"payments.example.com" (in ConfigMap app-config key config.yaml (envFrom of container app))'],
      }],
    },
    {
      name: 'a ConfigMap key through configMapKeyRef points at the reference',
      yaml: `${deployment('env: [{name: DB_HOST, valueFrom: {configMapKeyRef: {name: db, key: host}}}]')}---
apiVersion: v1
kind: ConfigMap
metadata: {name: db, namespace: web}
data: {host: db.internal.example}
`,
      errors: [{ messageId: 'amplified', path: 'spec.template.spec.containers[0].env[0].valueFrom.configMapKeyRef', messageIncludes: ['"db.internal.example" (in ConfigMap db key host (env DB_HOST of container app))'] }],
    },
    {
      name: 'an init container and a custom search list from dnsConfig',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          dnsConfig: {searches: [corp.internal]}
          initContainers:
            - name: wait
              image: busybox
              command: [sh, -c, "until nc -z db.example.com 5432; do sleep 1; done"]
          containers: [{name: c, image: busybox}]
      `,
      errors: [{
        messageId: 'amplified', path: 'spec.initContainers[0].command[2]',
        messageIncludes: ['with 5 search domains', 'db.example.com.corp.internal, db.example.com; that is 6 names, each as A and AAAA, 12 queries'],
      }],
    },
  ],
});

describe('ndots-query-amplification details', () => {
  const services = serviceIndexOf(buildModel([], DEFAULT_CLUSTER));
  test('external-looking names in host position', () => {
    expect(externalNamesOf('https://api.example.com/v1 and https://api.example.com/v2', 'cluster.local', services)).toEqual(['api.example.com']);
    expect(externalNamesOf('host: db.example.com\nport: 5432\nfile: /var/lib/app.db', 'cluster.local', services)).toEqual(['db.example.com']);
    expect(externalNamesOf('Example.COM', 'cluster.local', services)).toEqual([]);
    expect(externalNamesOf('x.cluster.local y.svc z.k8s.io entry.sh', 'cluster.local', services)).toEqual([]);
    expect(externalNamesOf('printer.local other.corp', 'cluster.local', services)).toEqual(['other.corp']);
    expect(externalNamesOf('--name client.admin --id custom.stacking', 'cluster.local', services)).toEqual([]);
  });

  test('config files: comments, lists and keys that are not hosts are skipped', () => {
    const file = [
      '# see https://docs.example.com/setup',
      '; url = https://old.example.com',
      'url = https://grafana.net',
      'trust_domain = "example.org"',
      'resourceName: 98c9c988.spiffe.io',
      'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
      '"id": "custom.stacking",',
      'upstream: "mirror.example.net", # the fast one',
      'peer: db.example.com:5432 primary',
    ].join('\n');
    expect(externalNamesOf(file, 'cluster.local', services, { configFile: true })).toEqual(['grafana.net', 'mirror.example.net', 'db.example.com']);
    expect(externalNamesOf('example.com', 'cluster.local', services, { key: 'CLUSTER_DOMAIN' })).toEqual([]);
    expect(externalNamesOf('example.com', 'cluster.local', services, { key: 'UPSTREAM' })).toEqual(['example.com']);
  });

  test('evidence: the resolv.conf, each name\'s queries, and what the lower ndots gives', () => {
    const [f] = runRule(rule, deployment('env: [{name: API_URL, value: "https://api.example.com/v1"}]'));
    expect(f!.evidence).toContain('resolv.conf the kubelet writes (type Cluster, KDNS-4): search web.svc.cluster.local svc.cluster.local cluster.local corp.example; nameserver 10.96.0.10; options ndots:5');
    expect(f!.evidence).toContain('with ndots:2: "api.example.com" is asked as api.example.com, api.example.com.web.svc.cluster.local, api.example.com.svc.cluster.local, api.example.com.cluster.local, api.example.com.corp.example');
    expect(f!.fix).toBe('dnsConfig: {options: [{name: ndots, value: "2"}]}');
  });
});
