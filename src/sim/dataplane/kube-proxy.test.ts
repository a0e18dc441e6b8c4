import { readFileSync } from 'node:fs';
import { kernelRoundTrip, kernelUnavailable } from '../../testing/netns.js';
import { describe, expect, test } from 'vitest';
import { modelOf } from '../../testing/model.js';
import type { Endpoint, ServiceEndpoints, ServicePortView, ServiceView } from '../services/types.js';
import { parseIptablesSave, renderIptablesSave, renderRule } from './iptables-save.js';
import { DEFAULT_KUBE_PROXY_CONFIG, computeProbability, writeKubeProxyRules, type KubeProxyConfig, type KubeProxyNode } from './kube-proxy.js';
import { servicePortChainName, servicePortEndpointChainName } from './kube-proxy-names.js';
import { normalizeRule } from './normalize.js';
import { RulesetBuilder, findChain, type Ruleset, type TableName } from './ruleset.js';

const noKernel = kernelUnavailable();

// ---- inputs -------------------------------------------------------------------------------------

const SERVICE_OBJECT = modelOf('apiVersion: v1\nkind: Service\nmetadata:\n  name: stand-in\n').objects[0]!;

function service(namespace: string, name: string, spec: Partial<ServiceView>): ServiceView {
  return {
    object: SERVICE_OBJECT, namespace, name, type: 'ClusterIP', headless: false, clusterIPStandIn: false, ports: [], selector: { app: name },
    externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', sessionAffinity: 'None', sessionAffinityTimeout: 10800,
    externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], publishNotReadyAddresses: false, ...spec,
  };
}

function port(name: string, number: number, extra: Partial<ServicePortView> = {}): ServicePortView {
  return { index: 0, name, protocol: 'TCP', port: number, targetPort: number, nodePortStandIn: false, ...extra };
}

function ep(ip: string, port: number, nodeName = '', ready = true): Endpoint {
  return { ip, port, nodeName, pods: [], ready };
}

/** A Service whose ports (indexed in order) have these endpoints. */
function withEndpoints(svc: ServiceView, ...perPort: Endpoint[][]): ServiceEndpoints {
  const ports = svc.ports.map((p, i) => ({ ...p, index: i }));
  const s = { ...svc, ports };
  return { service: s, selected: [], ports: ports.map((p, i) => ({ port: p, endpoints: perPort[i] ?? [], unresolved: [] })) };
}

const NODE: KubeProxyNode = { name: 'node-a', ips: ['192.168.0.2'] };
const CONFIG: KubeProxyConfig = { ...DEFAULT_KUBE_PROXY_CONFIG, clusterCIDRs: ['10.244.0.0/16'] };

function build(services: readonly ServiceEndpoints[], config: KubeProxyConfig = CONFIG, node: KubeProxyNode = NODE): Ruleset {
  const b = new RulesetBuilder('ipv4');
  writeKubeProxyRules(b, node, services, config);
  return b.build();
}

/** The chain's rules as iptables-save prints them (without `-A <chain>`). */
function rules(rs: Ruleset, table: TableName, chain: string): string[] {
  return (findChain(rs, table, chain)?.rules ?? []).map((r) => renderRule(chain, r).slice(`-A ${chain} `.length));
}

function chainNames(rs: Ruleset, table: TableName): string[] {
  return (rs.tables.find((t) => t.name === table)?.chains ?? []).map((c) => c.name).filter((n) => n.startsWith('KUBE-')).sort();
}

// ---- the upstream expectation, rule for rule ----------------------------------------------------

// kubernetes/kubernetes pkg/proxy/iptables/proxier_test.go#TestOverallIPTablesRules, the expected
// iptables-restore input, verbatim. It is kube-proxy's input form (`-m tcp -p tcp -d 172.30.0.41`),
// not what iptables-save prints, so the comparison normalizes every rule with normalizeRule.
const UPSTREAM_OVERALL = `
*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
`;

/** The same Services and EndpointSlices as TestOverallIPTablesRules, as hostnet's inputs. */
function overallInputs(): ServiceEndpoints[] {
  return [
    // ClusterIP service.
    withEndpoints(service('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [port('p80', 80)] }), [ep('10.180.0.1', 80)]),
    // LoadBalancer with Local traffic policy; its one endpoint has no nodeName, so it is not local.
    withEndpoints(service('ns2', 'svc2', {
      type: 'LoadBalancer', externalTrafficPolicy: 'Local', clusterIP: '172.30.0.42', ports: [port('p80', 80, { nodePort: 3001 })],
      loadBalancerIPs: ['1.2.3.4'], externalIPs: ['192.168.99.22'], healthCheckNodePort: 30000,
    }), [ep('10.180.0.2', 80)]),
    // NodePort service.
    withEndpoints(service('ns3', 'svc3', { type: 'NodePort', clusterIP: '172.30.0.43', ports: [port('p80', 80, { nodePort: 3003 })] }), [ep('10.180.0.3', 80)]),
    // type NodePort without a nodePort (the fake API does not allocate one), with an external IP.
    withEndpoints(service('ns4', 'svc4', { type: 'NodePort', clusterIP: '172.30.0.44', externalIPs: ['192.168.99.33'], ports: [port('p80', 80)] }),
      [ep('10.180.0.4', 80), ep('10.180.0.5', 80, 'test-node')]),
    // LoadBalancer with Cluster policy, source ranges (with the stray space upstream keeps on purpose)
    // and session affinity; its healthCheckNodePort is ignored because the policy is not Local.
    withEndpoints(service('ns5', 'svc5', {
      type: 'LoadBalancer', externalTrafficPolicy: 'Cluster', clusterIP: '172.30.0.45', ports: [port('p80', 80, { nodePort: 3002 })],
      loadBalancerIPs: ['5.6.7.8'], healthCheckNodePort: 30000, loadBalancerSourceRanges: [' 203.0.113.0/25'],
      sessionAffinity: 'ClientIP', sessionAffinityTimeout: 10800,
    }), [ep('10.180.0.3', 80)]),
    // ClusterIP service with no endpoints.
    withEndpoints(service('ns6', 'svc6', { clusterIP: '172.30.0.46', ports: [port('p80', 80)] })),
  ];
}

/** NewFakeProxier: node test-node, pod CIDR 10.0.0.0/8, nfacct counters present, no --random-fully in the fake iptables. */
const FAKE_PROXIER_NODE: KubeProxyNode = { name: 'test-node', ips: ['192.168.0.2', '192.168.1.2', '192.168.99.11'] };
const FAKE_PROXIER_CONFIG: KubeProxyConfig = { ...DEFAULT_KUBE_PROXY_CONFIG, clusterCIDRs: ['10.0.0.0/8'], randomFully: false, nfacctCounters: true };

const commentOf = (rule: readonly string[]): string | undefined => {
  const i = rule.indexOf('--comment');
  return i < 0 ? undefined : rule[i + 1];
};

/**
 * proxier_test.go#sortIPTablesRules, for one chain: upstream walks services in Go map order, so its
 * helper sorts KUBE-NODEPORTS and KUBE-SERVICES (stably) by the service name at the start of the
 * comment, keeping nat KUBE-SERVICES' "must be the last rule" rule last. Every other chain keeps its
 * order, and that order is compared as is.
 */
function sortLikeUpstream(table: TableName, chain: string, rs: readonly (readonly string[])[]): (readonly string[])[] {
  if (chain !== 'KUBE-NODEPORTS' && chain !== 'KUBE-SERVICES') return [...rs];
  const serviceName = (r: readonly string[]): string => (commentOf(r) ?? '').split(/[ :]/)[0]!;
  const last = (r: readonly string[]): boolean => table === 'nat' && chain === 'KUBE-SERVICES' && (commentOf(r) ?? '').includes('must be the last rule');
  return [...rs].sort((a, b) => (last(a) !== last(b) ? (last(a) ? 1 : -1) : serviceName(a) < serviceName(b) ? -1 : serviceName(a) > serviceName(b) ? 1 : 0));
}

describe('TestOverallIPTablesRules, ported from upstream', () => {
  const ours = parseIptablesSave(renderIptablesSave(build(overallInputs(), FAKE_PROXIER_CONFIG, FAKE_PROXIER_NODE)), 'ipv4');
  const upstream = parseIptablesSave(UPSTREAM_OVERALL, 'ipv4');

  test('both texts parse cleanly', () => {
    expect(ours.problems).toEqual([]);
    expect(upstream.problems).toEqual([]);
  });

  test.for(['filter', 'nat'] as const)('%s: the same kube-proxy chains exist (besides the canary and built-ins)', (table) => {
    const expected = chainNames(upstream.ruleset, table);
    expect(chainNames(ours.ruleset, table).filter((c) => c !== 'KUBE-PROXY-CANARY')).toEqual(expected);
    expect(expected.length).toBeGreaterThan(5);
  });

  const expectedChains = upstream.ruleset.tables.flatMap((t) => t.chains.filter((c) => c.name.startsWith('KUBE-')).map((c) => [t.name, c.name] as const));
  test.for(expectedChains)('%s %s: rule for rule', ([table, chain]) => {
    const want = sortLikeUpstream(table, chain, findChain(upstream.ruleset, table, chain)!.rules.map((r) => normalizeRule(r, 'ipv4'))).map((r) => r.join(' '));
    const got = sortLikeUpstream(table, chain, findChain(ours.ruleset, table, chain)?.rules ?? []).map((r) => r.join(' '));
    expect(got).toEqual(want);
  });

  test('hostnet walks services in input order, so the service-sorted order is also its own order here', () => {
    for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS']) {
      const got = findChain(ours.ruleset, 'nat', chain)!.rules;
      expect(got).toEqual(sortLikeUpstream('nat', chain, got));
    }
  });

  test('the whole node, as iptables-save would print it', () => {
    const golden = readFileSync(new URL('./__golden__/kube-proxy-overall.rules', import.meta.url), 'utf8');
    expect(renderIptablesSave(build(overallInputs(), FAKE_PROXIER_CONFIG, FAKE_PROXIER_NODE), { header: '# kube-proxy on test-node, TestOverallIPTablesRules inputs' })).toBe(golden);
  });

  test.skipIf(noKernel !== undefined)(`the real kernel loads the golden node and iptables-save prints it back byte for byte${noKernel ? ` (skipped: ${noKernel})` : ''}`, () => {
    const golden = readFileSync(new URL('./__golden__/kube-proxy-overall.rules', import.meta.url), 'utf8');
    const r = kernelRoundTrip(golden);
    if (!r.ok) throw new Error(r.error);
    expect(r.saved).toBe(golden.split('\n').filter((l) => !l.startsWith('#')).join('\n'));
  });
});

// ---- the pieces, one behaviour at a time -----------------------------------------------------------

describe('jumps from the built-in chains (KP-1)', () => {
  test('each is inserted at the top in upstream order, so the last ensured comes first', () => {
    const rs = build([]);
    expect(rules(rs, 'filter', 'INPUT')).toEqual([
      '-j KUBE-FIREWALL',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ]);
    expect(rules(rs, 'filter', 'FORWARD')).toEqual([
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    ]);
    expect(rules(rs, 'filter', 'OUTPUT')).toEqual([
      '-j KUBE-FIREWALL',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    ]);
    expect(rules(rs, 'nat', 'PREROUTING')).toEqual(['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    expect(rules(rs, 'nat', 'OUTPUT')).toEqual(['-m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    expect(rules(rs, 'nat', 'POSTROUTING')).toEqual(['-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']);
  });

  test('a jump that is already there (kubelet\'s KUBE-FIREWALL) is not added twice; others land above the existing rules', () => {
    const b = new RulesetBuilder('ipv4');
    b.chain('filter', 'KUBE-FIREWALL').append('filter', 'INPUT', ['-j', 'KUBE-FIREWALL']).append('filter', 'INPUT', ['-j', 'ACCEPT']);
    writeKubeProxyRules(b, NODE, [], CONFIG);
    const input = rules(b.build(), 'filter', 'INPUT');
    expect(input.filter((r) => r === '-j KUBE-FIREWALL')).toHaveLength(1);
    expect(input.at(-1)).toBe('-j ACCEPT');
    expect(input[0]).toBe('-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL');
  });

  test('the canary chain exists in mangle, nat and filter, empty', () => {
    const rs = build([]);
    for (const table of ['mangle', 'nat', 'filter'] as const) expect(findChain(rs, table, 'KUBE-PROXY-CANARY')?.rules).toEqual([]);
  });
});

describe('masquerade (KP-3) and forwarding (KP-13)', () => {
  test('default config: mark 0x4000, MASQUERADE --random-fully, INVALID dropped with the nfacct counter', () => {
    const rs = build([]);
    expect(rules(rs, 'nat', 'KUBE-POSTROUTING')).toEqual([
      '-m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-j MARK --set-xmark 0x4000/0x0',
      '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    expect(rules(rs, 'nat', 'KUBE-MARK-MASQ')).toEqual(['-j MARK --set-xmark 0x4000/0x4000']);
    expect(rules(rs, 'filter', 'KUBE-FORWARD')).toEqual([
      '-m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP',
      '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
      '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ]);
  });

  test('another masquerade bit, no nfacct, tcp_be_liberal set', () => {
    const rs = build([], { ...CONFIG, masqueradeBit: 15, nfacctCounters: false, conntrackTCPBeLiberal: true, randomFully: false });
    expect(rules(rs, 'nat', 'KUBE-MARK-MASQ')).toEqual(['-j MARK --set-xmark 0x8000/0x8000']);
    expect(rules(rs, 'filter', 'KUBE-FORWARD')[0]).toBe('-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x8000/0x8000 -j ACCEPT');
    expect(rules(rs, 'filter', 'KUBE-FORWARD')).toHaveLength(2);
  });
});

describe('load balancing over endpoints (KP-5)', () => {
  const three = withEndpoints(service('shop', 'web', { clusterIP: '10.96.0.50', ports: [port('http', 80)] }),
    [ep('10.244.1.9', 8080, 'node-b'), ep('10.244.1.10', 8080, 'node-b'), ep('10.244.2.7', 8080, 'node-c')]);

  test('three endpoints: 1/3, then 1/2, then the rest, as iptables-save prints them', () => {
    const svc = rules(build([three]), 'nat', 'KUBE-SVC-' + svcHash('shop/web:http'));
    expect(svc).toHaveLength(4);
    expect(svc[0]).toBe('! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ');
    expect(svc.slice(1).map((r) => /--probability (\S+)/.exec(r)?.[1] ?? 'last')).toEqual(['0.33333333349', '0.50000000000', 'last']);
  });

  test('endpoints are in the EndpointSlice cache order: sorted as "ip:port" strings, not as numbers', () => {
    const svc = rules(build([three]), 'nat', 'KUBE-SVC-' + svcHash('shop/web:http'));
    expect(svc.slice(1).map((r) => /-> (\S+)"/.exec(r)?.[1])).toEqual(['10.244.1.10:8080', '10.244.1.9:8080', '10.244.2.7:8080']);
  });

  test('computeProbability writes 10 decimals, as %0.10f', () => {
    expect([2, 3, 4, 7].map(computeProbability)).toEqual(['0.5000000000', '0.3333333333', '0.2500000000', '0.1428571429']);
  });

  test('not-ready endpoints are left out; a duplicate ip:port counts once (KP-14)', () => {
    const svc = withEndpoints(service('shop', 'web', { clusterIP: '10.96.0.50', ports: [port('http', 80)] }),
      [ep('192.168.0.2', 8080, 'node-a'), ep('192.168.0.2', 8080, 'node-a'), ep('192.168.0.3', 8080, 'node-b', false)]);
    const rs = build([svc]);
    const chain = rules(rs, 'nat', 'KUBE-SVC-' + svcHash('shop/web:http'));
    expect(chain.slice(1)).toEqual([`-m comment --comment "shop/web:http -> 192.168.0.2:8080" -j ${sepName('shop/web:http', '192.168.0.2:8080')}`]);
    // A hostNetwork endpoint's IP is the node's: the hairpin rule masquerades the node's own connections.
    expect(rules(rs, 'nat', sepName('shop/web:http', '192.168.0.2:8080'))).toEqual([
      '-s 192.168.0.2/32 -m comment --comment "shop/web:http" -j KUBE-MARK-MASQ',
      '-p tcp -m comment --comment "shop/web:http" -m tcp -j DNAT --to-destination 192.168.0.2:8080',
    ]);
  });
});

describe('services without usable endpoints (KP-10)', () => {
  const lb = (eps: Endpoint[], extra: Partial<ServiceView> = {}) => withEndpoints(service('shop', 'api', {
    type: 'LoadBalancer', clusterIP: '10.96.0.60', ports: [port('', 443, { nodePort: 30443 })], externalIPs: ['203.0.113.10'], loadBalancerIPs: ['198.51.100.7'], ...extra,
  }), eps);

  test('no endpoints: REJECT every address in the filter table with the upstream comment, no nat chains', () => {
    const rs = build([lb([])]);
    expect(rules(rs, 'filter', 'KUBE-SERVICES')).toEqual(['-d 10.96.0.60/32 -p tcp -m comment --comment "shop/api has no endpoints" -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable']);
    expect(rules(rs, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([
      '-d 203.0.113.10/32 -p tcp -m comment --comment "shop/api has no endpoints" -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable',
      '-d 198.51.100.7/32 -p tcp -m comment --comment "shop/api has no endpoints" -m tcp --dport 443 -j REJECT --reject-with icmp-port-unreachable',
      '-p tcp -m comment --comment "shop/api has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30443 -j REJECT --reject-with icmp-port-unreachable',
    ]);
    expect(chainNames(rs, 'nat')).toEqual(['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-PROXY-CANARY', 'KUBE-SERVICES']);
    expect(rules(rs, 'nat', 'KUBE-SERVICES')).toEqual(['-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS']);
  });

  test('only not-ready endpoints is the same as none', () => {
    const rs = build([lb([ep('10.244.1.5', 443, 'node-a', false)])]);
    expect(rules(rs, 'filter', 'KUBE-SERVICES')).toHaveLength(1);
    expect(rules(rs, 'filter', 'KUBE-SERVICES')[0]).toContain('has no endpoints');
  });

  test('internalTrafficPolicy Local with no endpoint on this node: clusterIP traffic is DROPped', () => {
    const svc = withEndpoints(service('shop', 'cache', { clusterIP: '10.96.0.70', internalTrafficPolicy: 'Local', ports: [port('redis', 6379)] }), [ep('10.244.2.5', 6379, 'node-b')]);
    const rs = build([svc]);
    expect(rules(rs, 'filter', 'KUBE-SERVICES')).toEqual(['-d 10.96.0.70/32 -p tcp -m comment --comment "shop/cache:redis has no local endpoints" -m tcp --dport 6379 -j DROP']);
    expect(chainNames(rs, 'nat').filter((c) => c.startsWith('KUBE-S') && c !== 'KUBE-SERVICES')).toEqual([]);
  });

  test('internalTrafficPolicy Local with an endpoint here: SVL holds only the local endpoints', () => {
    const svc = withEndpoints(service('shop', 'cache', { clusterIP: '10.96.0.70', internalTrafficPolicy: 'Local', ports: [port('redis', 6379)] }),
      [ep('10.244.1.5', 6379, 'node-a'), ep('10.244.2.5', 6379, 'node-b')]);
    const rs = build([svc]);
    const svl = 'KUBE-SVL-' + svcHash('shop/cache:redis');
    expect(rules(rs, 'nat', 'KUBE-SERVICES')[0]).toBe(`-d 10.96.0.70/32 -p tcp -m comment --comment "shop/cache:redis cluster IP" -m tcp --dport 6379 -j ${svl}`);
    expect(rules(rs, 'nat', svl)).toEqual([
      '! -s 10.244.0.0/16 -d 10.96.0.70/32 -p tcp -m comment --comment "shop/cache:redis cluster IP" -m tcp --dport 6379 -j KUBE-MARK-MASQ',
      `-m comment --comment "shop/cache:redis -> 10.244.1.5:6379" -j ${sepName('shop/cache:redis', '10.244.1.5:6379')}`,
    ]);
    expect(findChain(rs, 'nat', 'KUBE-SVC-' + svcHash('shop/cache:redis'))).toBeUndefined();
    expect(findChain(rs, 'nat', sepName('shop/cache:redis', '10.244.2.5:6379'))).toBeUndefined();
  });
});

describe('externalTrafficPolicy (KP-8, KP-9)', () => {
  const nodePort = (policy: 'Cluster' | 'Local') => withEndpoints(service('shop', 'front', {
    type: 'NodePort', externalTrafficPolicy: policy, clusterIP: '10.96.0.80', ports: [port('http', 80, { nodePort: 30080 })],
  }), [ep('10.244.1.5', 8080, 'node-a'), ep('10.244.2.5', 8080, 'node-b')]);
  const ext = 'KUBE-EXT-' + svcHash('shop/front:http');
  const svc = 'KUBE-SVC-' + svcHash('shop/front:http');
  const svl = 'KUBE-SVL-' + svcHash('shop/front:http');

  test('Cluster: mark everything, then any endpoint in the cluster', () => {
    expect(rules(build([nodePort('Cluster')]), 'nat', ext)).toEqual([
      '-m comment --comment "masquerade traffic for shop/front:http external destinations" -j KUBE-MARK-MASQ',
      `-j ${svc}`,
    ]);
  });

  test('Local with a local endpoint: pods and the node short-circuit to SVC, the rest goes to SVL without masquerade', () => {
    const rs = build([nodePort('Local')]);
    expect(rules(rs, 'nat', ext)).toEqual([
      `-s 10.244.0.0/16 -m comment --comment "pod traffic for shop/front:http external destinations" -j ${svc}`,
      '-m comment --comment "masquerade LOCAL traffic for shop/front:http external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ',
      `-m comment --comment "route LOCAL traffic for shop/front:http external destinations" -m addrtype --src-type LOCAL -j ${svc}`,
      `-j ${svl}`,
    ]);
    expect(rules(rs, 'nat', svl)).toEqual([`-m comment --comment "shop/front:http -> 10.244.1.5:8080" -j ${sepName('shop/front:http', '10.244.1.5:8080')}`]);
    expect(rules(rs, 'nat', svc)).toHaveLength(3);
    expect(rules(rs, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([]);
  });

  test('Local without a local endpoint: no SVL, the EXT chain keeps only the short-circuits, the filter DROPs the rest', () => {
    const rs = build([nodePort('Local')], CONFIG, { name: 'node-c', ips: ['192.168.0.4'] });
    expect(rules(rs, 'nat', ext)).toHaveLength(3);
    expect(findChain(rs, 'nat', svl)).toBeUndefined();
    expect(rules(rs, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([
      '-p tcp -m comment --comment "shop/front:http has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP',
    ]);
    // The nodePort still jumps to EXT, for the short-circuited traffic.
    expect(rules(rs, 'nat', 'KUBE-NODEPORTS').at(-1)).toBe(`-p tcp -m comment --comment "shop/front:http" -m tcp --dport 30080 -j ${ext}`);
  });

  test('without a local-traffic detector there is no pod short-circuit and no masquerade in SVC', () => {
    const rs = build([nodePort('Local')], DEFAULT_KUBE_PROXY_CONFIG);
    expect(rules(rs, 'nat', ext)[0]).toContain('masquerade LOCAL traffic');
    expect(rules(rs, 'nat', svc).some((r) => r.includes('KUBE-MARK-MASQ'))).toBe(false);
  });

  test('masqueradeAll marks every clusterIP packet', () => {
    const rs = build([nodePort('Cluster')], { ...CONFIG, masqueradeAll: true });
    expect(rules(rs, 'nat', svc)[0]).toBe('-d 10.96.0.80/32 -p tcp -m comment --comment "shop/front:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ');
  });
});

describe('session affinity (KP-5)', () => {
  test('ClientIP: recent checks for every endpoint first, each endpoint chain records the client', () => {
    const svc = withEndpoints(service('shop', 'cart', { clusterIP: '10.96.0.90', sessionAffinity: 'ClientIP', sessionAffinityTimeout: 600, ports: [port('', 80)] }),
      [ep('10.244.1.5', 80, 'node-a'), ep('10.244.2.5', 80, 'node-b')]);
    const rs = build([svc]);
    const sep1 = sepName('shop/cart', '10.244.1.5:80');
    const sep2 = sepName('shop/cart', '10.244.2.5:80');
    expect(rules(rs, 'nat', 'KUBE-SVC-' + svcHash('shop/cart')).slice(1)).toEqual([
      `-m comment --comment "shop/cart -> 10.244.1.5:80" -m recent --rcheck --seconds 600 --reap --name ${sep1} --mask 255.255.255.255 --rsource -j ${sep1}`,
      `-m comment --comment "shop/cart -> 10.244.2.5:80" -m recent --rcheck --seconds 600 --reap --name ${sep2} --mask 255.255.255.255 --rsource -j ${sep2}`,
      `-m comment --comment "shop/cart -> 10.244.1.5:80" -m statistic --mode random --probability 0.50000000000 -j ${sep1}`,
      `-m comment --comment "shop/cart -> 10.244.2.5:80" -j ${sep2}`,
    ]);
    expect(rules(rs, 'nat', sep1)[1]).toBe(`-p tcp -m comment --comment "shop/cart" -m recent --set --name ${sep1} --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.244.1.5:80`);
  });
});

describe('health check node port (KP-11)', () => {
  const lb = (policy: 'Cluster' | 'Local', eps: Endpoint[]) => withEndpoints(service('shop', 'edge', {
    type: 'LoadBalancer', externalTrafficPolicy: policy, clusterIP: '10.96.1.1', healthCheckNodePort: 32100, ports: [port('https', 443, { nodePort: 30443 })],
  }), eps);
  const accept = '-p tcp -m comment --comment "shop/edge:https health check node port" -m tcp --dport 32100 -j ACCEPT';

  test('LoadBalancer + Local: ACCEPTed with or without local endpoints, and even with none at all', () => {
    expect(rules(build([lb('Local', [ep('10.244.1.5', 8443, 'node-a')])]), 'filter', 'KUBE-NODEPORTS')).toEqual([accept]);
    expect(rules(build([lb('Local', [ep('10.244.2.5', 8443, 'node-b')])]), 'filter', 'KUBE-NODEPORTS')).toEqual([accept]);
    expect(rules(build([lb('Local', [])]), 'filter', 'KUBE-NODEPORTS')).toEqual([accept]);
  });

  test('Cluster policy: kube-proxy serves no health check, whatever the field says', () => {
    expect(rules(build([lb('Cluster', [ep('10.244.1.5', 8443, 'node-a')])]), 'filter', 'KUBE-NODEPORTS')).toEqual([]);
  });
});

describe('LoadBalancer source ranges (KP-12)', () => {
  test('a range holding the node IP also lets the LB IP through as a source (VIP looped back on the node)', () => {
    const svc = withEndpoints(service('shop', 'edge', {
      type: 'LoadBalancer', clusterIP: '10.96.1.2', ports: [port('p80', 80, { nodePort: 30081 })], loadBalancerIPs: ['1.2.3.4', '5.6.7.8'],
      loadBalancerSourceRanges: ['192.168.0.0/24', ' 203.0.113.0/25', 'fd00::/64'],
    }), [ep('10.244.1.5', 80, 'node-a')]);
    const fw = 'KUBE-FW-' + svcHash('shop/edge:p80');
    const ext = 'KUBE-EXT-' + svcHash('shop/edge:p80');
    const rs = build([svc]);
    expect(rules(rs, 'nat', fw)).toEqual([
      `-s 192.168.0.0/24 -m comment --comment "shop/edge:p80 loadbalancer IP" -j ${ext}`,
      `-s 203.0.113.0/25 -m comment --comment "shop/edge:p80 loadbalancer IP" -j ${ext}`,
      `-s 1.2.3.4/32 -m comment --comment "shop/edge:p80 loadbalancer IP" -j ${ext}`,
      `-s 5.6.7.8/32 -m comment --comment "shop/edge:p80 loadbalancer IP" -j ${ext}`,
      '-m comment --comment "other traffic to shop/edge:p80 will be dropped by KUBE-PROXY-FIREWALL"',
    ]);
    expect(rules(rs, 'filter', 'KUBE-PROXY-FIREWALL')).toEqual([
      `-d 1.2.3.4/32 -p tcp -m comment --comment "shop/edge:p80 traffic not accepted by ${fw}" -m tcp --dport 80 -j DROP`,
      `-d 5.6.7.8/32 -p tcp -m comment --comment "shop/edge:p80 traffic not accepted by ${fw}" -m tcp --dport 80 -j DROP`,
    ]);
    // NodePorts are not subject to the source ranges.
    expect(rules(rs, 'nat', 'KUBE-NODEPORTS').at(-1)).toContain(`-j ${ext}`);
  });
});

describe('NodePort addresses and localhost NodePorts (KP-7)', () => {
  const np = withEndpoints(service('shop', 'front', { type: 'NodePort', clusterIP: '10.96.0.80', ports: [port('http', 80, { nodePort: 30080 })] }), [ep('10.244.1.5', 8080, 'node-a')]);
  const last = (rs: Ruleset) => rules(rs, 'nat', 'KUBE-SERVICES').filter((r) => r.includes('must be the last rule'));
  const node = { name: 'node-a', ips: ['192.168.0.2', '10.0.5.2', 'fd00::2'] };

  test('default: every local address, localhost included, with the KUBE-FIREWALL guard', () => {
    const rs = build([np], CONFIG, node);
    expect(last(rs)).toEqual(['-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS']);
    expect(rules(rs, 'nat', 'KUBE-NODEPORTS')[0]).toBe(`-d 127.0.0.0/8 -p tcp -m comment --comment "shop/front:http" -m tcp --dport 30080 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-${svcHash('shop/front:http')}`);
    expect(rules(rs, 'filter', 'KUBE-FIREWALL')).toEqual(['! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP']);
  });

  test('localhost NodePorts off: 127.0.0.0/8 excluded, no localhost rule, KUBE-FIREWALL left empty', () => {
    const rs = build([np], { ...CONFIG, localhostNodePorts: false }, node);
    expect(last(rs)).toEqual(['! -d 127.0.0.0/8 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS']);
    expect(rules(rs, 'nat', 'KUBE-NODEPORTS')).toHaveLength(1);
    expect(findChain(rs, 'filter', 'KUBE-FIREWALL')?.rules).toEqual([]);
  });

  test('--nodeport-addresses: one rule per matching node address; without 127/8 in them localhost NodePorts are off', () => {
    const rs = build([np], { ...CONFIG, nodePortAddresses: ['192.168.0.0/24', 'fd00::/64'] }, node);
    expect(last(rs)).toEqual(['-d 192.168.0.2/32 -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -j KUBE-NODEPORTS']);
    expect(rules(rs, 'nat', 'KUBE-NODEPORTS')).toHaveLength(1);
  });

  test('--nodeport-addresses with 127.0.0.0/8: localhost gets its own rule', () => {
    const rs = build([np], { ...CONFIG, nodePortAddresses: ['127.0.0.0/8', '10.0.0.0/8'] }, node);
    expect(last(rs).map((r) => r.split(' ')[1])).toEqual(['127.0.0.1/32', '10.0.5.2/32']);
  });
});

describe('what kube-proxy does not proxy', () => {
  test('headless, ExternalName and IPv6-only Services get no rules; IPv6 endpoints and external IPs are ignored', () => {
    const rs = build([
      withEndpoints(service('shop', 'db', { headless: true, ports: [port('pg', 5432)] }), [ep('10.244.1.5', 5432, 'node-a')]),
      withEndpoints(service('shop', 'ext', { type: 'ExternalName', ports: [port('https', 443)] })),
      withEndpoints(service('shop', 'v6', { clusterIP: 'fd00:10:96::1', ports: [port('http', 80)] }), [ep('fd00:10:244::5', 80, 'node-a')]),
      withEndpoints(service('shop', 'dual', { clusterIP: '10.96.2.1', externalIPs: ['2001:db8::1'], ports: [port('http', 80)] }), [ep('fd00:10:244::5', 80, 'node-a')]),
    ]);
    expect(rules(rs, 'nat', 'KUBE-SERVICES')).toHaveLength(1);
    expect(rules(rs, 'filter', 'KUBE-SERVICES')).toEqual(['-d 10.96.2.1/32 -p tcp -m comment --comment "shop/dual:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable']);
    expect(rules(rs, 'filter', 'KUBE-EXTERNAL-SERVICES')).toEqual([]);
  });
});

describe('large clusters', () => {
  test('above 1000 endpoints the per-endpoint comments are dropped, the others kept', () => {
    const eps = Array.from({ length: 1001 }, (_, i) => ep(`10.244.${Math.floor(i / 250)}.${(i % 250) + 1}`, 80, 'node-b'));
    const rs = build([withEndpoints(service('shop', 'big', { clusterIP: '10.96.3.1', ports: [port('http', 80)] }), eps)]);
    const svc = rules(rs, 'nat', 'KUBE-SVC-' + svcHash('shop/big:http'));
    expect(svc).toHaveLength(1002);
    expect(svc[0]).toContain('--comment "shop/big:http cluster IP"');
    expect(svc[1]).toMatch(/^-m statistic --mode random --probability 0\.00099900\d+ -j KUBE-SEP-/);
    expect(rules(rs, 'nat', sepName('shop/big:http', '10.244.0.1:80'))).toEqual(['-s 10.244.0.1/32 -j KUBE-MARK-MASQ', '-p tcp -m tcp -j DNAT --to-destination 10.244.0.1:80']);
  });
});

describe('misuse is a hostnet bug, not a finding', () => {
  test('an IPv6 builder', () => {
    expect(() => writeKubeProxyRules(new RulesetBuilder('ipv6'), NODE, [])).toThrow(/hostnet bug/);
  });

  test('writing twice into one builder', () => {
    const b = new RulesetBuilder('ipv4');
    writeKubeProxyRules(b, NODE, []);
    expect(() => writeKubeProxyRules(b, NODE, [])).toThrow(/hostnet bug: writeKubeProxyRules was given a ruleset whose filter KUBE-FORWARD already holds rules/);
  });
});

// Chain names through the names module, which kube-proxy-names.test.ts holds to upstream's values.
function svcHash(name: string): string {
  return servicePortChainName('KUBE-SVC-', name, 'tcp').slice('KUBE-SVC-'.length);
}

function sepName(name: string, endpoint: string): string {
  return servicePortEndpointChainName(name, 'tcp', endpoint);
}
