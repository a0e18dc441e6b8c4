import { describe, expect, test } from 'vitest';
import { checkTexts } from '../engine/check.js';
import { resolveConfig } from '../engine/config.js';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './dns-outage-exposure.js';

/** What `kubectl debug node/worker-1 -it --image=busybox` creates (examples/seed-node-debug-pod.yaml, DBG-1/2). hostNetwork on line 9. */
const DEBUG_POD = yaml`
  apiVersion: v1
  kind: Pod
  metadata:
    name: node-debugger-worker-1-x7k2p
    labels:
      app.kubernetes.io/managed-by: kubectl-debug
  spec:
    nodeName: worker-1
    hostNetwork: true
    hostPID: true
    hostIPC: true
    restartPolicy: Never
    tolerations:
    - operator: Exists
    containers:
    - name: debugger
      image: busybox
      stdin: true
      tty: true
      terminationMessagePolicy: File
      volumeMounts:
      - name: host-root
        mountPath: /host
    volumes:
    - name: host-root
      hostPath:
        path: /
`;

const deployment = (name: string, namespace: string, podSpec = '', env = '') => `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:${podSpec}
      containers:
        - name: app
          image: example.com/app:1${env}
`;

const REDIS = `---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: cache}
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
`;

const WEB = deployment('web', 'shop');

ruleTester.run(rule, {
  valid: [
    { name: 'only ClusterFirst pods: they all fail alike, nothing to contrast', yaml: WEB + deployment('api', 'shop') },
    { name: 'only the debug pod: nothing loses resolution', yaml: DEBUG_POD },
    {
      name: 'NodeLocal DNSCache as everyone\'s nameserver: ClusterFirst pods keep external names too',
      yaml: DEBUG_POD + WEB,
      cluster: { clusterDNS: ['169.254.20.10'], nodeLocalDNS: '169.254.20.10' },
    },
    { name: 'no clusterDNS: every pod falls back to the node resolver (KDNS-5)', yaml: DEBUG_POD + WEB, cluster: { clusterDNS: [] } },
    {
      name: 'cluster DNS itself (CoreDNS, dnsPolicy Default, k8s-app: kube-dns) is the outage, not a survivor',
      yaml: WEB + deployment('coredns', 'kube-system', '\n      dnsPolicy: Default').replace('labels: {app: coredns}', 'labels: {app: coredns, k8s-app: kube-dns}'),
    },
    {
      name: 'a None pod with only cluster DNS depends on it like the others',
      yaml: WEB + deployment('dns-none', 'shop', '\n      dnsPolicy: None\n      dnsConfig: {nameservers: [10.96.0.10]}'),
    },
  ],
  invalid: [
    {
      name: 'seed 001: the debug pod keeps resolving through the node while a ClusterFirst Deployment resolves nothing',
      yaml: DEBUG_POD + REDIS + WEB,
      errors: [{
        messageId: 'keepsResolving', severity: 'info', line: 9, column: 3, path: 'spec.hostNetwork',
        messageIncludes: [
          'In a cluster DNS outage this pod still resolves example.com through the node\'s resolver (192.168.10.2) but not redis.cache.svc.cluster.local',
          'hostNetwork with dnsPolicy ClusterFirst (the default), which the kubelet turns into the node\'s resolv.conf (nameserver 192.168.10.2, KDNS-3, KDNS-6)',
          'Pods that depend on cluster DNS (Deployment shop/web) resolve nothing then: The lookup fails with a temporary error (EAI_AGAIN / TRY_AGAIN): every server refused it at once',
          'TRY_AGAIN',
          'dnsPolicy: ClusterFirstWithHostNet',
        ],
      }],
    },
    {
      name: 'a None pod with 8.8.8.8 keeps resolving; the external name it uses is the one asked',
      yaml: WEB + deployment('probe', 'ops', '\n      dnsPolicy: None\n      dnsConfig: {nameservers: [8.8.8.8]}', '\n          env: [{name: TARGET, value: "https://status.github.com/api"}]'),
      errors: [{
        messageId: 'keepsResolving', line: 22, column: 7, path: 'spec.template.spec.dnsPolicy',
        messageIncludes: ['still resolves status.github.com through the resolver 8.8.8.8 but not kubernetes.default.svc.cluster.local', 'dnsPolicy None gives it only the nameservers of its dnsConfig (8.8.8.8, KDNS-7)', 'dnsPolicy: ClusterFirst.'],
      }],
    },
    {
      name: 'dnsPolicy Default, and several losers counted',
      yaml: WEB + deployment('api', 'shop') + deployment('worker', 'jobs') + deployment('node-tool', 'ops', '\n      dnsPolicy: Default'),
      errors: [{
        messageId: 'keepsResolving', path: 'spec.template.spec.dnsPolicy',
        messageIncludes: ['dnsPolicy Default gives it the node\'s resolv.conf (nameserver 192.168.10.2, KDNS-6)', 'Pods that depend on cluster DNS (Deployment shop/web, Deployment shop/api and 1 more)'],
      }],
    },
    {
      name: 'a None pod pointed at a NodeLocal DNSCache keeps external names while ClusterFirst pods ask cluster DNS',
      yaml: WEB + deployment('cached', 'shop', '\n      dnsPolicy: None\n      dnsConfig: {nameservers: [169.254.20.10]}'),
      cluster: { nodeLocalDNS: '169.254.20.10' },
      errors: [{ messageId: 'keepsResolving', messageIncludes: ['through the NodeLocal DNSCache (169.254.20.10), which forwards names outside the cluster zone', 'its nameserver is the NodeLocal DNSCache 169.254.20.10, not cluster DNS'] }],
    },
    {
      name: 'cluster DNS first and a fallback resolver: resolves after waiting for cluster DNS',
      yaml: WEB + deployment('fallback', 'shop', '\n      dnsPolicy: None\n      dnsConfig: {nameservers: [10.96.0.10, 1.1.1.1]}'),
      errors: [{ messageId: 'keepsResolving', messageIncludes: ['still resolves example.com through the resolver 1.1.1.1 but not'] }],
    },
  ],
});

describe('dns-outage-exposure details', () => {
  test('evidence walks both names on the surviving pod and the external name on the first loser', () => {
    const [f] = runRule(rule, DEBUG_POD + REDIS + WEB);
    expect(f!.evidence).toContain('this pod, cluster DNS down: example.com.: example.com → 192.168.10.2: answer (example.com is outside the cluster zone; the node\'s resolver (192.168.10.2) resolves it (hostnet assumes the name as written exists outside))');
    expect(f!.evidence.some((e) => e.startsWith('this pod, cluster DNS down: redis.cache.svc.cluster.local.: redis.cache.svc.cluster.local → 192.168.10.2: nxdomain'))).toBe(true);
    expect(f!.evidence.some((e) => e.startsWith('Deployment shop/web, cluster DNS down: example.com: example.com.shop.svc.cluster.local → 10.96.0.10: refused'))).toBe(true);
    expect(f!.evidence).toContain('resolve nothing in an outage: Deployment shop/web');
  });

  test('one finding per surviving workload; Cluster-type workloads get none', () => {
    const findings = runRule(rule, DEBUG_POD + WEB + deployment('agent', 'kube-system', '\n      hostNetwork: true'));
    expect(findings.map((f) => f.object?.name)).toEqual(['node-debugger-worker-1-x7k2p', 'agent']);
  });

  test('names that look like files, Service names and cluster names are not taken as external', () => {
    const env = '\n          args: ["--config=/etc/app.yaml", "--db=redis.cache:6379", "http://api.shop.svc:80", "tcp://db.cluster.local:5432"]';
    const [f] = runRule(rule, REDIS + WEB + deployment('tool', 'ops', '\n      dnsPolicy: Default', env));
    expect(f!.message).toContain('still resolves example.com');
  });
});

test('only workloads of the same file are contrasted: an agent and an app in different files give no finding', () => {
  const agent = `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: kube-system}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: a, image: x}]
`;
  const app = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: w, image: x}]
`;
  const config = resolveConfig(undefined, { only: ['dns-outage-exposure'] });
  expect(checkTexts([{ file: 'agent.yaml', text: agent }, { file: 'app.yaml', text: app }], { config }).findings).toEqual([]);
  const together = checkTexts([{ file: 'install.yaml', text: `${agent}---\n${app}` }], { config }).findings;
  expect(together.map((f) => `${f.object?.name} ${f.ruleId}`)).toEqual(['agent dns-outage-exposure']);
});
