import { describe, expect, test } from 'vitest';
import { modelOf } from '../../testing/model.js';
import { yaml } from '../../testing/yaml.js';
import { dnsEgressVerdict, indexPolicies, parseNetworkPolicy, policiesSelecting } from './network-policy.js';

/** A Deployment `shop/web` (labels app=web, tier=front) followed by the given documents. */
const withWeb = (docs: string, extra: { hostNetwork?: boolean; namespace?: string } = {}): string => yaml`
  apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: ${extra.namespace ?? 'shop'}}
  spec:
    selector: {matchLabels: {app: web}}
    template:
      metadata: {labels: {app: web, tier: front}}
      spec:
        hostNetwork: ${extra.hostNetwork ?? false}
        containers: [{name: web, image: nginx}]
` + docs;

const policy = (name: string, spec: string, namespace = 'shop'): string => `---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}, namespace: ${namespace}}
spec:
${spec.replace(/^\n/, '').split('\n').map((l) => `  ${l}`).join('\n')}
`;

const DENY = policy('default-deny', 'podSelector: {}\npolicyTypes: [Egress]');
const TO_KUBE_DNS = '{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}';

function verdictOf(source: string, cluster = {}) {
  const model = modelOf(source, cluster);
  const view = model.podViews[0]!;
  return dnsEgressVerdict(view, model.objects, model.cluster);
}

describe('parseNetworkPolicy: policyTypes defaulting (pkg/apis/networking/v1/defaults.go#SetDefaults_NetworkPolicy)', () => {
  const parse = (spec: string) => parseNetworkPolicy(modelOf(policy('p', spec).replace(/^---\n/, '')).objects[0]!)!;
  test('absent policyTypes with egress rules: Ingress and Egress', () => {
    expect(parse('podSelector: {}\negress: [{}]').policyTypes).toEqual(['Ingress', 'Egress']);
  });
  test('absent policyTypes with an empty egress list: Ingress only (len(Egress) != 0 decides)', () => {
    expect(parse('podSelector: {}\negress: []').policyTypes).toEqual(['Ingress']);
  });
  test('absent policyTypes and no egress: Ingress only', () => {
    expect(parse('podSelector: {}').policyTypes).toEqual(['Ingress']);
  });
  test('written policyTypes are kept as written', () => {
    const p = parse('podSelector: {}\npolicyTypes: [Egress]');
    expect(p.policyTypes).toEqual(['Egress']);
    expect(p.policyTypesWritten).toBe(true);
  });
  test('port protocol defaults to TCP (SetDefaults_NetworkPolicyPort)', () => {
    const p = parse('podSelector: {}\negress: [{ports: [{port: 53}]}]');
    expect(p.egress[0]!.ports[0]!.protocol).toBe('TCP');
  });
  test('other kinds and apiVersions are not policies', () => {
    const m = modelOf('apiVersion: extensions/v1beta1\nkind: NetworkPolicy\nmetadata: {name: old}\nspec: {}\n');
    expect(parseNetworkPolicy(m.objects[0]!)).toBeUndefined();
  });
});

describe('policiesSelecting', () => {
  const names = (source: string): string[] => {
    const model = modelOf(source);
    return policiesSelecting(model.podViews[0]!, model.objects).map((p) => p.object.name);
  };
  test('an empty podSelector selects every pod of its namespace', () => {
    expect(names(withWeb(policy('all', 'podSelector: {}')))).toEqual(['all']);
  });
  test('an absent podSelector defaults to the empty selector', () => {
    expect(names(withWeb(policy('all', 'policyTypes: [Egress]')))).toEqual(['all']);
  });
  test('matchLabels and matchExpressions are matched against the pod template labels', () => {
    const src = withWeb(
      policy('web', 'podSelector: {matchLabels: {app: web}}') +
      policy('front', 'podSelector: {matchExpressions: [{key: tier, operator: In, values: [front]}]}') +
      policy('db', 'podSelector: {matchLabels: {app: db}}') +
      policy('not-front', 'podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [front]}]}'),
    );
    expect(names(src)).toEqual(['web', 'front']);
  });
  test('a policy in another namespace selects nothing here', () => {
    expect(names(withWeb(policy('all', 'podSelector: {}', 'other')))).toEqual([]);
  });
  test('a policy without a namespace lives in default and selects pods of default', () => {
    const src = withWeb('---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec: {podSelector: {}}\n', { namespace: 'default' });
    expect(names(src)).toEqual(['p']);
  });
  test('the index is reusable and counts the policies', () => {
    const model = modelOf(withWeb(DENY + policy('x', 'podSelector: {}', 'other')));
    const index = indexPolicies(model.objects);
    expect(index.size).toBe(2);
    expect(policiesSelecting(model.podViews[0]!, index).map((p) => p.ref)).toEqual(['NetworkPolicy shop/default-deny']);
    expect(index.namespaceLabels('kube-system')).toEqual({ 'kubernetes.io/metadata.name': 'kube-system' });
  });
});

describe('dnsEgressVerdict', () => {
  test('no policy selects the pod: allowed, not isolated', () => {
    const v = verdictOf(withWeb(''));
    expect(v.status).toBe('not-isolated');
    expect(v.allowed).toBe(true);
  });

  test('an Ingress-only policy does not isolate egress', () => {
    const v = verdictOf(withWeb(policy('in', 'podSelector: {}\npolicyTypes: [Ingress]')));
    expect(v.status).toBe('not-isolated');
    expect(v.selecting.map((p) => p.object.name)).toEqual(['in']);
    expect(v.allowed).toBe(true);
  });

  test('a policy with `egress: []` and no policyTypes is Ingress-only', () => {
    expect(verdictOf(withWeb(policy('p', 'podSelector: {}\negress: []'))).status).toBe('not-isolated');
  });

  test('default-deny egress: UDP and TCP blocked, the policy named', () => {
    const v = verdictOf(withWeb(DENY));
    expect(v.status).toBe('isolated');
    expect(v.udp.allowed).toBe(false);
    expect(v.tcp.allowed).toBe(false);
    expect(v.udp.reasons).toEqual(['NetworkPolicy shop/default-deny selects the pod for egress (podSelector {} selects every pod of the namespace) and has no egress rules, so it allows nothing']);
  });

  test('UDP 53 only: UDP allowed, TCP blocked with the reason', () => {
    const v = verdictOf(withWeb(DENY + policy('dns', `podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [${TO_KUBE_DNS}], ports: [{protocol: UDP, port: 53}]}]`)));
    expect(v.udp.allowed).toBe(true);
    expect(v.udp.allowedBy?.policy.object.name).toBe('dns');
    expect(v.tcp.allowed).toBe(false);
    expect(v.tcp.reasons).toContain('NetworkPolicy shop/dns egress[0] allows only UDP 53, not TCP 53');
  });

  test('port 53 without a protocol is TCP only, and the reason says UDP must be written', () => {
    const v = verdictOf(withWeb(policy('dns', `podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [${TO_KUBE_DNS}], ports: [{port: 53}]}]`)));
    expect(v.tcp.allowed).toBe(true);
    expect(v.udp.allowed).toBe(false);
    expect(v.udp.reasons[0]).toContain('protocol defaults to TCP, so UDP must be written');
  });

  test('UDP and TCP 53 to kube-dns in kube-system: allowed (policies are additive)', () => {
    const v = verdictOf(withWeb(DENY + policy('dns', `podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [${TO_KUBE_DNS}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}]`)));
    expect(v.allowed).toBe(true);
    expect(v.udp.allowedBy?.rule.index).toBe(0);
  });

  test('named ports dns (UDP) and dns-tcp (TCP), as CoreDNS names them', () => {
    const v = verdictOf(withWeb(policy('dns', `podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [${TO_KUBE_DNS}], ports: [{protocol: UDP, port: dns}, {protocol: TCP, port: dns-tcp}]}]`)));
    expect(v.allowed).toBe(true);
  });

  test('named port dns without a protocol names nothing (the DNS pods\' dns port is UDP)', () => {
    const v = verdictOf(withWeb(policy('dns', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{ports: [{port: dns}]}]')));
    expect(v.udp.allowed).toBe(false);
    expect(v.tcp.allowed).toBe(false);
  });

  test('a port range with endPort covering 53', () => {
    const v = verdictOf(withWeb(policy('dns', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{ports: [{protocol: UDP, port: 50, endPort: 60}, {protocol: TCP, port: 1, endPort: 1024}]}]')));
    expect(v.allowed).toBe(true);
  });

  test('ports absent and to absent: everything', () => {
    expect(verdictOf(withWeb(policy('any', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{}]'))).allowed).toBe(true);
  });

  test('ipBlock with the DNS Service IP: blocked, reported as a DNAT case', () => {
    const v = verdictOf(withWeb(policy('svc-ip', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{ipBlock: {cidr: 10.96.0.10/32}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}]')));
    expect(v.allowed).toBe(false);
    expect(v.serviceIPBlocks.map((s) => s.cidr)).toEqual(['10.96.0.10/32']);
    expect(v.udp.reasons[0]).toContain('DNAT');
  });

  test('ipBlock over the whole pod network: allowed, with a CNI note', () => {
    const v = verdictOf(withWeb(policy('wide', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{ipBlock: {cidr: 0.0.0.0/0}}]}]')));
    expect(v.allowed).toBe(true);
    expect(v.notes.join(' ')).toContain('depends on the CNI');
  });

  test('ipBlock over the pod network with an except that cuts it: blocked', () => {
    const v = verdictOf(withWeb(policy('wide', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]')));
    expect(v.allowed).toBe(false);
  });

  test('namespaceSelector on a label kube-system does not carry: blocked, unless a Namespace object in the manifests labels it', () => {
    const spec = 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{namespaceSelector: {matchLabels: {name: kube-system}}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}]';
    const blocked = verdictOf(withWeb(policy('dns', spec)));
    expect(blocked.allowed).toBe(false);
    expect(blocked.udp.reasons[0]).toContain('does not match namespace kube-system, whose known labels are kubernetes.io/metadata.name=kube-system');
    const labelled = verdictOf(withWeb(policy('dns', spec) + '---\napiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system, labels: {name: kube-system}}\n'));
    expect(labelled.allowed).toBe(true);
  });

  test('podSelector k8s-app: kube-dns without a namespaceSelector means the policy\'s own namespace', () => {
    const v = verdictOf(withWeb(policy('dns', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{podSelector: {matchLabels: {k8s-app: kube-dns}}}]}]')));
    expect(v.allowed).toBe(false);
    expect(v.udp.reasons[0]).toContain('selects pods of shop only');
  });

  test('namespaceSelector {} with a podSelector for other pods: blocked by the pod labels', () => {
    const v = verdictOf(withWeb(policy('dns', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: coredns}}}]}]')));
    expect(v.allowed).toBe(false);
    expect(v.udp.reasons[0]).toContain('does not match the DNS pods\' labels k8s-app=kube-dns');
  });

  test('namespaceSelector alone (every pod of kube-system): allowed', () => {
    const v = verdictOf(withWeb(policy('dns', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]}]')));
    expect(v.allowed).toBe(true);
  });

  test('hostNetwork pod: not subject to NetworkPolicy in most CNIs, allowed with a note', () => {
    const v = verdictOf(withWeb(DENY, { hostNetwork: true }));
    expect(v.status).toBe('host-network');
    expect(v.allowed).toBe(true);
    expect(v.notes[0]).toContain('hostNetwork');
  });

  test('NodeLocal DNSCache destination: an ipBlock with its address allows it, kube-dns selectors do not', () => {
    const dest = { kind: 'node-local-dns', address: '169.254.20.10' } as const;
    const ok = modelOf(withWeb(policy('dns', 'podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [{ipBlock: {cidr: 169.254.20.10/32}}], ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]}]')));
    expect(dnsEgressVerdict(ok.podViews[0]!, ok.objects, ok.cluster, { destination: dest }).allowed).toBe(true);
    const sel = modelOf(withWeb(policy('dns', `podSelector: {}\npolicyTypes: [Egress]\negress: [{to: [${TO_KUBE_DNS}]}]`)));
    const v = dnsEgressVerdict(sel.podViews[0]!, sel.objects, sel.cluster, { destination: dest });
    expect(v.allowed).toBe(false);
    expect(v.udp.reasons[0]).toContain('hostNetwork pod');
  });
});
