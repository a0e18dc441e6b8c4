import { describe, expect, test } from 'vitest';
import { isLoopback } from './addresses.js';
import { parseIptablesSave } from './iptables-save.js';
import type { Ruleset } from './ruleset.js';
import { MAX_BRANCHES, trace, type Origin, type Packet, type TraceEnv, type TraceResult } from './trace.js';

// The rule texts below are what iptables-save (1.8.9) prints after loading, with iptables-restore
// into a scratch network namespace, the rules exactly as the upstream programs write them:
// portmap_iptables.go#fillDnatRules/#genToplevelDnatChain/#genSetMarkChain/#genMarkMasqChain
// (PM-5, PM-6) and proxier.go#syncProxyRules/#writeServiceToEndpointRules with the jump rules of
// #iptablesJumpChains (KP-1..KP-10).
//
// The node: worker-1, 192.168.1.10, pod CIDR 10.244.1.0/24 (cluster 10.244.0.0/16).

const NODE_IP = '192.168.1.10';
const CLIENT = '203.0.113.7';

const where = new Map<string, ReturnType<TraceEnv['locate']>>([
  ['192.168.1.10', { kind: 'node', node: 'worker-1' }],
  ['192.168.1.20', { kind: 'node', node: 'worker-2' }],
  ['10.244.1.5', { kind: 'pod', node: 'worker-1', pod: 'default/web-0' }],
  ['10.244.1.9', { kind: 'pod', node: 'worker-1', pod: 'default/client' }],
  ['10.244.2.6', { kind: 'pod', node: 'worker-2', pod: 'default/web-1' }],
  ['10.244.3.7', { kind: 'pod', node: 'worker-3', pod: 'default/web-2' }],
  ['10.244.2.8', { kind: 'pod', node: 'worker-2', pod: 'default/edge-0' }],
  ['10.244.3.3', { kind: 'pod', node: 'worker-3', pod: 'kube-system/coredns-0' }],
]);

function env(routeLocalnet = true): TraceEnv {
  return {
    isLocal: (ip) => isLoopback(ip) || ip === NODE_IP,
    locate: (ip) => where.get(ip) ?? { kind: 'unknown' },
    routeLocalnet,
    node: 'worker-1',
  };
}

function load(text: string): Ruleset {
  const { ruleset, problems } = parseIptablesSave(text);
  expect(problems).toEqual([]);
  return ruleset;
}

const tcp = (src: string, dst: string, dport: number): Packet => ({ src, dst, protocol: 'tcp', dport });
const EXTERNAL: Origin = { kind: 'external' };
const NODE: Origin = { kind: 'node' };
const fromPod = (podIP: string): Origin => ({ kind: 'pod', podIP });

/** `table chain index effect` per step: short enough to read, exact enough to fail. */
const path = (r: TraceResult, branch = 0): string[] => r.branches[branch]!.steps.map((s) => `${s.table} ${s.chain} ${s.index} ${s.effect}`);

// ---------------------------------------------------------------------------------------------
// portmap: pod default/web-0 (10.244.1.5/24 on network cbr0) maps
//   hostPort 8080 → 80 (no hostIP), 9090 → 90 (hostIP 192.168.1.10), 7070 → 70 (hostIP 192.168.1.99, not the node's).

const DN = 'CNI-DN-210211206d5e7b195e07d';
const PORTMAP = String.raw`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:${DN} - [0:0]
:CNI-HOSTPORT-DNAT - [0:0]
:CNI-HOSTPORT-MASQ - [0:0]
:CNI-HOSTPORT-SETMARK - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A ${DN} -s 10.244.1.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.244.1.5:80
-A ${DN} -s 10.244.1.0/24 -d 192.168.1.10/32 -p tcp -m tcp --dport 9090 -j CNI-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -d 192.168.1.10/32 -p tcp -m tcp --dport 9090 -j CNI-HOSTPORT-SETMARK
-A ${DN} -d 192.168.1.10/32 -p tcp -m tcp --dport 9090 -j DNAT --to-destination 10.244.1.5:90
-A ${DN} -s 10.244.1.0/24 -d 192.168.1.99/32 -p tcp -m tcp --dport 7070 -j CNI-HOSTPORT-SETMARK
-A ${DN} -s 127.0.0.1/32 -d 192.168.1.99/32 -p tcp -m tcp --dport 7070 -j CNI-HOSTPORT-SETMARK
-A ${DN} -d 192.168.1.99/32 -p tcp -m tcp --dport 7070 -j DNAT --to-destination 10.244.1.5:70
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \"cbr0\" id: \"3f2a9c0d5b7e41a6c8d2e9f0b1a3c5d7e9f1a2b3c4d5e6f708192a3b4c5d6e7f\"" -m multiport --dports 8080,9090,7070 -j ${DN}
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
COMMIT
`;

describe('portmap host ports (PM-4..PM-7)', () => {
  const rs = load(PORTMAP);

  test('a client reaches the pod through the node address, source kept', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 8080), EXTERNAL, env());
    expect(r.branches).toHaveLength(1);
    expect(r.branches[0]!.probability).toBe(1);
    expect(r.branches[0]!.verdict).toEqual({ kind: 'delivered', to: 'pod', node: 'worker-1', pod: 'default/web-0', ip: '10.244.1.5', port: 80, protocol: 'tcp', masqueraded: false });
    expect(r.branches[0]!.packet).toEqual({ src: CLIENT, dst: '10.244.1.5', protocol: 'tcp', dport: 80 });
    expect(path(r)).toEqual([
      'nat PREROUTING 1 jump CNI-HOSTPORT-DNAT',
      `nat CNI-HOSTPORT-DNAT 1 jump ${DN}`,
      `nat ${DN} 3 DNAT to 10.244.1.5:80`,
      'nat POSTROUTING 1 jump CNI-HOSTPORT-MASQ',
    ]);
    expect(r.branches[0]!.steps[2]!.rule).toBe(`-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.244.1.5:80`);
    expect(r.notes).toEqual([]);
  });

  test('with hostIP the DNAT rule carries -d hostIP, and the node address matches it', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 9090), EXTERNAL, env());
    expect(r.branches[0]!.verdict).toEqual({ kind: 'delivered', to: 'pod', node: 'worker-1', pod: 'default/web-0', ip: '10.244.1.5', port: 90, protocol: 'tcp', masqueraded: false });
    expect(path(r)[2]).toBe(`nat ${DN} 6 DNAT to 10.244.1.5:90`);
  });

  test('a hostIP that is not the node’s: the node address gets no DNAT, the packet goes to a host socket (PM-4)', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 7070), EXTERNAL, env());
    expect(r.branches).toHaveLength(1);
    expect(r.branches[0]!.verdict).toEqual({ kind: 'unhandled', to: 'host', node: 'worker-1', ip: NODE_IP, port: 7070, protocol: 'tcp' });
    expect(path(r)).toEqual(['nat PREROUTING 1 jump CNI-HOSTPORT-DNAT', `nat CNI-HOSTPORT-DNAT 1 jump ${DN}`]);
  });

  test('and a packet to the hostIP itself is not LOCAL, so it never enters CNI-HOSTPORT-DNAT', () => {
    const r = trace(rs, tcp(CLIENT, '192.168.1.99', 7070), EXTERNAL, env());
    expect(r.branches[0]!.verdict).toEqual({ kind: 'unhandled', to: 'forward', ip: '192.168.1.99', port: 7070, protocol: 'tcp' });
    expect(path(r)).toEqual(['nat POSTROUTING 1 jump CNI-HOSTPORT-MASQ']);
  });

  test('from the node to 127.0.0.1: marked, DNATed, routed off lo by route_localnet, masqueraded (PM-6, PM-7)', () => {
    const r = trace(rs, tcp('127.0.0.1', '127.0.0.1', 8080), NODE, env(true));
    expect(r.branches).toHaveLength(1);
    expect(r.branches[0]!.verdict).toEqual({ kind: 'delivered', to: 'pod', node: 'worker-1', pod: 'default/web-0', ip: '10.244.1.5', port: 80, protocol: 'tcp', masqueraded: true });
    expect(path(r)).toEqual([
      'nat OUTPUT 1 jump CNI-HOSTPORT-DNAT',
      `nat CNI-HOSTPORT-DNAT 1 jump ${DN}`,
      `nat ${DN} 2 jump CNI-HOSTPORT-SETMARK`,
      'nat CNI-HOSTPORT-SETMARK 1 mark 0x2000',
      `nat ${DN} 3 DNAT to 10.244.1.5:80`,
      'nat POSTROUTING 1 jump CNI-HOSTPORT-MASQ',
      'nat CNI-HOSTPORT-MASQ 1 MASQUERADE',
    ]);
  });

  test('from the node to 127.0.0.1 without route_localnet: the kernel refuses the reroute', () => {
    const r = trace(rs, tcp('127.0.0.1', '127.0.0.1', 8080), NODE, env(false));
    expect(r.branches).toHaveLength(1);
    const v = r.branches[0]!.verdict;
    expect(v.kind).toBe('dropped');
    if (v.kind !== 'dropped') return;
    expect(v.by).toEqual({ table: 'kernel', chain: 'routing', index: 0, rule: 'loopback source 127.0.0.1', effect: 'DROP' });
    expect(v.reason).toBe('After DNAT to 10.244.1.5 the packet must leave through a network interface with the source 127.0.0.1, which the kernel refuses unless route_localnet is 1; it is 0 here (PM-7, KP-7).');
    expect(r.notes).toEqual(['route_localnet is 0 on this node, so traffic to or from 127.0.0.0/8 cannot cross a network interface (PM-7, KP-7).']);
    expect(path(r)).toHaveLength(5);
  });

  test('without the localhost mark rule, a 127.0.0.1 source leaves unmasqueraded and is dropped as a martian', () => {
    const noSnat = load(PORTMAP.split('\n').filter((l) => !l.includes('-s 127.0.0.1/32')).join('\n'));
    const r = trace(noSnat, tcp('127.0.0.1', '127.0.0.1', 8080), NODE, env(true));
    const v = r.branches[0]!.verdict;
    expect(v.kind === 'dropped' && v.by.rule).toBe('martian source 127.0.0.1');
    expect(r.branches[0]!.packet).toEqual({ src: '127.0.0.1', dst: '10.244.1.5', protocol: 'tcp', dport: 80 });
  });

  test('hairpin: the pod reaches itself through its host port and is masqueraded (PM-6)', () => {
    const r = trace(rs, tcp('10.244.1.5', NODE_IP, 8080), fromPod('10.244.1.5'), env());
    expect(r.branches[0]!.verdict).toEqual({ kind: 'delivered', to: 'pod', node: 'worker-1', pod: 'default/web-0', ip: '10.244.1.5', port: 80, protocol: 'tcp', masqueraded: true });
    expect(path(r)).toEqual([
      'nat PREROUTING 1 jump CNI-HOSTPORT-DNAT',
      `nat CNI-HOSTPORT-DNAT 1 jump ${DN}`,
      `nat ${DN} 1 jump CNI-HOSTPORT-SETMARK`,
      'nat CNI-HOSTPORT-SETMARK 1 mark 0x2000',
      `nat ${DN} 3 DNAT to 10.244.1.5:80`,
      'nat POSTROUTING 1 jump CNI-HOSTPORT-MASQ',
      'nat CNI-HOSTPORT-MASQ 1 MASQUERADE',
    ]);
  });

  test('the hairpin rule matches the pod’s whole /24, so its neighbours are masqueraded too (PM-6)', () => {
    const r = trace(rs, tcp('10.244.1.9', NODE_IP, 8080), fromPod('10.244.1.9'), env());
    expect(r.branches[0]!.verdict).toMatchObject({ kind: 'delivered', pod: 'default/web-0', masqueraded: true });
  });

  test('a pod’s 127.0.0.1 is its own: nothing to trace', () => {
    const r = trace(rs, tcp('10.244.1.9', '127.0.0.1', 8080), fromPod('10.244.1.9'), env());
    expect(r.branches).toEqual([]);
    expect(r.notes).toEqual(["A pod's 127.0.0.1 is its own loopback interface: the packet never leaves the pod, so the node's rules never see it."]);
  });

  test('an external packet to 127.0.0.1 is a martian without route_localnet', () => {
    const r = trace(rs, tcp(CLIENT, '127.0.0.1', 22), EXTERNAL, env(false));
    expect(r.branches[0]!.verdict).toEqual({
      kind: 'dropped',
      by: { table: 'kernel', chain: 'routing', index: 0, rule: 'martian destination 127.0.0.1', effect: 'DROP' },
      reason: 'The kernel drops a packet from a network interface addressed to 127.0.0.1 as a martian destination unless route_localnet is 1; it is 0 here.',
    });
  });

  test('but the route is looked up after PREROUTING: a first packet DNATed off 127.0.0.1 reaches the pod whatever route_localnet says', () => {
    const r = trace(rs, tcp(CLIENT, '127.0.0.1', 8080), EXTERNAL, env(false));
    expect(r.branches[0]!.verdict).toMatchObject({ kind: 'delivered', pod: 'default/web-0', masqueraded: false });
  });

  test('UDP does not match the TCP mappings', () => {
    const r = trace(rs, { src: CLIENT, dst: NODE_IP, protocol: 'udp', dport: 8080 }, EXTERNAL, env());
    expect(r.branches[0]!.verdict).toEqual({ kind: 'unhandled', to: 'host', node: 'worker-1', ip: NODE_IP, port: 8080, protocol: 'udp' });
    expect(path(r)).toEqual(['nat PREROUTING 1 jump CNI-HOSTPORT-DNAT']);
  });
});

// ---------------------------------------------------------------------------------------------
// kube-proxy (iptables mode), cluster CIDR 10.244.0.0/16:
//   default/web:http  ClusterIP 10.96.0.20:80 → 10.244.1.5:8080 (here), 10.244.2.6:8080, 10.244.3.7:8080
//   default/edge      NodePort 30080, externalTrafficPolicy Local, ClusterIP 10.96.0.30:80 → 10.244.2.8:8080 (worker-2 only)
//   default/empty     ClusterIP 10.96.0.40:80, no endpoints

const SVC_WEB = 'KUBE-SVC-CDGGSHYLG3RE2FKL';
const SEP_WEB = ['KUBE-SEP-AFGSLHOD2HFNCBX4', 'KUBE-SEP-3OLK2YUW6LHBC4UX', 'KUBE-SEP-DY76ZDMWORDP4GAT'];
const KUBE_PROXY = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/edge has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-SERVICES -d 10.96.0.40/32 -p tcp -m comment --comment "default/empty has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-EXT-Z2O42GJTWQAMWARO - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-3OLK2YUW6LHBC4UX - [0:0]
:KUBE-SEP-AFGSLHOD2HFNCBX4 - [0:0]
:KUBE-SEP-BPJLNEZFMOQB3AQL - [0:0]
:KUBE-SEP-DY76ZDMWORDP4GAT - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]
:KUBE-SVC-Z2O42GJTWQAMWARO - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-EXT-Z2O42GJTWQAMWARO -s 10.244.0.0/16 -m comment --comment "pod traffic for default/edge external destinations" -j KUBE-SVC-Z2O42GJTWQAMWARO
-A KUBE-EXT-Z2O42GJTWQAMWARO -m comment --comment "masquerade LOCAL traffic for default/edge external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-Z2O42GJTWQAMWARO -m comment --comment "route LOCAL traffic for default/edge external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-Z2O42GJTWQAMWARO
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/edge" -m tcp --dport 30080 -j KUBE-EXT-Z2O42GJTWQAMWARO
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
-A KUBE-SEP-3OLK2YUW6LHBC4UX -s 10.244.2.6/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-3OLK2YUW6LHBC4UX -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.2.6:8080
-A KUBE-SEP-AFGSLHOD2HFNCBX4 -s 10.244.1.5/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-AFGSLHOD2HFNCBX4 -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.1.5:8080
-A KUBE-SEP-BPJLNEZFMOQB3AQL -s 10.244.2.8/32 -m comment --comment "default/edge" -j KUBE-MARK-MASQ
-A KUBE-SEP-BPJLNEZFMOQB3AQL -p tcp -m comment --comment "default/edge" -m tcp -j DNAT --to-destination 10.244.2.8:8080
-A KUBE-SEP-DY76ZDMWORDP4GAT -s 10.244.3.7/32 -m comment --comment "default/web:http" -j KUBE-MARK-MASQ
-A KUBE-SEP-DY76ZDMWORDP4GAT -p tcp -m comment --comment "default/web:http" -m tcp -j DNAT --to-destination 10.244.3.7:8080
-A KUBE-SERVICES -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL
-A KUBE-SERVICES -d 10.96.0.30/32 -p tcp -m comment --comment "default/edge cluster IP" -m tcp --dport 80 -j KUBE-SVC-Z2O42GJTWQAMWARO
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.1.5:8080" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-AFGSLHOD2HFNCBX4
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.2.6:8080" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-3OLK2YUW6LHBC4UX
-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment "default/web:http -> 10.244.3.7:8080" -j KUBE-SEP-DY76ZDMWORDP4GAT
-A KUBE-SVC-Z2O42GJTWQAMWARO ! -s 10.244.0.0/16 -d 10.96.0.30/32 -p tcp -m comment --comment "default/edge cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-Z2O42GJTWQAMWARO -m comment --comment "default/edge -> 10.244.2.8:8080" -j KUBE-SEP-BPJLNEZFMOQB3AQL
COMMIT
`;

describe('kube-proxy (KP-4..KP-10)', () => {
  const rs = load(KUBE_PROXY);

  test('a ClusterIP with 3 endpoints: 3 branches of 1/3 each (KP-5)', () => {
    const r = trace(rs, tcp('10.244.1.9', '10.96.0.20', 80), fromPod('10.244.1.9'), env());
    expect(r.branches).toHaveLength(3);
    for (const b of r.branches) expect(Math.abs(b.probability - 1 / 3)).toBeLessThan(1e-9);
    expect(r.branches.reduce((s, b) => s + b.probability, 0)).toBeCloseTo(1, 12);
    expect(r.branches.map((b) => b.verdict)).toEqual([
      { kind: 'delivered', to: 'pod', node: 'worker-1', pod: 'default/web-0', ip: '10.244.1.5', port: 8080, protocol: 'tcp', masqueraded: false },
      { kind: 'delivered', to: 'pod', node: 'worker-2', pod: 'default/web-1', ip: '10.244.2.6', port: 8080, protocol: 'tcp', masqueraded: false },
      { kind: 'delivered', to: 'pod', node: 'worker-3', pod: 'default/web-2', ip: '10.244.3.7', port: 8080, protocol: 'tcp', masqueraded: false },
    ]);
    expect(path(r, 0)).toEqual([
      'nat PREROUTING 1 jump KUBE-SERVICES',
      `nat KUBE-SERVICES 1 jump ${SVC_WEB}`,
      `nat ${SVC_WEB} 2 jump ${SEP_WEB[0]}`,
      `nat ${SEP_WEB[0]} 2 DNAT to 10.244.1.5:8080`,
      'filter FORWARD 1 jump KUBE-PROXY-FIREWALL',
      'filter FORWARD 2 jump KUBE-FORWARD',
      'filter FORWARD 3 jump KUBE-SERVICES',
      'filter FORWARD 4 jump KUBE-EXTERNAL-SERVICES',
      'nat POSTROUTING 1 jump KUBE-POSTROUTING',
      'nat KUBE-POSTROUTING 1 RETURN',
    ]);
    expect(r.branches[0]!.steps[2]!.chance).toBe(0.33333333349);
    expect(path(r, 2).slice(0, 4)).toEqual([
      'nat PREROUTING 1 jump KUBE-SERVICES',
      `nat KUBE-SERVICES 1 jump ${SVC_WEB}`,
      `nat ${SVC_WEB} 4 jump ${SEP_WEB[2]}`,
      `nat ${SEP_WEB[2]} 2 DNAT to 10.244.3.7:8080`,
    ]);
    expect(r.notes).toEqual([]);
  });

  test('from outside the cluster CIDR every branch is masqueraded (KP-3, KP-4)', () => {
    const r = trace(rs, tcp(CLIENT, '10.96.0.20', 80), EXTERNAL, env());
    expect(r.branches.map((b) => b.verdict.kind === 'delivered' && b.verdict.masqueraded)).toEqual([true, true, true]);
    expect(path(r, 1).slice(-3)).toEqual(['nat POSTROUTING 1 jump KUBE-POSTROUTING', 'nat KUBE-POSTROUTING 2 mark 0x0', 'nat KUBE-POSTROUTING 3 MASQUERADE']);
    // The marked packet is accepted by KUBE-FORWARD before KUBE-SERVICES is reached.
    expect(path(r, 1)).toContain('filter KUBE-FORWARD 2 ACCEPT');
  });

  test('hairpin: only the branch that lands on the client itself is masqueraded (KP-6)', () => {
    const r = trace(rs, tcp('10.244.1.5', '10.96.0.20', 80), fromPod('10.244.1.5'), env());
    expect(r.branches.map((b) => b.verdict.kind === 'delivered' && b.verdict.masqueraded)).toEqual([true, false, false]);
  });

  test('NodePort with externalTrafficPolicy Local and no local endpoint: DROP in filter (KP-10)', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 30080), EXTERNAL, env());
    expect(r.branches).toHaveLength(1);
    expect(r.branches[0]!.verdict).toEqual({
      kind: 'dropped',
      by: {
        table: 'filter',
        chain: 'KUBE-EXTERNAL-SERVICES',
        index: 1,
        rule: '-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/edge has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP',
        effect: 'DROP',
      },
      reason: 'The packet is dropped by rule 1 of filter KUBE-EXTERNAL-SERVICES ("default/edge has no local endpoints").',
    });
    expect(path(r)).toEqual([
      'nat PREROUTING 1 jump KUBE-SERVICES',
      'nat KUBE-SERVICES 3 jump KUBE-NODEPORTS',
      'nat KUBE-NODEPORTS 1 jump KUBE-EXT-Z2O42GJTWQAMWARO',
      'filter INPUT 1 jump KUBE-PROXY-FIREWALL',
      'filter INPUT 2 jump KUBE-NODEPORTS',
      'filter INPUT 3 jump KUBE-EXTERNAL-SERVICES',
      'filter KUBE-EXTERNAL-SERVICES 1 DROP',
    ]);
  });

  test('the same NodePort from the node itself short-circuits to any endpoint, masqueraded (KP-9)', () => {
    const r = trace(rs, tcp(NODE_IP, NODE_IP, 30080), NODE, env());
    expect(r.branches.map((b) => b.verdict)).toEqual([
      { kind: 'delivered', to: 'pod', node: 'worker-2', pod: 'default/edge-0', ip: '10.244.2.8', port: 8080, protocol: 'tcp', masqueraded: true },
    ]);
    expect(path(r).slice(0, 7)).toEqual([
      'nat OUTPUT 1 jump KUBE-SERVICES',
      'nat KUBE-SERVICES 3 jump KUBE-NODEPORTS',
      'nat KUBE-NODEPORTS 1 jump KUBE-EXT-Z2O42GJTWQAMWARO',
      'nat KUBE-EXT-Z2O42GJTWQAMWARO 2 jump KUBE-MARK-MASQ',
      'nat KUBE-MARK-MASQ 1 mark 0x4000',
      'nat KUBE-EXT-Z2O42GJTWQAMWARO 3 jump KUBE-SVC-Z2O42GJTWQAMWARO',
      'nat KUBE-SVC-Z2O42GJTWQAMWARO 2 jump KUBE-SEP-BPJLNEZFMOQB3AQL',
    ]);
  });

  test('and from a pod it short-circuits without masquerade (KP-9)', () => {
    const r = trace(rs, tcp('10.244.1.9', NODE_IP, 30080), fromPod('10.244.1.9'), env());
    expect(r.branches[0]!.verdict).toMatchObject({ kind: 'delivered', pod: 'default/edge-0', masqueraded: false });
    expect(path(r)[3]).toBe('nat KUBE-EXT-Z2O42GJTWQAMWARO 1 jump KUBE-SVC-Z2O42GJTWQAMWARO');
  });

  test('a Service without endpoints is rejected in filter KUBE-SERVICES, from a pod and from the node (KP-10)', () => {
    const fromPodResult = trace(rs, tcp('10.244.1.9', '10.96.0.40', 80), fromPod('10.244.1.9'), env());
    expect(fromPodResult.branches).toHaveLength(1);
    expect(fromPodResult.branches[0]!.verdict).toMatchObject({
      kind: 'rejected',
      by: { table: 'filter', chain: 'KUBE-SERVICES', index: 1, effect: 'REJECT' },
      reason: 'The packet is rejected by rule 1 of filter KUBE-SERVICES ("default/empty has no endpoints").',
    });
    expect(path(fromPodResult)).toEqual(['nat PREROUTING 1 jump KUBE-SERVICES', 'filter FORWARD 1 jump KUBE-PROXY-FIREWALL', 'filter FORWARD 2 jump KUBE-FORWARD', 'filter FORWARD 3 jump KUBE-SERVICES', 'filter KUBE-SERVICES 1 REJECT']);
    const fromNode = trace(rs, tcp(NODE_IP, '10.96.0.40', 80), NODE, env());
    expect(path(fromNode)).toEqual(['nat OUTPUT 1 jump KUBE-SERVICES', 'filter OUTPUT 1 jump KUBE-PROXY-FIREWALL', 'filter OUTPUT 2 jump KUBE-SERVICES', 'filter KUBE-SERVICES 1 REJECT']);
  });

  test('KUBE-FIREWALL blocks outside packets to 127.0.0.0/8 that were not DNATed, with route_localnet on', () => {
    const r = trace(rs, tcp(CLIENT, '127.0.0.1', 22), EXTERNAL, env(true));
    expect(r.branches[0]!.verdict).toMatchObject({ kind: 'dropped', by: { table: 'filter', chain: 'KUBE-FIREWALL', index: 1 } });
    expect(path(r).at(-2)).toBe('filter INPUT 4 jump KUBE-FIREWALL');
  });

  test('a packet nobody handles reaches the host socket unchanged', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 22), EXTERNAL, env());
    expect(r.branches[0]!.verdict).toEqual({ kind: 'unhandled', to: 'host', node: 'worker-1', ip: NODE_IP, port: 22, protocol: 'tcp' });
  });
});

// ---------------------------------------------------------------------------------------------

describe('IPv6 (ip6tables-save)', () => {
  const { ruleset: rs, problems } = parseIptablesSave(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:CNI-HOSTPORT-DNAT - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A CNI-HOSTPORT-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:10:244:1::5]:80
COMMIT
`, 'ipv6');
  const v6env: TraceEnv = { ...env(), isLocal: (ip) => ip === 'fd00::10' || ip === '::1', locate: (ip) => (ip === 'fd00:10:244:1::5' ? { kind: 'pod', node: 'worker-1', pod: 'default/web-0' } : { kind: 'unknown' }) };

  test('DNAT to [ip]:port reaches the pod', () => {
    expect(problems).toEqual([]);
    const r = trace(rs, tcp('2001:db8::7', 'fd00::10', 8080), EXTERNAL, v6env);
    expect(path(r)).toEqual(['nat PREROUTING 1 jump CNI-HOSTPORT-DNAT', 'nat CNI-HOSTPORT-DNAT 1 DNAT to [fd00:10:244:1::5]:80']);
    expect(r.branches[0]!.verdict).toMatchObject({ kind: 'delivered', pod: 'default/web-0', ip: 'fd00:10:244:1::5', port: 80 });
  });

  test('[::1]:hostPort from the node never works, route_localnet or not (PM-7)', () => {
    const r = trace(rs, tcp('::1', '::1', 8080), NODE, v6env);
    expect(r.branches[0]!.verdict).toMatchObject({ kind: 'dropped', by: { table: 'kernel', rule: 'loopback source ::1' } });
  });
});

describe('DNAT to 127.0.0.1 in PREROUTING (route_localnet)', () => {
  const rs = load(`*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 192.168.1.10/32 -p tcp -m tcp --dport 9100 -j DNAT --to-destination 127.0.0.1:9100
COMMIT
`);

  test('is dropped as a martian destination when route_localnet is 0', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 9100), EXTERNAL, env(false));
    expect(r.branches[0]!.verdict).toEqual({
      kind: 'dropped',
      by: { table: 'kernel', chain: 'routing', index: 0, rule: 'martian destination 127.0.0.1', effect: 'DROP' },
      reason: 'The packet was DNATed to 127.0.0.1 in PREROUTING, and the kernel drops a packet from a network interface addressed to 127.0.0.0/8 as a martian destination unless route_localnet is 1; it is 0 here.',
    });
    expect(path(r)).toEqual(['nat PREROUTING 1 DNAT to 127.0.0.1:9100']);
    expect(r.notes).toEqual(['route_localnet is 0 on this node, so traffic to or from 127.0.0.0/8 cannot cross a network interface (PM-7, KP-7).']);
  });

  test('reaches the host socket when route_localnet is 1', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 9100), EXTERNAL, env(true));
    expect(r.branches[0]!.verdict).toEqual({ kind: 'delivered', to: 'host', node: 'worker-1', ip: '127.0.0.1', port: 9100, protocol: 'tcp', masqueraded: false });
    expect(r.notes).toEqual([]);
  });
});

describe('rules hostnet does not model, raw NOTRACK, FORWARD policy', () => {
  const rs = load(`*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp -m udp --dport 53 -j CT --notrack
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.96.0.10/32 -p udp -m udp --dport 53 -j DNAT --to-destination 10.244.3.3:53
-A PREROUTING -d 10.96.0.10/32 -p tcp -m tcp --dport 53 -j DNAT --to-destination 10.244.3.3:53
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m physdev --physdev-is-bridged -m comment --comment "bridged pod traffic" -j ACCEPT
COMMIT
`);

  test('an unknown match module is assumed to match, and a note names the rule', () => {
    const r = trace(rs, tcp('10.244.1.9', '10.244.2.6', 8080), fromPod('10.244.1.9'), env());
    expect(r.branches[0]!.verdict).toEqual({ kind: 'unhandled', to: 'forward', node: 'worker-2', pod: 'default/web-1', ip: '10.244.2.6', port: 8080, protocol: 'tcp' });
    expect(path(r)).toEqual(['filter FORWARD 1 ACCEPT']);
    expect(r.notes).toEqual([
      'Rule 1 of filter FORWARD (-A FORWARD -m physdev --physdev-is-bridged -m comment --comment "bridged pod traffic" -j ACCEPT) depends on the physdev match, so hostnet assumed it matches.',
    ]);
  });

  test('NOTRACK in raw keeps the packet out of nat: UDP 53 is not DNATed, TCP 53 is', () => {
    const udp = trace(rs, { src: '10.244.1.9', dst: '10.96.0.10', protocol: 'udp', dport: 53 }, fromPod('10.244.1.9'), env());
    expect(path(udp)).toEqual(['raw PREROUTING 1 NOTRACK', 'filter FORWARD 1 ACCEPT']);
    expect(udp.branches[0]!.verdict).toMatchObject({ kind: 'unhandled', to: 'forward', ip: '10.96.0.10' });
    const tcp53 = trace(rs, tcp('10.244.1.9', '10.96.0.10', 53), fromPod('10.244.1.9'), env());
    expect(tcp53.branches[0]!.verdict).toMatchObject({ kind: 'delivered', pod: 'kube-system/coredns-0', port: 53 });
  });

  test('the FORWARD policy DROP is a step of its own', () => {
    const bare = load(`*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
COMMIT
`);
    const r = trace(bare, tcp('10.244.1.9', '10.244.2.6', 8080), fromPod('10.244.1.9'), env());
    expect(r.branches[0]!.verdict).toEqual({
      kind: 'dropped',
      by: { table: 'filter', chain: 'FORWARD', index: 0, rule: '-P FORWARD DROP', effect: 'DROP' },
      reason: "The filter FORWARD chain's policy is DROP and no rule accepted the packet.",
    });
  });
});

describe('chain walking: jump, goto, RETURN, loops, missing chains', () => {
  const rs = load(`*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:A - [0:0]
:B - [0:0]
-A INPUT -j A
-A INPUT -p tcp -m tcp --dport 22 -j DROP
-A INPUT -j ACCEPT
-A A -g B
-A A -j DROP
-A B -j B
-A B -j KUBE-MISSING
-A B -j LOG --log-prefix "seen: "
-A B -p tcp -m tcp --dport 23 -j RETURN
-A B -j MARK --set-xmark 0x1/0xffffffff
COMMIT
`);

  test('goto returns to the chain that jumped, loops and missing chains are skipped with notes', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 22), EXTERNAL, env());
    expect(path(r)).toEqual([
      'filter INPUT 1 jump A',
      'filter A 1 goto B',
      'filter B 1 jump B (loop, ignored)',
      'filter B 2 jump KUBE-MISSING (no such chain)',
      'filter B 3 LOG',
      'filter B 5 mark 0x1',
      'filter INPUT 2 DROP',
    ]);
    expect(r.notes).toEqual([
      'Rule 1 of filter B jumps back to B, which is already being walked; the kernel refuses such loops, and the trace ignores the jump.',
      'Rule 2 of filter B jumps to KUBE-MISSING, which is neither a chain of the filter table nor a target hostnet knows; the trace goes on as if the rule did nothing.',
    ]);
  });

  test('RETURN leaves the goto target for the calling chain', () => {
    const r = trace(rs, tcp(CLIENT, NODE_IP, 23), EXTERNAL, env());
    expect(path(r).slice(-3)).toEqual(['filter B 3 LOG', 'filter B 4 RETURN', 'filter INPUT 3 ACCEPT']);
    expect(r.branches[0]!.verdict.kind).toBe('unhandled');
  });
});

describe('branch cap and bad input', () => {
  test(`more than ${MAX_BRANCHES} endpoints: the first ${MAX_BRANCHES} branches and a note`, () => {
    const n = 100;
    const lines = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-SVC-X - [0:0]'];
    const rules = ['-A PREROUTING -d 10.96.0.50/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-X'];
    for (let i = 0; i < n; i++) {
      lines.push(`:KUBE-SEP-${i} - [0:0]`);
      const stat = i < n - 1 ? ` -m statistic --mode random --probability ${(1 / (n - i)).toFixed(11)}` : '';
      rules.push(`-A KUBE-SVC-X${stat} -j KUBE-SEP-${i}`, `-A KUBE-SEP-${i} -p tcp -m tcp -j DNAT --to-destination 10.250.${Math.floor(i / 250)}.${i % 250}:80`);
    }
    const r = trace(load([...lines, ...rules, 'COMMIT', ''].join('\n')), tcp('10.244.1.9', '10.96.0.50', 80), fromPod('10.244.1.9'), env());
    expect(r.branches).toHaveLength(MAX_BRANCHES);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toMatch(/^The trace stopped splitting at 64 branches \(-m statistic\); past that it followed the more likely side of each split, so the branches shown cover 64% of such packets\.$/);
    // 63 endpoints split off at 1/100 each; past the cap the 37/100 left follow the likelier side each time.
    expect(r.branches.slice(0, 63).every((b) => Math.abs(b.probability - 0.01) < 1e-9)).toBe(true);
  });

  test.for([
    [tcp('not-an-ip', NODE_IP, 80), 'The source "not-an-ip" is not an IP address, so the packet cannot be traced.'],
    [tcp(CLIENT, '10.0.0.0/8', 80), 'The destination "10.0.0.0/8" is not an IP address, so the packet cannot be traced.'],
    [tcp(CLIENT, 'fd00::1', 80), 'The source 203.0.113.7 and the destination fd00::1 are of different IP families, so no such packet exists.'],
    [tcp(CLIENT, NODE_IP, 70000), 'The destination port 70000 is not a port number (0 to 65535).'],
  ] as const)('%o', ([packet, why]) => {
    expect(trace(load(PORTMAP), packet, EXTERNAL, env())).toEqual({ origin: EXTERNAL, packet, branches: [], notes: [why] });
  });

  test('an IPv6 packet against IPv4 rules is traced, with a note', () => {
    const r = trace(load(PORTMAP), tcp('2001:db8::7', 'fd00::10', 8080), EXTERNAL, env());
    expect(r.notes[0]).toBe('The packet is IPv6 but the rules are IPv4 (iptables-save); the kernel would walk the other family\'s rules, so no address match here can hold.');
    expect(r.branches[0]!.verdict.kind).toBe('unhandled');
  });
});

describe('speed', () => {
  test('a nat KUBE-SERVICES chain of 10,000 services traces in well under 10 ms', () => {
    const n = 10_000;
    const chains = ['*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]', ':KUBE-SERVICES - [0:0]', ':KUBE-MARK-MASQ - [0:0]'];
    const rules = ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES', '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000'];
    for (let i = 0; i < n; i++) {
      const ip = `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`;
      const svc = `KUBE-SVC-${String(i).padStart(16, 'A')}`;
      const sep = `KUBE-SEP-${String(i).padStart(16, 'A')}`;
      chains.push(`:${svc} - [0:0]`, `:${sep} - [0:0]`);
      rules.push(
        `-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "ns/svc-${i}:http cluster IP" -m tcp --dport 80 -j ${svc}`,
        `-A ${svc} ! -s 10.244.0.0/16 -d ${ip}/32 -p tcp -m comment --comment "ns/svc-${i}:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`,
        `-A ${svc} -m comment --comment "ns/svc-${i}:http -> 10.244.9.9:8080" -j ${sep}`,
        `-A ${sep} -p tcp -m comment --comment "ns/svc-${i}:http" -m tcp -j DNAT --to-destination 10.244.9.9:8080`,
      );
    }
    rules.push('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
    const rs = load([...chains, ':KUBE-NODEPORTS - [0:0]', ...rules, 'COMMIT', ''].join('\n'));
    const last = tcp('10.244.1.9', `10.96.${Math.floor((n - 1) / 250)}.${((n - 1) % 250) + 1}`, 80);
    const first = trace(rs, last, fromPod('10.244.1.9'), env()); // compiles every rule once
    expect(first.branches[0]!.verdict).toEqual({ kind: 'forwarded', ip: '10.244.9.9', port: 8080, masqueraded: false });
    expect(path(first)[1]).toBe(`nat KUBE-SERVICES ${n} jump KUBE-SVC-${String(n - 1).padStart(16, 'A')}`);
    for (let i = 0; i < 5; i++) trace(rs, last, fromPod('10.244.1.9'), env()); // and lets the JIT settle
    const runs = 20;
    const start = performance.now();
    for (let i = 0; i < runs; i++) trace(rs, last, fromPod('10.244.1.9'), env());
    const perTrace = (performance.now() - start) / runs;
    expect(perTrace).toBeLessThan(10);
  });
});
