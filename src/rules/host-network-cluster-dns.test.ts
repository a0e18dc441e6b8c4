import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule, { nodeResolverOf } from './host-network-cluster-dns.js';

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
        messageIncludes: ['env API_URL of container agent mentions "api.default.svc"'],
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
  ],
});

describe('host-network-cluster-dns details', () => {
  test('the node resolver as the kubelet would use it (KDNS-6)', () => {
    expect(nodeResolverOf({ path: '/run/systemd/resolve/resolv.conf', content: '# x\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n' }))
      .toBe("nameserver 10.0.0.2, 10.0.0.3 from the node's /run/systemd/resolve/resolv.conf");
    expect(nodeResolverOf({ path: '', content: '' })).toContain('127.0.0.1');
    expect(nodeResolverOf({ path: '/etc/resolv.conf', content: 'search a\n' })).toBe("the node's /etc/resolv.conf");
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
