import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './unresolvable-service-name.js';

const redisService = `---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: cache}
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
`;

/** A Deployment in namespace `ns`; `spec` lines go under the pod spec, `container` lines under its container. */
const deployment = (container: string, spec = '', ns = 'web') => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: ${ns}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
${spec.split('\n').filter((l) => l !== '').map((l) => `      ${l}`).join('\n')}${spec === '' ? '' : '\n'}      containers:
        - name: app
          image: example.com/app:1
${container.split('\n').filter((l) => l !== '').map((l) => `          ${l}`).join('\n')}
${redisService}`;

const env = (name: string, value: string) => `env: [{name: ${name}, value: "${value}"}]`;

ruleTester.run(rule, {
  valid: [
    { name: 'ClusterFirst: svc.ns reaches the record through svc.cluster.local (KDNS-4)', yaml: deployment(env('REDIS_HOST', 'redis.cache')) },
    { name: 'a short name in the pod\'s own namespace', yaml: deployment(env('REDIS_HOST', 'redis'), '', 'cache') },
    { name: 'ClusterFirst: the full name', yaml: deployment(env('REDIS_URL', 'redis://redis.cache.svc.cluster.local:6379')) },
    { name: 'None with cluster DNS and the full name (asked as written: 4 dots, ndots 1)', yaml: deployment(env('REDIS_URL', 'redis://redis.cache.svc.cluster.local:6379'), 'dnsPolicy: None\ndnsConfig: {nameservers: [10.96.0.10]}') },
    { name: 'None with cluster DNS and the search entry the name needs', yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'dnsPolicy: None\ndnsConfig: {nameservers: [10.96.0.10], searches: [svc.cluster.local]}') },
    { name: 'hostNetwork with ClusterFirst is host-network-cluster-dns\' finding, not this rule\'s', yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'hostNetwork: true') },
    { name: 'hostNetwork with ClusterFirstWithHostNet gets cluster DNS', yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'hostNetwork: true\ndnsPolicy: ClusterFirstWithHostNet') },
    { name: 'a word that is a Service name elsewhere but does not stand for a host', yaml: deployment('args: [--cache-mode, redis, "--log=redis"]\nenv: [{name: MODE, value: redis}]') },
    { name: 'names of Services that are not in the manifests are not checked', yaml: deployment(env('API', 'api.payments'), 'dnsPolicy: Default') },
    { name: 'None without nameservers is rejected by the API server (dns-none-without-nameservers)', yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'dnsPolicy: None\ndnsConfig: {searches: [svc.cluster.local]}') },
    {
      name: 'comment lines of a ConfigMap value are not references',
      yaml: `${deployment('envFrom: [{configMapRef: {name: cfg}}]', 'dnsPolicy: Default')}---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: web}
data:
  app.ini: |
    ; cache = redis.cache:6379
    # the old cache was redis.cache.svc
    cache = memory
`,
    },
    { name: 'the program name is never a host', yaml: deployment('command: [redis.cache]', 'dnsPolicy: Default') },
    { name: 'a NodeLocal DNSCache address first counts as cluster DNS', yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'dnsPolicy: None\ndnsConfig: {nameservers: [169.254.20.10], searches: [svc.cluster.local]}'), cluster: { nodeLocalDNS: '169.254.20.10' } },
  ],
  invalid: [
    {
      name: 'dnsPolicy Default using redis.cache: the node\'s resolver does not know cluster.local (KDNS-6)',
      yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'dnsPolicy: Default'),
      errors: [{
        messageId: 'unresolvable', severity: 'warning', line: 15, column: 36, path: 'spec.template.spec.containers[0].env[0].value',
        messageIncludes: [
          'refers to the Service cache/redis as "redis.cache" (in env REDIS_HOST of container app)',
          'its resolv.conf (search corp.example; nameserver 192.168.10.2; options edns0 timeout:2)',
          'never reaches the Service\'s record redis.cache.svc.cluster.local',
          'dnsPolicy: Default gives the pod the node\'s resolver (nameserver 192.168.10.2 from the node\'s /etc/resolv.conf, KDNS-6)',
          'asks redis.cache, then redis.cache.corp.example of 192.168.10.2 (the node\'s resolver)',
          'Set dnsPolicy: ClusterFirst (or remove dnsPolicy)',
        ],
      }],
    },
    {
      name: 'a hostNetwork pod with dnsPolicy Default: the fix is ClusterFirstWithHostNet',
      yaml: deployment('args: ["--redis=redis://redis.cache.svc:6379"]', 'hostNetwork: true\ndnsPolicy: Default'),
      errors: [{ messageId: 'unresolvable', path: 'spec.template.spec.containers[0].args[0]', messageIncludes: ['as "redis.cache.svc"', 'Set dnsPolicy: ClusterFirstWithHostNet'] }],
    },
    {
      name: 'the short name redis from namespace web when the Service is in cache',
      yaml: deployment('env:\n  - name: REDIS_ADDR\n    value: "redis:6379"'),
      errors: [{
        messageId: 'unresolvable', line: 16, column: 15, path: 'spec.template.spec.containers[0].env[0].value',
        messageIncludes: [
          'as "redis"',
          'asks redis.web.svc.cluster.local, then redis.svc.cluster.local, then redis.cluster.local, then redis.corp.example, then redis of 10.96.0.10 (cluster DNS)',
          'a short name is searched only under the pod\'s own namespace (web.svc.cluster.local, KDNS-4), and the Service is in namespace cache',
          'Write "redis.cache" or the full name redis.cache.svc.cluster.local.',
        ],
      }],
    },
    {
      name: 'None with nameservers [8.8.8.8] using the full name: the public server never answers cluster names',
      yaml: deployment(env('REDIS_URL', 'redis://redis.cache.svc.cluster.local:6379'), 'dnsPolicy: None\ndnsConfig:\n  nameservers: [8.8.8.8]'),
      errors: [{
        messageId: 'unresolvable',
        messageIncludes: [
          'dnsPolicy: None builds the resolv.conf from dnsConfig alone (KDNS-7), and its first nameserver 8.8.8.8 is a resolver outside the cluster, which does not know the cluster zone cluster.local and answers NXDOMAIN',
          'Put cluster DNS (10.96.0.10) first in dnsConfig.nameservers.',
        ],
      }],
    },
    {
      name: 'None with cluster DNS second: the first server\'s NXDOMAIN ends the lookup',
      yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'dnsPolicy: None\ndnsConfig:\n  nameservers: [8.8.8.8, 10.96.0.10]'),
      errors: [{ messageId: 'unresolvable', messageIncludes: ['the cluster DNS server after it is asked only when the first does not answer at all', 'first in dnsConfig.nameservers and write the full name redis.cache.svc.cluster.local, or add svc.cluster.local to dnsConfig.searches'] }],
    },
    {
      name: 'None with cluster DNS but without the search entry svc.ns needs',
      yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'dnsPolicy: None\ndnsConfig:\n  nameservers: [10.96.0.10]\n  searches: [web.svc.cluster.local]'),
      errors: [{ messageId: 'unresolvable', messageIncludes: ['no entry of the search list (web.svc.cluster.local) turns it into the Service\'s name', 'asks redis.cache, then redis.cache.web.svc.cluster.local of 10.96.0.10 (cluster DNS)', 'Write the full name redis.cache.svc.cluster.local, or add svc.cluster.local to dnsConfig.searches.'] }],
    },
    {
      name: 'clusterDNS [] : a ClusterFirst pod falls back to the node\'s resolver (KDNS-5)',
      yaml: deployment(env('REDIS_HOST', 'redis.cache')),
      cluster: { clusterDNS: [] },
      errors: [{ messageId: 'unresolvable', messageIncludes: ['the kubelet has no clusterDNS', 'kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.', 'no dnsPolicy of the pod can fix this'] }],
    },
    {
      name: 'clusterDNS [] : a hostNetwork ClusterFirst pod is reported here, since host-network-cluster-dns stays silent',
      yaml: deployment(env('REDIS_HOST', 'redis.cache'), 'hostNetwork: true'),
      cluster: { clusterDNS: [] },
      errors: [{ messageId: 'unresolvable', messageIncludes: ['the kubelet has no clusterDNS, and this pod (the default dnsPolicy ClusterFirst on hostNetwork) gets the node\'s resolver', 'no dnsPolicy of the pod can fix this'] }],
    },
    {
      name: 'a name in a referenced ConfigMap, and more names counted',
      yaml: `${deployment('envFrom: [{configMapRef: {name: cfg}}]\nenv: [{name: A_HOST, value: "redis.cache.svc"}]', 'dnsPolicy: Default')}---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: web}
data:
  config.yaml: |
    cache: redis://redis.cache:6379
    queue: nats.msg:4222
---
apiVersion: v1
kind: Service
metadata: {name: nats, namespace: msg}
spec: {ports: [{port: 4222}]}
`,
      errors: [{
        messageId: 'unresolvable', path: 'spec.template.spec.containers[0].env[0].value',
        messageIncludes: ['as "redis.cache.svc" (in env A_HOST of container app)', 'The pod also uses "redis.cache" and "nats.msg", which fail the same way.'],
      }],
    },
    {
      name: 'a trailing dot on svc.ns: asked only as written',
      yaml: deployment(env('REDIS_HOST', 'redis.cache.')),
      errors: [{ messageId: 'unresolvable', messageIncludes: ['the name ends with a dot, so it is asked only as written', 'Write the full name redis.cache.svc.cluster.local.'] }],
    },
  ],
});

describe('unresolvable-service-name details', () => {
  test('the related location points at the field that decides the resolv.conf', () => {
    const [f] = runRule(rule, deployment(env('REDIS_HOST', 'redis.cache'), 'dnsPolicy: None\ndnsConfig:\n  nameservers: [8.8.8.8]'));
    expect(f!.related.map((r) => r.path)).toEqual(['spec.template.spec.dnsConfig.nameservers']);
    expect(f!.evidence).toContain('resolv.conf the kubelet writes (type None): nameserver 8.8.8.8');
    expect(f!.evidence).toContain('env REDIS_HOST of container app: "redis.cache" (Service cache/redis, record redis.cache.svc.cluster.local) is asked as redis.cache');
  });

  test('a YAML scalar that is not a host: the ConfigMap value is scanned once for many pods', () => {
    const pods = Array.from({ length: 200 }, (_, i) => yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p${i}, namespace: web}
      spec:
        dnsPolicy: Default
        containers: [{name: c, image: busybox, envFrom: [{configMapRef: {name: cfg}}]}]
    `).join('---\n');
    const cm = `---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: web}\ndata:\n  big: "${'x '.repeat(200_000)}redis.cache"\n`;
    const start = performance.now();
    expect(runRule(rule, pods + cm + redisService)).toHaveLength(200);
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
