import { describe, expect, test } from 'vitest';
import { ruleTester, runRule } from '../testing/rule-tester.js';
import { yaml } from '../testing/yaml.js';
import rule from './network-policy-blocks-dns.js';

/** Deployment shop/web (labels on line 11) with the given pod spec lines, then the given documents. */
const web = (docs: string, podSpec = '', namespace = 'shop') => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
    namespace: ${namespace}
  spec:
    selector:
      matchLabels: {app: web}
    template:
      metadata:
        labels: {app: web}
      spec:${podSpec}
        containers:
          - name: web
            image: nginx
` + docs;

const policy = (name: string, body: string, namespace = 'shop') => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: ${name}
  namespace: ${namespace}
spec:
${body.split('\n').map((l) => `  ${l}`).join('\n')}
`;

const DENY = policy('default-deny', 'podSelector: {}\npolicyTypes: [Egress]');
const TO_KUBE_DNS = 'to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]';
const allowDns = (ports: string) => policy('allow-dns', `podSelector: {matchLabels: {app: web}}\npolicyTypes: [Egress]\negress:\n  - ${TO_KUBE_DNS}\n    ports: ${ports}`);

const REDIS = `---
apiVersion: v1
kind: Service
metadata: {name: redis, namespace: shop}
spec:
  selector: {app: redis}
  ports: [{port: 6379}]
`;

ruleTester.run(rule, {
  valid: [
    { name: 'no NetworkPolicy at all', yaml: web('') },
    { name: 'UDP and TCP 53 to kube-dns in kube-system', yaml: web(DENY + allowDns('[{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]')) },
    { name: 'named ports dns/UDP and dns-tcp/TCP, as CoreDNS names them', yaml: web(DENY + allowDns('[{protocol: UDP, port: dns}, {protocol: TCP, port: dns-tcp}]')) },
    { name: 'a default-deny policy in another namespace', yaml: web(policy('default-deny', 'podSelector: {}\npolicyTypes: [Egress]', 'other')) },
    { name: 'a hostNetwork pod: NetworkPolicy does not apply in most CNIs', yaml: web(DENY, '\n        hostNetwork: true\n        dnsPolicy: ClusterFirstWithHostNet') },
    { name: 'an Ingress-only policy', yaml: web(policy('ingress-only', 'podSelector: {}\npolicyTypes: [Ingress]')) },
    { name: 'egress: [] without policyTypes is Ingress-only (SetDefaults_NetworkPolicy)', yaml: web(policy('empty', 'podSelector: {}\negress: []')) },
    { name: 'a policy selecting other pods', yaml: web(policy('db', 'podSelector: {matchLabels: {app: db}}\npolicyTypes: [Egress]')) },
    { name: 'dnsPolicy Default: the pod never asks cluster DNS', yaml: web(DENY, '\n        dnsPolicy: Default') },
    { name: 'dnsPolicy None with a resolver outside the cluster', yaml: web(DENY, '\n        dnsPolicy: None\n        dnsConfig: {nameservers: [8.8.8.8]}') },
  ],
  invalid: [
    {
      name: 'default-deny egress: warning at the pod template labels, naming the policy and the lookup',
      yaml: web(DENY + REDIS),
      errors: [{
        messageId: 'blocked', severity: 'warning', line: 11, column: 7, path: 'spec.template.metadata.labels',
        messageIncludes: [
          'NetworkPolicy shop/default-deny selects this pod for egress and allows neither UDP nor TCP port 53 to the cluster DNS pods (labelled k8s-app: kube-dns in kube-system)',
          'DNS queries to 10.96.0.10 are dropped',
          'has no egress rules, so it allows nothing',
          'A lookup of redis from this pod: The lookup fails with a temporary error (EAI_AGAIN / TRY_AGAIN): no server answered within 20 s',
          'TRY_AGAIN',
          'spec.egress of NetworkPolicy shop/default-deny: `{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}`',
        ],
      }],
    },
    {
      name: 'an allow rule for UDP 53 only: warning naming TCP',
      yaml: web(DENY + allowDns('[{protocol: UDP, port: 53}]')),
      errors: [{
        messageId: 'tcpBlocked', severity: 'warning', path: 'spec.template.metadata.labels',
        messageIncludes: ['NetworkPolicies shop/default-deny and shop/allow-dns select this pod for egress and allow UDP port 53', 'but not TCP port 53', 'retries over TCP to 10.96.0.10', 'NetworkPolicy shop/allow-dns egress[0] allows only UDP 53, not TCP 53'],
      }],
    },
    {
      name: 'port 53 without a protocol is TCP: UDP is blocked',
      yaml: web(allowDns('[{port: 53}]')),
      errors: [{ messageId: 'blocked', messageIncludes: ['allows TCP but not UDP port 53', 'protocol defaults to TCP, so UDP must be written'] }],
    },
    {
      name: 'ipBlock 10.96.0.10/32: warning explaining DNAT',
      yaml: web(policy('svc-ip', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n  - to: [{ipBlock: {cidr: 10.96.0.10/32}}]\n    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]')),
      errors: [{
        messageId: 'blocked',
        messageIncludes: ['The ipBlock 10.96.0.10/32 in NetworkPolicy shop/svc-ip holds the DNS Service IP', 'DNAT, KP-4, KP-6', 'allow the DNS pods by selector instead'],
      }],
    },
    {
      name: 'a namespaceSelector on a label kube-system does not carry',
      yaml: web(policy('dns', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n  - to: [{namespaceSelector: {matchLabels: {name: kube-system}}}]\n    ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]')),
      errors: [{ messageId: 'blocked', messageIncludes: ['does not match namespace kube-system, whose known labels are kubernetes.io/metadata.name=kube-system'] }],
    },
    {
      name: 'dnsPolicy None with the cluster DNS nameserver is checked too',
      yaml: web(DENY, '\n        dnsPolicy: None\n        dnsConfig: {nameservers: [10.96.0.10]}'),
      errors: [{ messageId: 'blocked', messageIncludes: ['A lookup of kubernetes.default from this pod'] }],
    },
    {
      name: 'a bare Pod: its metadata.labels',
      yaml: yaml`
        apiVersion: v1
        kind: Pod
        metadata:
          name: client
          namespace: shop
          labels: {app: client}
        spec:
          containers: [{name: c, image: busybox}]
      ` + DENY,
      errors: [{ messageId: 'blocked', line: 6, column: 3, path: 'metadata.labels' }],
    },
    {
      name: 'NodeLocal DNSCache as the nameserver: the cache address is what must be allowed',
      yaml: web(DENY),
      cluster: { clusterDNS: ['169.254.20.10'], nodeLocalDNS: '169.254.20.10' },
      errors: [{ messageId: 'blocked', messageIncludes: ['to the NodeLocal DNSCache at 169.254.20.10', '`{to: [{ipBlock: {cidr: 169.254.20.10/32}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}`'] }],
    },
  ],
});

describe('network-policy-blocks-dns details', () => {
  test('related locations point at the policy and the ipBlock; evidence carries every reason and the lookup', () => {
    const src = web(DENY + policy('svc-ip', 'podSelector: {}\npolicyTypes: [Egress]\negress:\n  - to: [{ipBlock: {cidr: 10.96.0.10/32}}]\n    ports: [{protocol: UDP, port: 53}]'));
    const [f] = runRule(rule, src);
    expect(f).toBeDefined();
    expect(f!.related.map((r) => r.path)).toEqual(['spec.policyTypes', 'spec.egress', 'spec.egress[0].to[0].ipBlock.cidr']);
    expect(f!.related[0]!.message).toBe('NetworkPolicy shop/default-deny selects this pod for egress and allows nothing.');
    expect(f!.evidence.some((e) => e.startsWith('TCP 53: NetworkPolicy shop/svc-ip egress[0] allows only UDP 53'))).toBe(true);
    expect(f!.evidence.some((e) => e.startsWith('lookup kubernetes.default: kubernetes.default.shop.svc.cluster.local → 10.96.0.10: timeout'))).toBe(true);
    expect(f!.fix).toContain('k8s-app: kube-dns');
  });

  test('one finding per workload, not per policy or per replica', () => {
    const src = web(DENY + policy('deny-2', 'podSelector: {matchLabels: {app: web}}\npolicyTypes: [Egress]')).replace('selector:', 'replicas: 3\n  selector:');
    const findings = runRule(rule, src);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('NetworkPolicies shop/default-deny and shop/deny-2 select this pod');
  });
});
