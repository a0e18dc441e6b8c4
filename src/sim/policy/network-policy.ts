/**
 * `networking.k8s.io/v1 NetworkPolicy` as far as DNS needs it: which policies select a pod, and
 * whether their egress rules let the pod's DNS queries (UDP 53 and TCP 53) reach the cluster DNS
 * pods or a NodeLocal DNSCache. Pure; malformed input matches nothing rather than throwing.
 *
 * Upstream semantics (kubernetes/api networking/v1/types.go, kubernetes/kubernetes
 * pkg/apis/networking/v1/defaults.go):
 * - `podSelector` selects pods of the policy's own namespace; an empty (or absent) selector selects
 *   all of them.
 * - `policyTypes` absent: Ingress always, Egress only when `egress` has at least one rule
 *   (`SetDefaults_NetworkPolicy`: `len(Spec.Egress) != 0`), so `egress: []` alone isolates nothing.
 * - A pod selected by at least one Egress policy may send only what some egress rule of some such
 *   policy allows. A rule's `ports` absent or empty = every port; `to` absent or empty = every
 *   destination. A port's protocol defaults to TCP, so UDP 53 must be written; a named port names
 *   a container port of the destination pod (CoreDNS and node-local-dns name theirs `dns` for UDP
 *   53 and `dns-tcp` for TCP 53).
 * - A peer with podSelector alone selects pods of the policy's namespace; with namespaceSelector,
 *   pods of the selected namespaces. Namespaces carry `kubernetes.io/metadata.name: <name>`
 *   automatically; other namespace labels are known only from Namespace objects in the manifests.
 *
 * Derived, not in the semantics document (hostnet's reading of the Kubernetes Network Policies
 * page and of how CNIs implement it):
 * - an ipBlock holding the cluster DNS Service IP does not help: kube-proxy rewrites the
 *   destination to a DNS pod's IP (DNAT) before the CNI's policy sees the packet in most CNIs;
 * - whether an ipBlock matches in-cluster pod IPs at all depends on the CNI (Calico: yes; Cilium by
 *   default: no);
 * - hostNetwork pods are not subject to NetworkPolicy in most CNIs ("NetworkPolicy and hostNetwork
 *   pods": the most common implementation treats their traffic as the node's), and a hostNetwork
 *   destination such as node-local-dns is not matched by pod or namespace selectors.
 */
import type { Cluster } from '../../model/cluster.js';
import { isRecord, type PodView } from '../../model/pod-view.js';
import { describeRef, refOf, type FieldPath, type KubeObject } from '../../model/types.js';
import { parseCIDR, parseIPv4 } from '../dns/addresses.js';
import { labelSelector, type Labels, type LabelSelector } from '../schedule/label-selector.js';

/** Where cluster DNS runs: kubeadm's CoreDNS Deployment, which keeps the kube-dns labels. */
export const DNS_NAMESPACE = 'kube-system';
export const DNS_POD_LABELS: Labels = Object.freeze({ 'k8s-app': 'kube-dns' });
/** The label every namespace carries (NamespaceDefaultLabelName, GA in v1.22). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export type PolicyType = 'Ingress' | 'Egress';
export type DnsProtocol = 'UDP' | 'TCP';

export interface PolicyPort {
  readonly index: number;
  /** After defaulting: TCP when absent. */
  readonly protocol: string;
  /** A number, a port name, or undefined for every port. */
  readonly port: number | string | undefined;
  readonly endPort: number | undefined;
}

export interface PolicyPeer {
  readonly index: number;
  readonly path: FieldPath;
  readonly podSelector: unknown;
  readonly namespaceSelector: unknown;
  readonly ipBlock?: { readonly cidr: unknown; readonly except: readonly unknown[] };
}

export interface EgressRule {
  readonly index: number;
  readonly path: FieldPath;
  /** Empty = every port. */
  readonly ports: readonly PolicyPort[];
  /** Empty = every destination. */
  readonly to: readonly PolicyPeer[];
}

export interface NetworkPolicy {
  readonly object: KubeObject;
  readonly namespace: string;
  /** `NetworkPolicy shop/default-deny`. */
  readonly ref: string;
  readonly podSelector: LabelSelector;
  /** The podSelector is `{}` or absent: every pod of the namespace. */
  readonly selectsAll: boolean;
  readonly policyTypes: readonly PolicyType[];
  readonly policyTypesWritten: boolean;
  readonly egress: readonly EgressRule[];
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function isEmptySelector(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (!isRecord(v)) return false;
  const ml = v.matchLabels;
  const me = v.matchExpressions;
  return (ml === undefined || ml === null || (isRecord(ml) && Object.keys(ml).length === 0)) && (me === undefined || me === null || (Array.isArray(me) && me.length === 0));
}

/** One NetworkPolicy object, or undefined for other kinds. */
export function parseNetworkPolicy(o: KubeObject): NetworkPolicy | undefined {
  if (o.kind !== 'NetworkPolicy' || o.apiVersion !== 'networking.k8s.io/v1') return undefined;
  const spec = isRecord(o.raw.spec) ? o.raw.spec : {};
  const rawSelector = spec.podSelector;
  // Absent podSelector defaults to the empty selector (types.go); labelSelector(undefined) matches nothing.
  const podSelector = rawSelector === undefined || rawSelector === null ? labelSelector({}) : labelSelector(rawSelector);
  const egressRaw = list(spec.egress);
  const written = Array.isArray(spec.policyTypes) && spec.policyTypes.length > 0;
  const policyTypes: PolicyType[] = written
    ? (spec.policyTypes as unknown[]).filter((t): t is PolicyType => t === 'Ingress' || t === 'Egress')
    : egressRaw.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  const egress: EgressRule[] = egressRaw.map((r, index) => {
    const rule = isRecord(r) ? r : {};
    const path: FieldPath = ['spec', 'egress', index];
    const ports = list(rule.ports).map((p, pi): PolicyPort => {
      const port = isRecord(p) ? p : {};
      const protocol = typeof port.protocol === 'string' && port.protocol !== '' ? port.protocol : 'TCP';
      const n = typeof port.port === 'number' || typeof port.port === 'string' ? port.port : undefined;
      return { index: pi, protocol, port: n, endPort: typeof port.endPort === 'number' ? port.endPort : undefined };
    });
    const to = list(rule.to).map((p, ti): PolicyPeer => {
      const peer = isRecord(p) ? p : {};
      const ipBlock = isRecord(peer.ipBlock) ? { cidr: peer.ipBlock.cidr, except: list(peer.ipBlock.except) } : undefined;
      return { index: ti, path: [...path, 'to', ti], podSelector: peer.podSelector, namespaceSelector: peer.namespaceSelector, ...(ipBlock ? { ipBlock } : {}) };
    });
    return { index, path, ports, to };
  });
  const namespace = o.namespace ?? 'default';
  return {
    object: o, namespace, ref: describeRef({ ...refOf(o), namespace }),
    podSelector, selectsAll: isEmptySelector(rawSelector),
    policyTypes, policyTypesWritten: written, egress,
  };
}

/** The NetworkPolicies and Namespace labels of a manifest set, indexed by namespace. */
export interface PolicyIndex {
  inNamespace(namespace: string): readonly NetworkPolicy[];
  /** A namespace's labels: `kubernetes.io/metadata.name` plus what a Namespace object in the manifests writes. */
  namespaceLabels(namespace: string): Labels;
  readonly size: number;
}

export function indexPolicies(objects: readonly KubeObject[]): PolicyIndex {
  const byNamespace = new Map<string, NetworkPolicy[]>();
  const nsLabels = new Map<string, Labels>();
  let size = 0;
  for (const o of objects) {
    if (o.kind === 'Namespace' && o.apiVersion === 'v1') {
      const meta = isRecord(o.raw.metadata) ? o.raw.metadata : {};
      const labels: Record<string, string> = {};
      if (isRecord(meta.labels)) for (const [k, v] of Object.entries(meta.labels)) if (v !== null && typeof v !== 'object') labels[k] = String(v);
      // The API server sets this label to the name whatever the manifest says.
      labels[NAMESPACE_NAME_LABEL] = o.name;
      nsLabels.set(o.name, Object.freeze(labels));
      continue;
    }
    const p = parseNetworkPolicy(o);
    if (!p) continue;
    let l = byNamespace.get(p.namespace);
    if (!l) byNamespace.set(p.namespace, (l = []));
    l.push(p);
    size++;
  }
  return {
    size,
    inNamespace: (ns) => byNamespace.get(ns) ?? [],
    namespaceLabels: (ns) => nsLabels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns },
  };
}

function podLabels(view: PodView): Labels {
  const out: Record<string, string> = {};
  const l = view.podMetadata.labels;
  if (isRecord(l)) for (const [k, v] of Object.entries(l)) if (v !== null && typeof v !== 'object') out[k] = String(v);
  return out;
}

const asIndex = (policies: readonly KubeObject[] | PolicyIndex): PolicyIndex => ('inNamespace' in policies ? policies : indexPolicies(policies));

/** Every NetworkPolicy (any policyTypes) whose podSelector selects this workload's pods. */
export function policiesSelecting(view: PodView, policies: readonly KubeObject[] | PolicyIndex): NetworkPolicy[] {
  const candidates = asIndex(policies).inNamespace(view.namespace);
  if (candidates.length === 0) return [];
  const labels = podLabels(view);
  return candidates.filter((p) => p.podSelector.matches(labels));
}

// ---------------------------------------------------------------------------------------------
// The DNS egress verdict

export type DnsDestination =
  /** The CoreDNS pods behind the kube-dns Service (what a pod reaches through the clusterDNS Service IP). */
  | { readonly kind: 'cluster-dns'; readonly serviceIP: string | undefined }
  /** A NodeLocal DNSCache: a hostNetwork pod on the pod's node listening on a link-local address. */
  | { readonly kind: 'node-local-dns'; readonly address: string };

export interface RuleRef {
  readonly policy: NetworkPolicy;
  readonly rule: EgressRule;
  /** A note on the match (an ipBlock matching pod IPs depends on the CNI). */
  readonly note?: string;
}

export interface ProtocolVerdict {
  readonly protocol: DnsProtocol;
  readonly allowed: boolean;
  /** The first egress rule that allows it (undefined when no Egress policy selects the pod). */
  readonly allowedBy?: RuleRef;
  /** Why each selecting policy and rule does not allow it (only when not allowed). */
  readonly reasons: readonly string[];
}

/** An ipBlock peer that holds the cluster DNS Service IP: it looks right and matches nothing (DNAT). */
export interface ServiceIPBlock {
  readonly policy: NetworkPolicy;
  readonly peer: PolicyPeer;
  readonly cidr: string;
}

export interface DnsEgressVerdict {
  /** not-isolated: no Egress policy selects the pod; isolated: at least one does; host-network: not subject (most CNIs). */
  readonly status: 'not-isolated' | 'isolated' | 'host-network';
  readonly destination: DnsDestination;
  /** Every policy that selects the pod, whatever its types. */
  readonly selecting: readonly NetworkPolicy[];
  /** The ones whose policyTypes include Egress. */
  readonly egressPolicies: readonly NetworkPolicy[];
  readonly udp: ProtocolVerdict;
  readonly tcp: ProtocolVerdict;
  /** UDP and TCP 53 are both allowed. */
  readonly allowed: boolean;
  readonly serviceIPBlocks: readonly ServiceIPBlock[];
  readonly notes: readonly string[];
}

export interface DnsEgressOptions {
  /** Default: the cluster DNS pods, reached through `cluster.clusterDNS[0]`. */
  readonly destination?: DnsDestination;
}

/** CoreDNS's (and node-local-dns's) container port names for port 53 (kubeadm manifests.go). */
const DNS_PORT_NAMES: Readonly<Record<DnsProtocol, string>> = { UDP: 'dns', TCP: 'dns-tcp' };

function portText(p: PolicyPort): string {
  if (p.port === undefined) return `${p.protocol} (every port)`;
  if (typeof p.port === 'string') return `${p.protocol} port "${p.port}"`;
  return p.endPort !== undefined ? `${p.protocol} ${p.port}-${p.endPort}` : `${p.protocol} ${p.port}`;
}

function portAllows(p: PolicyPort, protocol: DnsProtocol): boolean {
  if (p.protocol !== protocol) return false;
  if (p.port === undefined) return true;
  // A named port is looked up on the destination pod, with the port's protocol.
  if (typeof p.port === 'string') return p.port === DNS_PORT_NAMES[protocol];
  return p.port === 53 || (p.endPort !== undefined && p.port <= 53 && 53 <= p.endPort);
}

function selectorText(v: unknown): string {
  if (!isRecord(v)) return JSON.stringify(v);
  const parts: string[] = [];
  if (isRecord(v.matchLabels)) for (const [k, x] of Object.entries(v.matchLabels)) parts.push(`${k}=${String(x)}`);
  if (Array.isArray(v.matchExpressions)) {
    for (const e of v.matchExpressions) if (isRecord(e)) parts.push(`${String(e.key)} ${String(e.operator)}${Array.isArray(e.values) ? ` (${e.values.join(', ')})` : ''}`);
  }
  return parts.length === 0 ? '{}' : parts.join(', ');
}

const labelsText = (l: Labels): string => Object.entries(l).map(([k, v]) => `${k}=${v}`).join(', ');

function cidrContains(outer: { base: number; size: number }, inner: { base: number; size: number }): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

function cidrOverlaps(a: { base: number; size: number }, b: { base: number; size: number }): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

type PeerResult = { readonly ok: true; readonly note?: string } | { readonly ok: false; readonly why: string; readonly serviceIP?: string };

/** Does one peer include the destination? */
function peerMatches(peer: PolicyPeer, policy: NetworkPolicy, dest: DnsDestination, cluster: Cluster, index: PolicyIndex): PeerResult {
  const at = `to[${peer.index}]`;
  if (peer.ipBlock) {
    const cidrText = typeof peer.ipBlock.cidr === 'string' ? peer.ipBlock.cidr : String(peer.ipBlock.cidr);
    const cidr = typeof peer.ipBlock.cidr === 'string' ? parseCIDR(peer.ipBlock.cidr) : undefined;
    if (!cidr) return { ok: false, why: `${at} is ipBlock ${cidrText}, which hostnet cannot read as an IPv4 CIDR` };
    const excepts = peer.ipBlock.except.map((e) => (typeof e === 'string' ? parseCIDR(e) : undefined)).filter((e) => e !== undefined);
    const holds = (ip: string | undefined): boolean => {
      const n = ip === undefined ? undefined : parseIPv4(ip);
      if (n === undefined) return false;
      const one = { base: n, size: 1 };
      return cidrContains(cidr, one) && !excepts.some((e) => cidrContains(e, one));
    };
    if (dest.kind === 'node-local-dns') {
      // The cache is addressed directly: no Service, no DNAT (derived).
      return holds(dest.address) ? { ok: true } : { ok: false, why: `${at} is ipBlock ${cidrText}, which does not hold the NodeLocal DNSCache address ${dest.address}` };
    }
    const podNets = cluster.podCIDRs.map(parseCIDR).filter((c) => c !== undefined);
    const coversPods = podNets.length > 0 && podNets.every((c) => cidrContains(cidr, c) && !excepts.some((e) => cidrOverlaps(e, c)));
    if (coversPods) {
      return { ok: true, note: `${policy.ref} egress allows ipBlock ${cidrText}, which holds the whole pod network (${cluster.podCIDRs.join(', ')}); whether an ipBlock matches in-cluster pod IPs depends on the CNI (Calico: yes; Cilium by default: no)` };
    }
    if (holds(dest.serviceIP)) {
      return {
        ok: false, serviceIP: cidrText,
        why: `${at} is ipBlock ${cidrText}, which holds the cluster DNS Service IP ${dest.serviceIP}, but kube-proxy rewrites that destination to a DNS pod's IP (DNAT) before the policy sees the packet in most CNIs, so it matches nothing`,
      };
    }
    return { ok: false, why: `${at} is ipBlock ${cidrText}, which holds neither the DNS pods' network (${cluster.podCIDRs.join(', ') || 'unknown'}) nor the DNS Service IP` };
  }
  const hasPod = peer.podSelector !== undefined && peer.podSelector !== null;
  const hasNs = peer.namespaceSelector !== undefined && peer.namespaceSelector !== null;
  if (!hasPod && !hasNs) return { ok: false, why: `${at} names no podSelector, namespaceSelector or ipBlock (the API server rejects such a peer)` };
  if (dest.kind === 'node-local-dns') {
    return { ok: false, why: `${at} selects pods, but the NodeLocal DNSCache at ${dest.address} is a hostNetwork pod, which selectors do not match in most CNIs` };
  }
  const nsLabels = index.namespaceLabels(DNS_NAMESPACE);
  if (hasNs) {
    if (!labelSelector(peer.namespaceSelector).matches(nsLabels)) {
      return { ok: false, why: `${at} namespaceSelector (${selectorText(peer.namespaceSelector)}) does not match namespace ${DNS_NAMESPACE}, whose known labels are ${labelsText(nsLabels)} (label it, or select ${NAMESPACE_NAME_LABEL}: ${DNS_NAMESPACE})` };
    }
  } else if (policy.namespace !== DNS_NAMESPACE) {
    return { ok: false, why: `${at} podSelector (${selectorText(peer.podSelector)}) without a namespaceSelector selects pods of ${policy.namespace} only, and the DNS pods run in ${DNS_NAMESPACE}` };
  }
  if (hasPod && !labelSelector(peer.podSelector).matches(DNS_POD_LABELS)) {
    return { ok: false, why: `${at} podSelector (${selectorText(peer.podSelector)}) does not match the DNS pods' labels ${labelsText(DNS_POD_LABELS)}` };
  }
  return { ok: true };
}

type RuleResult = { readonly ok: true; readonly note?: string } | { readonly ok: false; readonly why: string };

function ruleAllows(rule: EgressRule, policy: NetworkPolicy, protocol: DnsProtocol, dest: DnsDestination, cluster: Cluster, index: PolicyIndex, serviceIPs: ServiceIPBlock[]): RuleResult {
  const at = `${policy.ref} egress[${rule.index}]`;
  if (rule.ports.length > 0 && !rule.ports.some((p) => portAllows(p, protocol))) {
    const named = rule.ports.find((p) => typeof p.port === 'string' && p.port === DNS_PORT_NAMES[protocol === 'UDP' ? 'TCP' : 'UDP'] && p.protocol === protocol);
    const hint = named ? ` (the DNS pods' port "${named.port}" is ${protocol === 'UDP' ? 'TCP' : 'UDP'}, so it names nothing for ${protocol})` : '';
    const udpHint = protocol === 'UDP' && rule.ports.some((p) => p.protocol === 'TCP' && (p.port === 53 || p.port === 'dns')) ? ' (protocol defaults to TCP, so UDP must be written)' : '';
    return { ok: false, why: `${at} allows only ${rule.ports.map(portText).join(', ')}, not ${protocol} 53${hint}${udpHint}` };
  }
  if (rule.to.length === 0) return { ok: true };
  const whys: string[] = [];
  for (const peer of rule.to) {
    const r = peerMatches(peer, policy, dest, cluster, index);
    if (r.ok) return r.note ? { ok: true, note: r.note } : { ok: true };
    whys.push(r.why);
    if (r.serviceIP && !serviceIPs.some((s) => s.peer === peer)) serviceIPs.push({ policy, peer, cidr: r.serviceIP });
  }
  return { ok: false, why: `${at} allows ${protocol} 53 but not to the DNS ${dest.kind === 'node-local-dns' ? 'cache' : 'pods'}: ${whys.join('; ')}` };
}

/**
 * Whether this workload's pods may send DNS queries (UDP 53 and TCP 53) to the cluster DNS pods
 * (or to a NodeLocal DNSCache), with the reasons. No Egress policy selecting the pod: allowed.
 */
export function dnsEgressVerdict(view: PodView, policies: readonly KubeObject[] | PolicyIndex, cluster: Cluster, options: DnsEgressOptions = {}): DnsEgressVerdict {
  const index = asIndex(policies);
  const destination: DnsDestination = options.destination ?? { kind: 'cluster-dns', serviceIP: cluster.clusterDNS[0] };
  const selecting = policiesSelecting(view, index);
  const egressPolicies = selecting.filter((p) => p.policyTypes.includes('Egress'));
  const notes: string[] = [];
  const open = (protocol: DnsProtocol): ProtocolVerdict => ({ protocol, allowed: true, reasons: [] });
  if (view.hostNetwork) {
    if (egressPolicies.length > 0) {
      notes.push(`${egressPolicies.map((p) => p.ref).join(', ')} select${egressPolicies.length === 1 ? 's' : ''} this pod for egress, but it is hostNetwork: most CNIs do not apply NetworkPolicy to hostNetwork pods and treat their traffic as the node's (Kubernetes docs, "NetworkPolicy and hostNetwork pods")`);
    }
    return { status: 'host-network', destination, selecting, egressPolicies, udp: open('UDP'), tcp: open('TCP'), allowed: true, serviceIPBlocks: [], notes };
  }
  if (egressPolicies.length === 0) {
    return { status: 'not-isolated', destination, selecting, egressPolicies, udp: open('UDP'), tcp: open('TCP'), allowed: true, serviceIPBlocks: [], notes };
  }
  const serviceIPBlocks: ServiceIPBlock[] = [];
  const verdict = (protocol: DnsProtocol): ProtocolVerdict => {
    const reasons: string[] = [];
    for (const policy of egressPolicies) {
      if (policy.egress.length === 0) {
        reasons.push(`${policy.ref} selects the pod for egress (${policy.selectsAll ? 'podSelector {} selects every pod of the namespace' : 'its podSelector matches the pod\'s labels'}) and has no egress rules, so it allows nothing`);
        continue;
      }
      for (const rule of policy.egress) {
        const r = ruleAllows(rule, policy, protocol, destination, cluster, index, serviceIPBlocks);
        if (r.ok) {
          if (r.note && !notes.includes(r.note)) notes.push(r.note);
          return { protocol, allowed: true, allowedBy: { policy, rule, ...(r.note ? { note: r.note } : {}) }, reasons: [] };
        }
        reasons.push(r.why);
      }
    }
    return { protocol, allowed: false, reasons };
  };
  const udp = verdict('UDP');
  const tcp = verdict('TCP');
  return { status: 'isolated', destination, selecting, egressPolicies, udp, tcp, allowed: udp.allowed && tcp.allowed, serviceIPBlocks, notes };
}
