import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import { buildModel } from '../model/model.js';
import { DEFAULT_CLUSTER } from '../model/default-cluster.js';
import { podViewOf } from '../model/pod-view.js';
import { loadText } from '../load/objects.js';
import { kubeletDnsOf } from '../sim/dns/pod-dns.js';
import { podDns } from '../sim/dns/resolv-conf.js';
import { forEachNameSource, inHostPosition, isSilentHostFallback, resolverOf, serviceIndexOf, serviceRefOf, tokensOf } from './dns-names.js';
import rule from './host-network-cluster-dns.js';

/** A hostNetwork DaemonSet in namespace `kube-system` with the given container body lines. */
const ds = (extra: string, dnsPolicy = '') => yaml`
  apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: agent
    namespace: kube-system
  spec:
    selector: {matchLabels: {app: agent}}
    template:
      metadata: {labels: {app: agent}}
      spec:
        hostNetwork: true${dnsPolicy === '' ? '' : `\n        dnsPolicy: ${dnsPolicy}`}
        containers:
          - name: agent
            image: example.com/agent:1
${extra}
`;

const service = (name: string, namespace: string) => `---
apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  ports: [{port: 80}]
`;

ruleTester.run(rule, {
  valid: [
    { name: 'ClusterFirstWithHostNet is the fix', yaml: ds('            env: [{name: API, value: "http://api.default.svc:8080"}]', 'ClusterFirstWithHostNet') },
    { name: 'Default asks for the node resolver on purpose', yaml: ds('            args: ["--upstream=api.default.svc"]', 'Default') },
    { name: 'None uses dnsConfig only', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        hostNetwork: true
        dnsPolicy: None
        dnsConfig: {nameservers: [10.96.0.10]}
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'a pod without hostNetwork gets cluster DNS', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        containers: [{name: c, image: busybox, env: [{name: A, value: api.default.svc.cluster.local}]}]
    ` },
    { name: 'hostNetwork: "true" as a string is not hostNetwork', yaml: yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        hostNetwork: "true"
        containers: [{name: c, image: busybox}]
    ` },
    { name: 'no clusterDNS: every pod falls back to the node resolver, the fix would not help (KDNS-5)', yaml: ds(''), cluster: { clusterDNS: [] } },
    { name: 'infoFindings: false keeps only the warnings', yaml: ds('            args: [--verbose]'), options: { infoFindings: false } },
  ],
  invalid: [
    {
      name: 'unset dnsPolicy and nothing cluster-bound: info at hostNetwork',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          hostNetwork: true
          containers:
            - name: c
              image: busybox
              env:
                - {name: KUBERNETES_SERVICE_HOST, value: "10.96.0.1"}
      `,
      errors: [{
        messageId: 'nodeResolver', severity: 'info', line: 6, column: 3, path: 'spec.hostNetwork',
        messageIncludes: ['no dnsPolicy (ClusterFirst by default)', 'nameserver 192.168.10.2 from the node\'s /etc/resolv.conf', 'kubernetes.default.svc.cluster.local', 'dnsPolicy: ClusterFirstWithHostNet'],
      }],
    },
    {
      name: 'explicit ClusterFirst points at dnsPolicy',
      yaml: ds('', 'ClusterFirst'),
      errors: [{ messageId: 'nodeResolver', severity: 'info', line: 12, column: 7, path: 'spec.template.spec.dnsPolicy', messageIncludes: ['dnsPolicy: ClusterFirst,'] }],
    },
    {
      name: 'env value with a .svc name: warning naming the evidence',
      yaml: ds('            env: [{name: API_URL, value: "http://api.default.svc:8080/v1"}]'),
      errors: [{
        messageId: 'needsClusterDns', severity: 'warning', path: 'spec.template.spec.hostNetwork',
        messageIncludes: [
          'env API_URL of container agent mentions "api.default.svc"',
          'A lookup of "api.default.svc" asks api.default.svc, then api.default.svc.corp.example, all of the node\'s resolver',
        ],
      }],
    },
    {
      name: 'infoFindings: false still warns when the pod needs cluster DNS',
      yaml: ds('            args: ["--server=api.default.svc"]'),
      options: { infoFindings: false },
      errors: [{ messageId: 'needsClusterDns', severity: 'warning' }],
    },
    {
      name: 'args with the cluster domain, in an init container',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          hostNetwork: true
          initContainers:
            - name: wait
              image: busybox
              command: [sh, -c, "until nslookup db.data.svc.cluster.local; do sleep 1; done"]
          containers: [{name: c, image: busybox}]
      `,
      errors: [{ messageId: 'needsClusterDns', severity: 'warning', messageIncludes: ['command[2] of container wait mentions "db.data.svc.cluster.local"'] }],
    },
    {
      name: 'a custom clusterDomain is recognised on its own',
      yaml: ds('            args: ["--peer=etcd-0.etcd.k8s.internal"]'),
      cluster: { clusterDomain: 'k8s.internal' },
      errors: [{ messageId: 'needsClusterDns', messageIncludes: ['args[0] of container agent mentions "etcd-0.etcd.k8s.internal"'] }],
    },
    {
      name: 'a bare Service name of the same namespace, and <svc>.<ns>',
      yaml: ds('            env: [{name: TYPHA, value: "typha:5473"}, {name: METRICS, value: "prometheus.monitoring:9090"}]')
        + service('typha', 'kube-system') + service('prometheus', 'monitoring'),
      errors: [{
        messageId: 'needsClusterDns', severity: 'warning',
        messageIncludes: ['env TYPHA of container agent mentions "typha" (the Service kube-system/typha)', '(and 1 more)'],
      }],
    },
    {
      name: 'a bare name of a Service in another namespace does not resolve through the search path',
      yaml: ds('            env: [{name: TYPHA, value: "typha:5473"}]') + service('typha', 'calico-system'),
      errors: [{ messageId: 'nodeResolver', severity: 'info' }],
    },
    {
      name: 'the executable name is not a host name',
      yaml: ds('            command: [nginx, -g, "daemon off;"]') + service('nginx', 'kube-system'),
      errors: [{ messageId: 'nodeResolver', severity: 'info' }],
    },
    {
      name: 'a ConfigMap through envFrom whose data names a .svc. host',
      yaml: ds('            envFrom: [{configMapRef: {name: agent-config}}]') + `---
apiVersion: v1
kind: ConfigMap
metadata: {name: agent-config, namespace: kube-system}
data:
  LOG_LEVEL: info
  config.yaml: |
    server: https://collector.observability.svc.cluster.local:4317
`,
      errors: [{ messageId: 'needsClusterDns', severity: 'warning', messageIncludes: ['ConfigMap agent-config key config.yaml (envFrom of container agent) mentions "collector.observability.svc.cluster.local"'] }],
    },
    {
      name: 'a ConfigMap key through configMapKeyRef, and a volume with items',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: kube-system}
        spec:
          hostNetwork: true
          containers:
            - name: c
              image: busybox
              env:
                - name: UPSTREAM
                  valueFrom: {configMapKeyRef: {name: cfg, key: upstream}}
                - name: OTHER
                  valueFrom: {configMapKeyRef: {name: cfg, key: plain}}
          volumes:
            - name: conf
              configMap: {name: cfg, items: [{key: upstream, path: u}]}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cfg, namespace: kube-system}
        data:
          upstream: "api.default.svc"
          plain: "10.0.0.1"
      `,
      errors: [{ messageId: 'needsClusterDns', messageIncludes: ['ConfigMap cfg key upstream (env UPSTREAM of container c) mentions "api.default.svc"', '(and 1 more)'] }],
    },
    {
      name: 'ConfigMap keys the pod does not read, or ConfigMaps of another namespace, are not evidence',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: kube-system}
        spec:
          hostNetwork: true
          containers:
            - name: c
              image: busybox
              env:
                - name: OTHER
                  valueFrom: {configMapKeyRef: {name: cfg, key: plain}}
              envFrom: [{configMapRef: {name: elsewhere}}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cfg, namespace: kube-system}
        data:
          upstream: "api.default.svc"
          plain: "10.0.0.1"
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: elsewhere, namespace: default}
        data:
          upstream: "api.default.svc.cluster.local"
      `,
      errors: [{ messageId: 'nodeResolver', severity: 'info' }],
    },
    {
      name: 'wrong JSON types in env, args and volumes never throw',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata: {name: p}
        spec:
          hostNetwork: true
          containers:
            - name: c
              image: busybox
              env: [5, {name: 7, value: 8}, {name: X, valueFrom: {configMapKeyRef: 3}}]
              args: {a: b}
              command: [1, null]
              envFrom: [null, {configMapRef: {name: [x]}}]
          volumes: [null, {name: v, configMap: {name: cfg, items: 3}}, {name: w, projected: {sources: [1, {configMap: "x"}]}}]
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: cfg}
        data: [1, 2]
      `,
      errors: [{ messageId: 'nodeResolver', severity: 'info' }],
    },
    {
      name: 'a qualified name is quoted rather than a bare word that is also a Service name',
      yaml: yaml`
        apiVersion: v1
        kind: Service
        metadata: {name: redis, namespace: cache}
        spec: {ports: [{port: 6379}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: p, namespace: cache}
        spec:
          hostNetwork: true
          containers:
            - name: c
              image: busybox
              env: [{name: URL, value: "redis://redis.cache.svc.cluster.local:6379"}]
      `,
      errors: [{ messageId: 'needsClusterDns', severity: 'warning', messageIncludes: ['"redis.cache.svc.cluster.local" (the Service cache/redis)'] }],
    },
    {
      name: 'the resolver the simulation gives: a systemd-resolved node file, and a bare Service name expanded under its search list',
      yaml: ds('            env: [{name: TYPHA, value: "typha:5473"}]') + service('typha', 'kube-system'),
      cluster: { resolvConf: { path: '/run/systemd/resolve/resolv.conf', content: 'nameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch lab.example\n' } },
      errors: [{
        messageId: 'needsClusterDns',
        messageIncludes: ["(nameserver 10.0.0.2, 10.0.0.3 from the node's /run/systemd/resolve/resolv.conf)", 'A lookup of "typha" asks typha.lab.example, then typha, all of'],
      }],
    },
    {
      name: 'a kubelet without resolvConf: the pod gets 127.0.0.1 (KDNS-6)',
      yaml: ds(''),
      cluster: { resolvConf: { path: '', content: '' } },
      errors: [{ messageId: 'nodeResolver', messageIncludes: ["(127.0.0.1, since the kubelet's resolvConf is empty)"] }],
    },
  ],
});

describe('host-network-cluster-dns details', () => {
  test('the node resolver as the DNS simulation gives it (KDNS-6)', () => {
    const hostConf = (resolvConf: { path: string; content: string }) =>
      podDns({ namespace: 'x', dnsPolicy: 'Default', hostNetwork: true }, kubeletDnsOf({ ...DEFAULT_CLUSTER, resolvConf }))!.conf;
    const systemd = { path: '/run/systemd/resolve/resolv.conf', content: '# x\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n' };
    expect(resolverOf(hostConf(systemd), systemd.path)).toBe("nameserver 10.0.0.2, 10.0.0.3 from the node's /run/systemd/resolve/resolv.conf");
    // resolvConf "": the local resolver of each node IP family (the default cluster's nodes are IPv4).
    expect(resolverOf(hostConf({ path: '', content: '' }), '')).toBe("127.0.0.1, since the kubelet's resolvConf is empty");
    expect(resolverOf(hostConf({ path: '/etc/resolv.conf', content: 'search a\n' }), '/etc/resolv.conf')).toBe("no nameserver, since the node's /etc/resolv.conf lists none");
  });

  test('tokens and host positions', () => {
    const hosts = (s: string) => [...tokensOf(s)].filter((t) => inHostPosition(s, t)).map((t) => t.token);
    expect(hosts('https://api.example.com/v1')).toEqual(['api.example.com']);
    expect(hosts('postgres://user:pw@db.example.com:5432/app')).toEqual(['db.example.com']);
    expect(hosts('redis:6379')).toEqual(['redis']);
    expect(hosts('--server=api.example.com')).toEqual(['api.example.com']);
    expect(hosts('api.example.com')).toEqual(['api.example.com']);
    expect(hosts('host: "db.example.com"')).toEqual(['db.example.com']);
    expect(hosts('/etc/app/config.yaml')).toEqual([]);
    expect(hosts('quay.io/prometheus/node-exporter:v1.8.0')).toEqual([]);
    expect(hosts('--selector=app.kubernetes.io/name=web')).toEqual([]);
    expect(hosts('spring.redis.host=cache.example.com')).toEqual(['cache.example.com']);
    expect(hosts('app=web')).toEqual(['web']);
    expect(hosts('admin@example.com')).toEqual([]);
    expect(hosts('${SERVICE.HOST}')).toEqual([]);
    expect(hosts('x'.repeat(1024 * 1024 + 1))).toEqual([]);
  });

  test('Service names in every form, and short names of other namespaces only when asked', () => {
    const model = buildModel(loadText('s.yaml', `${service('redis', 'cache').replace(/^---\n/, '')}${service('api', 'web')}`).objects, DEFAULT_CLUSTER);
    const services = serviceIndexOf(model);
    const ref = (t: string, other = false) => serviceRefOf(t, 'web', services, 'cluster.local', other);
    expect(ref('api')).toMatchObject({ name: 'api', namespace: 'web', form: 'short', fqdn: 'api.web.svc.cluster.local' });
    expect(ref('redis')).toBeUndefined();
    expect(ref('redis', true)).toMatchObject({ namespace: 'cache', form: 'short' });
    expect(ref('Redis.Cache')).toMatchObject({ form: 'svc.ns', fqdn: 'redis.cache.svc.cluster.local' });
    expect(ref('redis.cache.svc')).toMatchObject({ form: 'svc.ns.svc' });
    expect(ref('redis.cache.svc.cluster.local.')).toMatchObject({ form: 'full' });
    expect(ref('redis.cache.svc.other.example')).toBeUndefined();
    expect(ref('redis.cache.example')).toBeUndefined();
    expect(serviceRefOf('redis.cache', 'web', services, '')).toMatchObject({ fqdn: 'redis.cache.svc' });
  });

  test('name sources: where each string is and the field that holds or references it', () => {
    const loaded = loadText('p.yaml', yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: web}
      spec:
        containers:
          - name: c
            image: busybox
            command: [app, --x]
            env: [{name: A, value: a}, {name: B, valueFrom: {configMapKeyRef: {name: cfg, key: k}}}]
            envFrom: [{configMapRef: {name: cfg}}]
        volumes: [{name: v, configMap: {name: cfg, items: [{key: j, path: j}]}}]
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: cfg, namespace: web}
      data: {k: kv, j: jv}
    `);
    const model = buildModel(loaded.objects, DEFAULT_CLUSTER);
    const got: string[] = [];
    forEachNameSource(podViewOf(loaded.objects[0]!)!, model, (s) => {
      got.push(`${s.where} | ${s.path.join('.')} | ${s.text}${s.program ? ' (program)' : ''}`);
    });
    expect(got).toEqual([
      'env A of container c | spec.containers.0.env.0.value | a',
      'ConfigMap cfg key k (env B of container c) | spec.containers.0.env.1.valueFrom.configMapKeyRef | kv',
      'command[0] of container c | spec.containers.0.command.0 | app (program)',
      'command[1] of container c | spec.containers.0.command.1 | --x',
      'ConfigMap cfg key k (envFrom of container c) | spec.containers.0.envFrom.0 | kv',
      'ConfigMap cfg key j (envFrom of container c) | spec.containers.0.envFrom.0 | jv',
      'ConfigMap cfg key j (volume v) | spec.volumes.0 | jv',
    ]);
    let n = 0;
    forEachNameSource(podViewOf(loaded.objects[0]!)!, model, () => ++n === 2);
    expect(n).toBe(2);
  });

  test('the silent fallback is decided by the DNS simulation, and only where the fix gives cluster DNS (KDNS-3, KDNS-5)', () => {
    const view = (policy: string, hostNetwork = true) => podViewOf(loadText('p.yaml', yaml`
      apiVersion: v1
      kind: Pod
      metadata: {name: p}
      spec:
        hostNetwork: ${hostNetwork}
        ${policy === '' ? '' : `dnsPolicy: ${policy}`}
        containers: [{name: c, image: busybox}]
    `).objects[0]!)!;
    const check = (policy: string, hostNetwork = true, cluster = DEFAULT_CLUSTER) => {
      const kubelet = kubeletDnsOf(cluster);
      const v = view(policy, hostNetwork);
      return isSilentHostFallback(v, podDns({ namespace: v.namespace, dnsPolicy: v.dnsPolicy, hostNetwork: v.hostNetwork }, kubelet), kubelet);
    };
    expect(check('')).toBe(true);
    expect(check('ClusterFirst')).toBe(true);
    expect(check('ClusterFirstWithHostNet')).toBe(false);
    expect(check('Default')).toBe(false);
    expect(check('ClusterFirst', false)).toBe(false);
    expect(check('', true, { ...DEFAULT_CLUSTER, clusterDNS: [] })).toBe(false);
  });

  test('the evidence holds the resolv.conf the simulation builds', () => {
    const [f] = runRule(rule, ds(''));
    expect(f!.evidence).toContain('resolv.conf the kubelet writes (type Host, KDNS-3, KDNS-6): search corp.example; nameserver 192.168.10.2; options edns0 timeout:2');
  });

  test('ConfigMap values over 1 MB are not scanned', () => {
    const big = `x${'a'.repeat(1024 * 1024)}.svc.cluster.local`;
    const findings = runRule(rule, `${ds('            envFrom: [{configMapRef: {name: big}}]')}---
apiVersion: v1
kind: ConfigMap
metadata: {name: big, namespace: kube-system}
data:
  huge: "${big}"
`);
    expect(findings.map((f) => f.messageId)).toEqual(['nodeResolver']);
  });

  test('stays fast with many pods and Services (the index is built once)', () => {
    const parts: string[] = [];
    for (let i = 0; i < 2000; i++) parts.push(service(`svc-${i}`, 'kube-system'));
    for (let i = 0; i < 300; i++) {
      parts.push(`---
apiVersion: v1
kind: Pod
metadata: {name: p${i}, namespace: kube-system}
spec:
  hostNetwork: true
  containers: [{name: c, image: busybox, args: [${Array.from({ length: 20 }, (_, j) => `"--flag-${j}=value-${j} other-${j}"`).join(', ')}]}]
`);
    }
    const start = performance.now();
    const findings = runRule(rule, parts.join('').replace(/^---\n/, ''));
    expect(findings).toHaveLength(300);
    expect(performance.now() - start).toBeLessThan(5000);
  });
});
