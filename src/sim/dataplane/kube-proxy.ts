/**
 * kube-proxy in iptables mode (KP-1..14) as a pure function: one node's nat and filter rules for a
 * set of Services and their endpoints, written into a RulesetBuilder the way kube-proxy writes them.
 *
 * Modelled on kubernetes/kubernetes pkg/proxy/iptables/proxier.go (the v1.31+ proxier with
 * KUBE-EXT/KUBE-SVL chains, KUBE-PROXY-FIREWALL and nfacct counters; checked against the newest copy
 * in the index, which calls CategorizeEndpoints with topology labels):
 * - the jumps from the built-in chains: #iptablesJumpChains and #iptablesKubeletJumpChains, ensured
 *   with `-I` (EnsureRule(Prepend)) in that order, so the last one ends up first;
 * - everything else: #syncProxyRules (one iptables-restore of the filter and nat tables) and
 *   #writeServiceToEndpointRules; probabilities: #computeProbability;
 * - which endpoints a service port uses: pkg/proxy/topology.go#CategorizeEndpoints, with
 *   pkg/proxy/serviceport.go#UsesClusterEndpoints/#UsesLocalEndpoints/#ExternallyAccessible;
 * - the endpoint order: pkg/proxy/endpointslicecache.go#endpointsMapFromEndpointInfo sorts each
 *   service port's endpoints by their `ip:port` string (byEndpoint), after #addEndpoints kept one
 *   endpoint per `ip:port`;
 * - which Services are proxied: pkg/proxy/util#ShouldSkipService (no clusterIP, headless,
 *   ExternalName) and the IPv4 proxier's family filters in serviceport.go#newBaseServiceInfo.
 *
 * Where hostnet must choose what upstream leaves to Go's map order (services are walked in
 * `svcPortMap` order, which is random), it walks the input order: Services as given, ports in spec
 * order. Only the relative order of rules of different services in KUBE-SERVICES, KUBE-NODEPORTS,
 * KUBE-EXTERNAL-SERVICES and KUBE-PROXY-FIREWALL depends on it; no packet's fate does, because
 * those rules match disjoint destinations.
 *
 * Not modelled: IPv6 (the IPv4 proxier only; IPv6 services, addresses and endpoints are skipped as
 * that proxier skips them), topology hints and trafficDistribution (every endpoint counts),
 * serving-but-terminating fallback endpoints (the input has ready endpoints only), partial syncs
 * and stale-chain deletion (this is one full sync on a fresh node), LoadBalancer ingress ipMode
 * Proxy, and node-local addresses other than the node IPs and 127.0.0.1 for --nodeport-addresses.
 */
import { contains, formatAddress, ipFamily, isLoopback, parseAddress, type Prefix } from './addresses.js';
import { canonicalAddress, canonicalProbability, normalizeRule } from './normalize.js';
import { findChain, type RulesetBuilder, type TableName } from './ruleset.js';
import { portProtoHash, servicePortEndpointChainName, servicePortNameOf } from './kube-proxy-names.js';
import type { Endpoint, ServiceEndpoints, ServicePortView, ServiceView } from '../services/types.js';

/** kube-proxy's own chains (KP-1; proxier.go constants block). Never rename. */
export const KUBE_SERVICES = 'KUBE-SERVICES';
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
export const KUBE_FORWARD = 'KUBE-FORWARD';
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
/** kubelet's anti-martian chain, which kube-proxy duplicates (proxier.go kubeletFirewallChain). */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';

/** The nfacct counters kube-proxy matches on (pkg/proxy/metrics). */
export const LOCALHOST_NODEPORT_ACCEPTED_COUNTER = 'localhost_nps_accepted_pkts';
export const CT_STATE_INVALID_DROPPED_COUNTER = 'ct_state_invalid_dropped_pkts';

/** Above this many endpoints kube-proxy drops the per-endpoint comments (largeClusterEndpointsThreshold). */
export const LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000;

export interface KubeProxyConfig {
  /** `--iptables-masquerade-bit`; the mark is `1 << bit` (KP-3). Default 14 → 0x4000. */
  readonly masqueradeBit: number;
  /**
   * The local-traffic detector of detect-local-mode ClusterCIDR (`--cluster-cidr`): the first IPv4
   * CIDR gives `-s <cidr>` / `! -s <cidr>`. [] means no detector, as when --cluster-cidr is unset.
   */
  readonly clusterCIDRs: readonly string[];
  /** `--masquerade-all`: every packet to a cluster IP is marked for masquerade (KP-4). */
  readonly masqueradeAll: boolean;
  /** `--iptables-localhost-nodeports` (IPv4 only; default true): NodePorts answer on 127.0.0.0/8 (KP-7). */
  readonly localhostNodePorts: boolean;
  /** `--nodeport-addresses` CIDRs; absent or no IPv4 CIDR: every local address (`addrtype LOCAL`). */
  readonly nodePortAddresses?: readonly string[];
  /** The node's iptables supports `MASQUERADE --random-fully` (1.6.2 and later). Default true. */
  readonly randomFully?: boolean;
  /** The kernel has nfacct (nfnetlink_acct), so kube-proxy adds its counter matches. Default true. */
  readonly nfacctCounters?: boolean;
  /** `net.netfilter.nf_conntrack_tcp_be_liberal` is set: no DROP of INVALID packets (KP-13). Default false. */
  readonly conntrackTCPBeLiberal?: boolean;
}

export const DEFAULT_KUBE_PROXY_CONFIG: KubeProxyConfig = Object.freeze({
  masqueradeBit: 14,
  clusterCIDRs: Object.freeze([]) as readonly string[],
  masqueradeAll: false,
  localhostNodePorts: true,
});

export interface KubeProxyNode {
  /** The node name kube-proxy runs with: endpoints with this nodeName are local (KP-14). */
  readonly name: string;
  /** The node's addresses; the first IPv4 one is kube-proxy's node IP. */
  readonly ips: readonly string[];
}

interface JumpChain {
  readonly table: TableName;
  readonly dst: string;
  readonly src: string;
  readonly comment: string;
  readonly extra: readonly string[];
}

const CT_NEW = ['-m', 'conntrack', '--ctstate', 'NEW'] as const;

/** proxier.go#iptablesJumpChains, in upstream order. */
const JUMP_CHAINS: readonly JumpChain[] = [
  { table: 'filter', dst: KUBE_EXTERNAL_SERVICES, src: 'INPUT', comment: 'kubernetes externally-visible service portals', extra: CT_NEW },
  { table: 'filter', dst: KUBE_EXTERNAL_SERVICES, src: 'FORWARD', comment: 'kubernetes externally-visible service portals', extra: CT_NEW },
  { table: 'filter', dst: KUBE_NODEPORTS, src: 'INPUT', comment: 'kubernetes health check service ports', extra: [] },
  { table: 'filter', dst: KUBE_SERVICES, src: 'FORWARD', comment: 'kubernetes service portals', extra: CT_NEW },
  { table: 'filter', dst: KUBE_SERVICES, src: 'OUTPUT', comment: 'kubernetes service portals', extra: CT_NEW },
  { table: 'filter', dst: KUBE_FORWARD, src: 'FORWARD', comment: 'kubernetes forwarding rules', extra: [] },
  { table: 'filter', dst: KUBE_PROXY_FIREWALL, src: 'INPUT', comment: 'kubernetes load balancer firewall', extra: CT_NEW },
  { table: 'filter', dst: KUBE_PROXY_FIREWALL, src: 'OUTPUT', comment: 'kubernetes load balancer firewall', extra: CT_NEW },
  { table: 'filter', dst: KUBE_PROXY_FIREWALL, src: 'FORWARD', comment: 'kubernetes load balancer firewall', extra: CT_NEW },
  { table: 'nat', dst: KUBE_SERVICES, src: 'OUTPUT', comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', dst: KUBE_SERVICES, src: 'PREROUTING', comment: 'kubernetes service portals', extra: [] },
  { table: 'nat', dst: KUBE_POSTROUTING, src: 'POSTROUTING', comment: 'kubernetes postrouting rules', extra: [] },
];

/** proxier.go#iptablesKubeletJumpChains: kubelet's KUBE-FIREWALL jumps, which kube-proxy also ensures (no comment). */
const KUBELET_JUMP_CHAINS: readonly JumpChain[] = [
  { table: 'filter', dst: KUBE_FIREWALL, src: 'INPUT', comment: '', extra: [] },
  { table: 'filter', dst: KUBE_FIREWALL, src: 'OUTPUT', comment: '', extra: [] },
];

/** The chains kube-proxy's iptables-restore writes (and so flushes) on every full sync. */
const FILTER_RESTORE_CHAINS = [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_FORWARD, KUBE_NODEPORTS, KUBE_PROXY_FIREWALL] as const;
const NAT_RESTORE_CHAINS = [KUBE_SERVICES, KUBE_NODEPORTS, KUBE_POSTROUTING, KUBE_MARK_MASQ] as const;

const NODEPORTS_LAST_RULE_COMMENT = 'kubernetes service nodeports; NOTE: this must be the last rule in this chain';

/**
 * `--probability` for rule i of n endpoints is 1/(n-i), written with 10 decimals (KP-5,
 * #computeProbability: `%0.10f`). Go rounds an exact tie to even where toFixed rounds it up; the only
 * tie is 1/2048, and both texts become the same 31-bit value in the kernel.
 */
export function computeProbability(n: number): string {
  return (1 / n).toFixed(10);
}

/** computeProbability(n) as iptables-save prints it back, memoized by n (one per endpoint count). */
const savedProbabilities: string[] = [];
function savedProbability(n: number): string {
  return (savedProbabilities[n] ??= canonicalProbability(computeProbability(n)));
}

/** The mark value as iptables-save prints it. kube-proxy formats it `%#08x` ("0x00004000"); iptables prints "0x4000". */
function markValue(bit: number): string {
  return `0x${((1 << bit) >>> 0).toString(16)}`;
}

/** `--nodeport-addresses` for the IPv4 proxier (pkg/proxy/util/nodeport_addresses.go#NewNodePortAddresses). */
interface NodePortAddresses {
  readonly cidrs: readonly Prefix[];
  readonly matchAll: boolean;
  readonly containsIPv4Loopback: boolean;
}

const IPV4_LOOPBACK_START = parseAddress('127.0.0.0')!;

function nodePortAddressesOf(strings: readonly string[] | undefined): NodePortAddresses {
  let texts = (strings ?? []).filter((s) => s.includes('/') && parseAddress(s)?.family === 'ipv4');
  if (texts.length === 0) texts = ['0.0.0.0/0'];
  const cidrs: Prefix[] = [];
  let loopback = false;
  for (const text of texts) {
    const cidr = parseAddress(text)!;
    if (isLoopback(text.split('/')[0]!) || contains(cidr, IPV4_LOOPBACK_START)) loopback = true;
    if (cidr.bits === 0) return { cidrs: [cidr], matchAll: true, containsIPv4Loopback: loopback };
    cidrs.push(cidr);
  }
  return { cidrs, matchAll: false, containsIPv4Loopback: loopback };
}

/** One proxied service port with what the IPv4 proxier reads from it (serviceport.go#newBaseServiceInfo). */
interface PortInfo {
  readonly service: ServiceView;
  readonly port: ServicePortView;
  readonly name: string;
  readonly protocol: string;
  readonly clusterIP: string;
  readonly nodePort: number;
  readonly externalIPs: readonly string[];
  readonly loadBalancerVIPs: readonly string[];
  readonly loadBalancerSourceRanges: readonly Prefix[];
  readonly externalPolicyLocal: boolean;
  readonly internalPolicyLocal: boolean;
  readonly healthCheckNodePort: number;
  readonly affinitySeconds: number | undefined;
  /** Ready and not, one per ip:port, sorted by `ip:port` as the EndpointSlice cache gives them. */
  readonly endpoints: readonly Endpoint[];
  /** Each endpoint's `ip:port` (endpointString), made once. */
  readonly endpointKeys: ReadonlyMap<Endpoint, string>;
}

/** A dotted quad without leading zeros, checked without allocating; anything else goes to ipFamily. */
function isPlainDottedQuad(ip: string): boolean {
  let octets = 0;
  let i = 0;
  while (i < ip.length) {
    const start = i;
    let v = 0;
    while (i < ip.length) {
      const c = ip.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && ip.charCodeAt(start) === 48)) return false;
    octets++;
    if (i === ip.length) break;
    if (ip.charCodeAt(i) !== 46 || octets === 4) return false;
    i++;
  }
  return octets === 4;
}
const ipv4 = (ip: string): boolean => isPlainDottedQuad(ip) || ipFamily(ip) === 'ipv4';
const endpointString = (ep: Endpoint): string => `${ep.ip}:${ep.port}`;

/** apiservice.ExternallyAccessible: the Service API's view, before any family filtering. */
function serviceExternallyAccessible(s: ServiceView): boolean {
  return s.type === 'LoadBalancer' || s.type === 'NodePort' || (s.type === 'ClusterIP' && s.externalIPs.length > 0);
}

function portInfos(se: ServiceEndpoints): PortInfo[] {
  const s = se.service;
  // pkg/proxy/util#ShouldSkipService: headless (clusterIP None) and ExternalName Services are not proxied.
  if (s.type === 'ExternalName' || s.headless || s.clusterIP === undefined || s.clusterIP === '') return [];
  // The IPv4 proxier has no clusterIP of its family for a single-stack IPv6 Service: it skips it
  // (GetClusterIPByFamily). IPv6 is not modelled.
  if (!ipv4(s.clusterIP)) return [];
  const externalPolicyLocal = serviceExternallyAccessible(s) && s.externalTrafficPolicy === 'Local';
  const needsHealthCheck = s.type === 'LoadBalancer' && externalPolicyLocal; // apiservice.NeedsHealthCheck
  const sourceRanges = s.loadBalancerSourceRanges
    .map((r) => r.trim())
    .filter((r) => r.includes('/'))
    .map((r) => parseAddress(r))
    .filter((p): p is Prefix => p?.family === 'ipv4');
  return s.ports.map((port) => {
    const pe = se.ports.find((p) => p.port.index === port.index);
    const byKey = new Map<string, Endpoint>();
    for (const ep of pe?.endpoints ?? []) {
      if (!ipv4(ep.ip)) continue; // endpointslicecache: endpoints of the other family are ignored
      // addEndpoints keeps one endpoint per ip:port, preferring one that serves over one that does not.
      const key = endpointString(ep);
      const seen = byKey.get(key);
      if (!seen || (!seen.ready && ep.ready)) byKey.set(key, ep);
    }
    // Sort the `ip:port` strings themselves (code-unit order, as Go's byEndpoint compares them).
    const keys = [...byKey.keys()].sort(compareStrings);
    const sorted = keys.map((k) => byKey.get(k)!);
    const endpointKeys = new Map<Endpoint, string>();
    for (let i = 0; i < keys.length; i++) endpointKeys.set(sorted[i]!, keys[i]!);
    return {
      service: s,
      port,
      name: servicePortNameOf(s.namespace, s.name, port.name),
      protocol: port.protocol.toLowerCase(),
      clusterIP: s.clusterIP!,
      nodePort: port.nodePort ?? 0,
      externalIPs: s.externalIPs.filter(ipv4),
      loadBalancerVIPs: s.loadBalancerIPs.filter(ipv4),
      loadBalancerSourceRanges: sourceRanges,
      externalPolicyLocal,
      internalPolicyLocal: s.internalTrafficPolicy === 'Local',
      healthCheckNodePort: needsHealthCheck ? s.healthCheckNodePort ?? 0 : 0,
      affinitySeconds: s.sessionAffinity === 'ClientIP' ? s.sessionAffinityTimeout : undefined,
      endpoints: sorted,
      endpointKeys,
    };
  });
}

/** Go's string `<`: code-unit order, as byEndpoint compares `ip:port` strings. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** topology.go#CategorizeEndpoints without topology hints or terminating endpoints. */
function categorizeEndpoints(info: PortInfo, nodeName: string) {
  const externallyAccessible = info.nodePort !== 0 || info.loadBalancerVIPs.length > 0 || info.externalIPs.length > 0;
  const usesCluster = !info.internalPolicyLocal || externallyAccessible;
  const usesLocal = info.internalPolicyLocal || (info.externalPolicyLocal && externallyAccessible);
  const ready = info.endpoints.filter((ep) => ep.ready);
  // endpointslicecache#isLocal: the endpoint's nodeName is kube-proxy's node name (KP-14).
  const isLocal = (ep: Endpoint): boolean => nodeName !== '' && ep.nodeName === nodeName;
  const clusterEndpoints = usesCluster ? ready : [];
  const localEndpoints = usesLocal ? ready.filter(isLocal) : [];
  // Every service port uses Cluster or Local endpoints, so any ready endpoint anywhere counts.
  const hasEndpoints = ready.length > 0;
  // With no topology and no terminating endpoints, every local endpoint is also a cluster endpoint.
  const allReachable = usesCluster ? clusterEndpoints : localEndpoints;
  return { externallyAccessible, usesCluster, usesLocal, clusterEndpoints, localEndpoints, allReachable, hasEndpoints };
}

/**
 * Writes kube-proxy's chains for `node` (jumps from the built-in chains are inserted at the top, as
 * kube-proxy does with -I). The builder must be IPv4 and must not already hold kube-proxy's rules:
 * kube-proxy's iptables-restore flushes its chains, which a RulesetBuilder cannot do.
 */
export function writeKubeProxyRules(b: RulesetBuilder, node: KubeProxyNode, services: readonly ServiceEndpoints[], config: KubeProxyConfig = DEFAULT_KUBE_PROXY_CONFIG): void {
  if (b.family !== 'ipv4') throw new Error('hostnet bug: writeKubeProxyRules models the IPv4 proxier only; it was given an IPv6 ruleset');
  const before = b.build();
  for (const [table, chains] of [['filter', FILTER_RESTORE_CHAINS], ['nat', NAT_RESTORE_CHAINS]] as const) {
    for (const c of chains) {
      if ((findChain(before, table, c)?.rules.length ?? 0) > 0) throw new Error(`hostnet bug: writeKubeProxyRules was given a ruleset whose ${table} ${c} already holds rules`);
    }
  }

  const mark = markValue(config.masqueradeBit);
  const markMask = `${mark}/${mark}`;
  // server_linux.go#getLocalDetector: the first CIDR of the proxier's family (MapCIDRsByIPFamily reads CIDRs only).
  const detectorCIDR = config.clusterCIDRs.map((c) => c.trim()).filter((c) => c.includes('/')).map((c) => parseAddress(c)).find((p) => p?.family === 'ipv4');
  const detector = detectorCIDR ? formatAddress(detectorCIDR) : undefined;
  const ifLocal = detector ? ['-s', detector] : [];
  const npa = nodePortAddressesOf(config.nodePortAddresses);
  // NewProxier: localhost NodePorts only when --nodeport-addresses covers 127.0.0.0/8.
  const localhostNodePorts = config.localhostNodePorts && npa.containsIPv4Loopback;
  const nfacct = config.nfacctCounters ?? true;
  const nodeIP = node.ips.find(ipv4);

  // The jumps into the built-in chains, ensured one by one with -I (EnsureChain + EnsureRule(Prepend)).
  for (const jump of [...JUMP_CHAINS, ...KUBELET_JUMP_CHAINS]) {
    b.chain(jump.table, jump.dst);
    const args = [...jump.extra, ...(jump.comment ? ['-m', 'comment', '--comment', jump.comment] : []), '-j', jump.dst];
    if (!hasRule(b, jump.table, jump.src, args)) b.insert(jump.table, jump.src, args);
  }
  // utiliptables Monitor creates a canary chain in each table it watches, to notice a flush.
  for (const table of ['mangle', 'nat', 'filter'] as const) b.chain(table, KUBE_PROXY_CANARY);

  for (const c of FILTER_RESTORE_CHAINS) b.chain('filter', c);
  for (const c of NAT_RESTORE_CHAINS) b.chain('nat', c);
  const nat = (chain: string, args: readonly string[]): void => {
    b.chain('nat', chain).append('nat', chain, args);
  };
  const filter = (chain: string, args: readonly string[]): void => {
    b.chain('filter', chain).append('filter', chain, args);
  };

  // KP-3: KUBE-POSTROUTING masquerades marked packets once, clearing the mark first.
  nat(KUBE_POSTROUTING, ['-m', 'mark', '!', '--mark', markMask, '-j', 'RETURN']);
  nat(KUBE_POSTROUTING, ['-j', 'MARK', '--xor-mark', mark]);
  nat(KUBE_POSTROUTING, ['-m', 'comment', '--comment', 'kubernetes service traffic requiring SNAT', '-j', 'MASQUERADE', ...((config.randomFully ?? true) ? ['--random-fully'] : [])]);
  nat(KUBE_MARK_MASQ, ['-j', 'MARK', '--or-mark', mark]);

  if (localhostNodePorts) {
    // route_localnet opens 127.0.0.0/8 to other hosts (issue 90259); this rule, which kubelet also
    // writes, closes it. The restore rewrites the chain, so kubelet's identical copy stays single.
    const args = ['-m', 'comment', '--comment', 'block incoming localnet connections', '-d', '127.0.0.0/8', '!', '-s', '127.0.0.0/8', '-m', 'conntrack', '!', '--ctstate', 'RELATED,ESTABLISHED,DNAT', '-j', 'DROP'];
    if (!hasRule(b, 'filter', KUBE_FIREWALL, args)) filter(KUBE_FIREWALL, args);
  }

  const infos = services.flatMap(portInfos);
  const totalEndpoints = infos.reduce((n, i) => n + i.endpoints.length, 0);
  const largeClusterMode = totalEndpoints > LARGE_CLUSTER_ENDPOINTS_THRESHOLD;

  for (const info of infos) {
    const { name, protocol } = info;
    const port = String(info.port.port);
    const cat = categorizeEndpoints(info, node.name);
    const { hasEndpoints } = cat;
    const hash = portProtoHash(name, protocol);
    const clusterPolicyChain = `KUBE-SVC-${hash}`;
    const localPolicyChain = `KUBE-SVL-${hash}`;
    const externalTrafficChain = `KUBE-EXT-${hash}`;
    const fwChain = `KUBE-FW-${hash}`;
    const usesClusterPolicyChain = cat.clusterEndpoints.length > 0 && cat.usesCluster;
    const usesLocalPolicyChain = cat.localEndpoints.length > 0 && cat.usesLocal;

    // KP-4: clusterIP traffic goes to SVC (internalTrafficPolicy Cluster) or SVL (Local).
    const internalTrafficChain = info.internalPolicyLocal ? localPolicyChain : clusterPolicyChain;
    const hasInternalEndpoints = hasEndpoints && !(info.internalPolicyLocal && cat.localEndpoints.length === 0);
    const externalPolicyChain = info.externalPolicyLocal ? localPolicyChain : clusterPolicyChain;
    const hasExternalEndpoints = hasEndpoints && !(info.externalPolicyLocal && cat.localEndpoints.length === 0);
    const usesExternalTrafficChain = hasEndpoints && cat.externallyAccessible;
    const usesFWChain = hasEndpoints && info.loadBalancerVIPs.length > 0 && info.loadBalancerSourceRanges.length > 0;
    const loadBalancerTrafficChain = usesFWChain ? fwChain : externalTrafficChain;

    // KP-10: REJECT when the service has no endpoints at all, DROP when a Local policy finds none here.
    let internalFilter: [string, string] | undefined;
    let externalFilter: [string, string] | undefined;
    if (!hasEndpoints) {
      internalFilter = ['REJECT', `${name} has no endpoints`];
      externalFilter = internalFilter;
    } else {
      if (!hasInternalEndpoints) internalFilter = ['DROP', `${name} has no local endpoints`];
      if (!hasExternalEndpoints) externalFilter = ['DROP', `${name} has no local endpoints`];
    }
    // The service rules are written in iptables-save form (`-d ip/32 -p tcp -m comment … -m tcp
    // --dport …`), which normalizeRule keeps as it is; kube-proxy writes the same rule as
    // `-m comment … -m tcp -p tcp -d ip --dport …` (proxier.go#syncProxyRules).
    const toDest = (savedIP: string, comment: string, target: string): string[] =>
      ['-d', savedIP, '-p', protocol, '-m', 'comment', '--comment', comment, '-m', protocol, '--dport', port, '-j', target];

    const clusterIP = canonicalAddress(info.clusterIP, 'ipv4');
    const clusterIPComment = `${name} cluster IP`;

    // Capture the clusterIP.
    if (hasInternalEndpoints) {
      nat(KUBE_SERVICES, toDest(clusterIP, clusterIPComment, internalTrafficChain));
    } else {
      filter(KUBE_SERVICES, toDest(clusterIP, internalFilter![1], internalFilter![0]));
    }

    // Capture externalIPs.
    for (const ip of info.externalIPs) {
      if (hasEndpoints) nat(KUBE_SERVICES, toDest(canonicalAddress(ip, 'ipv4'), `${name} external IP`, externalTrafficChain));
      if (!hasExternalEndpoints) filter(KUBE_EXTERNAL_SERVICES, toDest(canonicalAddress(ip, 'ipv4'), externalFilter![1], externalFilter![0]));
    }

    // Capture load-balancer ingress (KP-12: through KUBE-FW when source ranges are set).
    for (const ip of info.loadBalancerVIPs) {
      if (hasEndpoints) nat(KUBE_SERVICES, toDest(canonicalAddress(ip, 'ipv4'), `${name} loadbalancer IP`, loadBalancerTrafficChain));
      if (usesFWChain) filter(KUBE_PROXY_FIREWALL, toDest(canonicalAddress(ip, 'ipv4'), `${name} traffic not accepted by ${fwChain}`, 'DROP'));
    }
    if (!hasExternalEndpoints) {
      for (const ip of info.loadBalancerVIPs) filter(KUBE_EXTERNAL_SERVICES, toDest(canonicalAddress(ip, 'ipv4'), externalFilter![1], externalFilter![0]));
    }

    // Capture nodeports (KP-7). NodePorts are not subject to loadBalancerSourceRanges.
    if (info.nodePort !== 0) {
      const nodePort = String(info.nodePort);
      if (hasEndpoints) {
        if (localhostNodePorts && nfacct) {
          nat(KUBE_NODEPORTS, ['-d', '127.0.0.0/8', '-p', protocol, '-m', 'comment', '--comment', name, '-m', protocol, '--dport', nodePort, '-m', 'nfacct', '--nfacct-name', LOCALHOST_NODEPORT_ACCEPTED_COUNTER, '-j', externalTrafficChain]);
        }
        nat(KUBE_NODEPORTS, ['-p', protocol, '-m', 'comment', '--comment', name, '-m', protocol, '--dport', nodePort, '-j', externalTrafficChain]);
      }
      if (!hasExternalEndpoints) {
        filter(KUBE_EXTERNAL_SERVICES, ['-m', 'comment', '--comment', externalFilter![1], '-m', 'addrtype', '--dst-type', 'LOCAL', '-m', protocol, '-p', protocol, '--dport', nodePort, '-j', externalFilter![0]]);
      }
    }

    // KP-11: the health check node port is accepted whether or not this node has local endpoints.
    if (info.healthCheckNodePort !== 0) {
      filter(KUBE_NODEPORTS, ['-m', 'comment', '--comment', `${name} health check node port`, '-m', 'tcp', '-p', 'tcp', '--dport', String(info.healthCheckNodePort), '-j', 'ACCEPT']);
    }

    // Internal traffic: mark what does not come from a local pod (or everything, with masqueradeAll).
    if (hasInternalEndpoints) {
      if (config.masqueradeAll) nat(internalTrafficChain, toDest(clusterIP, clusterIPComment, KUBE_MARK_MASQ));
      else if (detector) nat(internalTrafficChain, ['!', '-s', detector, '-d', clusterIP, '-p', protocol, '-m', 'comment', '--comment', clusterIPComment, '-m', protocol, '--dport', port, '-j', KUBE_MARK_MASQ]);
    }

    // External traffic: KP-8 (Cluster) and KP-9 (Local).
    if (usesExternalTrafficChain) {
      b.chain('nat', externalTrafficChain);
      if (!info.externalPolicyLocal) {
        nat(externalTrafficChain, ['-m', 'comment', '--comment', `masquerade traffic for ${name} external destinations`, '-j', KUBE_MARK_MASQ]);
      } else {
        if (detector) nat(externalTrafficChain, ['-m', 'comment', '--comment', `pod traffic for ${name} external destinations`, ...ifLocal, '-j', clusterPolicyChain]);
        nat(externalTrafficChain, ['-m', 'comment', '--comment', `masquerade LOCAL traffic for ${name} external destinations`, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', KUBE_MARK_MASQ]);
        nat(externalTrafficChain, ['-m', 'comment', '--comment', `route LOCAL traffic for ${name} external destinations`, '-m', 'addrtype', '--src-type', 'LOCAL', '-j', clusterPolicyChain]);
      }
      if (hasExternalEndpoints) nat(externalTrafficChain, ['-j', externalPolicyChain]);
    }

    // KP-12: the firewall chain lets the source ranges through; the rest falls off its end and is
    // dropped by KUBE-PROXY-FIREWALL in the filter table.
    if (usesFWChain) {
      const args = ['-m', 'comment', '--comment', `${name} loadbalancer IP`];
      let allowFromNode = false;
      const nodeAddress = nodeIP ? parseAddress(nodeIP) : undefined;
      for (const cidr of info.loadBalancerSourceRanges) {
        nat(fwChain, [...args, '-s', formatAddress(cidr), '-j', externalTrafficChain]);
        if (nodeAddress && contains(cidr, nodeAddress)) allowFromNode = true;
      }
      // A VIP-like LB address is often local to the node, so the node's own requests come back
      // with the VIP as source; let them through when the node itself is allowed.
      if (allowFromNode) {
        for (const ip of info.loadBalancerVIPs) nat(fwChain, [...args, '-s', ip, '-j', externalTrafficChain]);
      }
      nat(fwChain, ['-m', 'comment', '--comment', `other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL`]);
    }

    // Each endpoint's chain name is hashed once per port, as upstream keeps it on the endpoint info.
    const sepNames = new Map<Endpoint, string>();
    const sepOf = (ep: Endpoint): string => {
      let n = sepNames.get(ep);
      if (n === undefined) sepNames.set(ep, (n = servicePortEndpointChainName(name, protocol, info.endpointKeys.get(ep) ?? endpointString(ep))));
      return n;
    };
    if (usesClusterPolicyChain) writeServiceToEndpointRules(nat, info, clusterPolicyChain, cat.clusterEndpoints, largeClusterMode, sepOf);
    if (usesLocalPolicyChain) writeServiceToEndpointRules(nat, info, localPolicyChain, cat.localEndpoints, largeClusterMode, sepOf);

    // KP-6: one chain per endpoint: mark hairpin traffic, remember the client for affinity, DNAT.
    // Written in iptables-save form (addresses with /32, -s/-p first, recent's options in print
    // order); kube-proxy writes `-m comment … -s ip -j KUBE-MARK-MASQ` and `-m comment … -m recent
    // --name sep --set -m tcp -p tcp -j DNAT …`.
    for (const ep of cat.allReachable) {
      const chain = sepOf(ep);
      // ep.ip is an IPv4 address without a prefix (portInfos); normalizeRule fixes any other spelling.
      const src = `${ep.ip}/32`;
      const to = info.endpointKeys.get(ep) ?? endpointString(ep);
      if (largeClusterMode) {
        nat(chain, ['-s', src, '-j', KUBE_MARK_MASQ]);
        nat(chain, info.affinitySeconds !== undefined
          ? ['-p', protocol, '-m', 'recent', '--set', '--name', chain, '--mask', '255.255.255.255', '--rsource', '-m', protocol, '-j', 'DNAT', '--to-destination', to]
          : ['-p', protocol, '-m', protocol, '-j', 'DNAT', '--to-destination', to]);
      } else {
        nat(chain, ['-s', src, '-m', 'comment', '--comment', name, '-j', KUBE_MARK_MASQ]);
        nat(chain, info.affinitySeconds !== undefined
          ? ['-p', protocol, '-m', 'comment', '--comment', name, '-m', 'recent', '--set', '--name', chain, '--mask', '255.255.255.255', '--rsource', '-m', protocol, '-j', 'DNAT', '--to-destination', to]
          : ['-p', protocol, '-m', 'comment', '--comment', name, '-m', protocol, '-j', 'DNAT', '--to-destination', to]);
      }
    }
  }

  // KP-7: the tail call to KUBE-NODEPORTS, after every other service rule.
  if (npa.matchAll) {
    // Localhost NodePorts are blocked when not enabled (IPv4 needs route_localnet).
    const destinations = ['-m', 'addrtype', '--dst-type', 'LOCAL', ...(localhostNodePorts ? [] : ['!', '-d', '127.0.0.0/8'])];
    nat(KUBE_SERVICES, ['-m', 'comment', '--comment', NODEPORTS_LAST_RULE_COMMENT, ...destinations, '-j', KUBE_NODEPORTS]);
  } else {
    for (const ip of nodePortIPs(npa, node)) {
      // kube-proxy logs "--nodeport-addresses includes localhost but --iptables-localhost-nodeports=false was passed" and skips it.
      if (isLoopback(ip) && !localhostNodePorts) continue;
      nat(KUBE_SERVICES, ['-m', 'comment', '--comment', NODEPORTS_LAST_RULE_COMMENT, '-d', ip, '-j', KUBE_NODEPORTS]);
    }
  }

  // KP-13: KUBE-FORWARD.
  if (!config.conntrackTCPBeLiberal) {
    filter(KUBE_FORWARD, ['-m', 'conntrack', '--ctstate', 'INVALID', ...(nfacct ? ['-m', 'nfacct', '--nfacct-name', CT_STATE_INVALID_DROPPED_COUNTER] : []), '-j', 'DROP']);
  }
  filter(KUBE_FORWARD, ['-m', 'comment', '--comment', 'kubernetes forwarding rules', '-m', 'mark', '--mark', markMask, '-j', 'ACCEPT']);
  filter(KUBE_FORWARD, ['-m', 'comment', '--comment', 'kubernetes forwarding conntrack rule', '-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT']);
}

/**
 * NodePortAddresses#GetNodeIPs over the node's interface addresses, which hostnet knows as the
 * loopback address and the node IPs. Upstream returns them in map order; hostnet keeps CIDR order.
 */
function nodePortIPs(npa: NodePortAddresses, node: KubeProxyNode): string[] {
  const addresses = ['127.0.0.1', ...node.ips.filter(ipv4)];
  const out: string[] = [];
  for (const cidr of npa.cidrs) {
    for (const ip of addresses) {
      if (!out.includes(ip) && contains(cidr, parseAddress(ip)!)) out.push(ip);
    }
  }
  return out;
}

/** #writeServiceToEndpointRules (KP-5): affinity checks first, then one random-probability jump per endpoint. */
function writeServiceToEndpointRules(nat: (chain: string, args: readonly string[]) => void, info: PortInfo, svcChain: string, endpoints: readonly Endpoint[], largeClusterMode: boolean, sepOf: (ep: Endpoint) => string): void {
  // Above largeClusterEndpointsThreshold kube-proxy leaves out the per-endpoint comments.
  const comment = (ep: Endpoint): string[] => (largeClusterMode ? [] : ['-m', 'comment', '--comment', `${info.name} -> ${info.endpointKeys.get(ep) ?? endpointString(ep)}`]);
  if (info.affinitySeconds !== undefined) {
    for (const ep of endpoints) {
      const sep = sepOf(ep);
      nat(svcChain, [...comment(ep), '-m', 'recent', '--name', sep, '--rcheck', '--seconds', String(info.affinitySeconds), '--reap', '-j', sep]);
    }
  }
  // The probability is written as iptables-save prints it back (11 decimals of a 31-bit fraction).
  const n = endpoints.length;
  for (let i = 0; i < n; i++) {
    const ep = endpoints[i]!;
    const sep = sepOf(ep);
    if (largeClusterMode) {
      nat(svcChain, i < n - 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', savedProbability(n - i), '-j', sep] : ['-j', sep]);
    } else {
      const c = `${info.name} -> ${info.endpointKeys.get(ep) ?? endpointString(ep)}`;
      nat(svcChain, i < n - 1 ? ['-m', 'comment', '--comment', c, '-m', 'statistic', '--mode', 'random', '--probability', savedProbability(n - i), '-j', sep] : ['-m', 'comment', '--comment', c, '-j', sep]);
    }
  }
}

/** Whether `chain` already holds this rule (EnsureRule's `-C` check before `-I`). */
function hasRule(b: RulesetBuilder, table: TableName, chain: string, args: readonly string[]): boolean {
  const want = normalizeRule(args, b.family).join('\u0000');
  return findChain(b.build(), table, chain)?.rules.some((r) => r.join('\u0000') === want) ?? false;
}
