/**
 * The CNI portmap plugin's iptables backend (PM-1..9, PM-11) as a pure function: the sandboxes of
 * one node, in the order their CNI ADD ran, become the nat rules the plugin leaves on that node.
 * Plus the step before it: which port mappings the kubelet and containerd hand to CNI for a pod
 * (RT-1..3), and the pod sandboxes of hostnet's placement.
 *
 * The chain graph the plugin builds (all in the nat table):
 *
 *   PREROUTING, OUTPUT (appended):  -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
 *   CNI-HOSTPORT-DNAT:              -m comment … -m multiport -p tcp --destination-ports 8080,8081 -j CNI-DN-<hash>
 *   CNI-DN-<hash>, per mapping:     hairpin mark, localhost mark (IPv4), DNAT --to-destination <pod>:<port>
 *   POSTROUTING (prepended):        -m comment … -j CNI-HOSTPORT-MASQ
 *   CNI-HOSTPORT-MASQ:              -m mark --mark 0x2000/0x2000 -j MASQUERADE
 *   CNI-HOSTPORT-SETMARK:           -j MARK --set-xmark 0x2000/0x2000
 *
 * Upstream: containernetworking/plugins @ 3d27709f, plugins/meta/portmap: main.go (parseConfig,
 * cmdAdd, ensureBackend), portmap_iptables.go (forwardPorts, genToplevelDnatChain, genDnatChain,
 * fillDnatRules, genSetMarkChain, genMarkMasqChain), chain.go (chain.setup), utils.go
 * (groupByProto, splitPortList, trimComment, fmtIPPort), pkg/utils/iptables.go (InsertUnique).
 * The functions below carry the upstream names so a reader can hold them side by side.
 */
import { createHash } from 'node:crypto';
import type { ClusterNode, Cluster } from '../../model/cluster.js';
import type { PodView } from '../../model/pod-view.js';
import type { RunningPod } from '../services/types.js';
import { contains, formatIP, parseAddress } from './addresses.js';
import { CNI_HOSTPORT_DNAT, CNI_HOSTPORT_MASQ, CNI_HOSTPORT_SETMARK, portmapDnatChainName } from './chain-names.js';
import { normalizeRule } from './normalize.js';
import type { Family, RulesetBuilder } from './ruleset.js';

// ---------------------------------------------------------------------------------------------
// Configuration (PM-1)
// ---------------------------------------------------------------------------------------------

export interface PortmapConfig {
  /** CNI network name (the conflist's `name`, the cluster's `cni.name`): part of the chain hash and comment. */
  readonly netName: string;
  /** `snat`, default true: hairpin/localhost marking (PM-6) and route_localnet (PM-7). */
  readonly snat: boolean;
  /** `markMasqBit`, default 13 → mark 0x2000. Upstream rejects values outside 0..31. */
  readonly markMasqBit: number;
  /**
   * `externalSetMarkChain` (e.g. kube-proxy's `KUBE-MARK-MASQ`): mark rules jump there and the
   * plugin creates no SETMARK/MASQ chains. Upstream forbids writing it together with markMasqBit;
   * here markMasqBit always has a value and is ignored when this is set.
   */
  readonly externalSetMarkChain?: string;
  /** `masqAll`, default false: hairpin marking for every source (0.0.0.0/0, ::/0), no localhost rule. */
  readonly masqAll: boolean;
  /** Extra iptables match arguments appended to the entry rules into CNI-DN-<hash>. */
  readonly conditionsV4?: readonly string[];
  readonly conditionsV6?: readonly string[];
}

/** main.go#parseConfig defaults (`DefaultMarkBit = 13`; Kubernetes uses bits 14 and 15). */
export const DEFAULT_PORTMAP_CONFIG: Omit<PortmapConfig, 'netName'> = Object.freeze({ snat: true, markMasqBit: 13, masqAll: false });

/** The portmap configuration of a cluster whose CNI chain has portmap (RT-3), or undefined. */
export function portmapConfigOf(cluster: Cluster): PortmapConfig | undefined {
  return cluster.cni.portmap ? { ...DEFAULT_PORTMAP_CONFIG, netName: cluster.cni.name } : undefined;
}

export interface PortmapConfigProblem {
  /** The plugin's error text, as the runtime reports it after `plugin type="portmap" failed (add): `. */
  readonly pluginError: string;
  readonly message: string;
}

/** main.go#detectBackendOfConditions: an iptables condition starts with `-` or `!`. */
function conditionsBackend(conditions: readonly string[] | undefined): 'iptables' | 'nftables' | undefined {
  if (!conditions || conditions.length === 0 || conditions[0] === '') return undefined;
  return conditions[0]!.startsWith('-') || conditions[0]!.startsWith('!') ? 'iptables' : 'nftables';
}

/**
 * Configuration errors that make every ADD fail in parseConfig (so the plugin writes nothing and no
 * pod with host ports starts): the mark bit range, and nftables-style conditions given to the
 * iptables backend (main.go#ensureBackend).
 */
export function portmapConfigProblems(config: PortmapConfig): PortmapConfigProblem[] {
  const out: PortmapConfigProblem[] = [];
  if (config.externalSetMarkChain === undefined && (!Number.isInteger(config.markMasqBit) || config.markMasqBit < 0 || config.markMasqBit > 31)) {
    out.push({
      pluginError: 'failed to parse config: MasqMarkBit must be between 0 and 31',
      message: `The CNI portmap plugin's markMasqBit is ${config.markMasqBit}, but it must be between 0 and 31, so every pod with a host port fails its network setup.`,
    });
  }
  const wrong = [
    ...(conditionsBackend(config.conditionsV4) === 'nftables' ? ['conditionsV4'] : []),
    ...(conditionsBackend(config.conditionsV6) === 'nftables' ? ['conditionsV6'] : []),
  ];
  if (wrong.length > 0) {
    out.push({
      pluginError: `failed to parse config: iptables backend was requested but configuration contains nftables-specific options [${wrong.join(' ')}]`,
      message: `The CNI portmap plugin's ${wrong.join(' and ')} ${wrong.length > 1 ? 'are' : 'is'} written for nftables while the plugin uses iptables, so every pod with a host port fails its network setup.`,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inputs: port mappings and sandboxes (RT-1..3, PM-2, PM-3)
// ---------------------------------------------------------------------------------------------

/** One entry of the `portMappings` runtime capability, as containerd passes it (RT-3). */
export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  /** `tcp`, `udp` or `sctp`: lower-case, as containerd passes it. */
  readonly protocol: string;
  /** As written in the pod spec; `''` when absent. */
  readonly hostIP: string;
}

export interface Sandbox {
  /** The CNI container ID (the sandbox ID): part of the chain hash and comment. */
  readonly containerId: string;
  /** With the prefix length CNI's prevResult gives, e.g. `10.244.1.5/24`. */
  readonly podIPv4?: string;
  readonly podIPv6?: string;
  readonly mappings: readonly PortMapping[];
  /** Who this is, for messages: `Pod shop/web-0`. */
  readonly from: string;
}

/**
 * `net.ParseIP(s)` then `To4() != nil`: the family portmap files a hostIP under. Text that is no IP
 * counts as IPv6 (To4 of nil is nil, PM-4); an IPv4-mapped IPv6 address counts as IPv4.
 */
function goIPFamily(text: string): { family: Family; unspecified: boolean; parsed: boolean } {
  const a = text.includes('/') ? undefined : parseAddress(text);
  if (!a) return { family: 'ipv6', unspecified: false, parsed: false };
  if (a.family === 'ipv6' && a.value >> 32n === 0xffffn) return { family: 'ipv4', unspecified: (a.value & 0xffffffffn) === 0n, parsed: true };
  return { family: a.family, unspecified: a.value === 0n, parsed: true };
}

/** `utilsnet.IsIPv6String`, for the kubelet's de-duplication key (unparseable text is not IPv6). */
function isIPv6String(text: string): boolean {
  const g = goIPFamily(text);
  return g.parsed && g.family === 'ipv6';
}

function intOrZero(v: unknown): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : 0;
}

/** kuberuntime_sandbox.go#toRuntimeProtocol, then containerd's `strings.ToLower(Protocol.String())`. */
function runtimeProtocol(protocol: unknown): string {
  return protocol === 'UDP' ? 'udp' : protocol === 'SCTP' ? 'sctp' : 'tcp';
}

/**
 * The `portMappings` containerd passes to CNI for a pod (RT-1..3):
 * - none for hostNetwork pods: there is no CNI ADD at all (RT-3);
 * - only `spec.containers`: the kubelet's generatePodSandboxConfig (checked on current master, the
 *   version that takes a logger) still loops over `pod.Spec.Containers` only, so init containers,
 *   restartable sidecars included, never get a mapping (RT-2), although the scheduler reserves a
 *   sidecar's host port (SCHED-1);
 * - per container, `MakePortMappings` drops a repeated port name, or for unnamed ports a repeated
 *   (hostIP family, protocol, hostIP, containerPort, hostPort);
 * - the protocol becomes the runtime enum (unknown → TCP) and then lower-case; containerd's
 *   toCNIPortMappings drops `hostPort <= 0`; hostIP is passed as written.
 * Values that are not integers (which the API server would reject) count as 0.
 */
export function portMappingsOf(view: PodView): PortMapping[] {
  if (view.hostNetwork) return [];
  const out: PortMapping[] = [];
  for (const c of view.containers) {
    if (c.kind !== 'container') continue;
    const names = new Set<string>();
    for (const p of c.ports) {
      const hostPort = intOrZero(p.hostPort);
      const containerPort = intOrZero(p.containerPort);
      const hostIP = typeof p.hostIP === 'string' ? p.hostIP : '';
      const family = hostIP === '' ? 'any' : isIPv6String(hostIP) ? 'v6' : 'v4';
      const name = typeof p.name === 'string' && p.name !== '' ? p.name : `${family}-${String(p.protocol)}-${hostIP}:${containerPort}:${hostPort}`;
      if (names.has(name)) continue;
      names.add(name);
      if (hostPort <= 0) continue;
      out.push({ hostPort, containerPort, protocol: runtimeProtocol(p.protocol), hostIP });
    }
  }
  return out;
}

/** Stand-in sandbox ID: 64 hex characters like containerd's, the same for the same pod every run. */
export function standInContainerId(namespace: string, podName: string): string {
  return createHash('sha256').update(`hostnet sandbox ${namespace}/${podName}`, 'utf8').digest('hex');
}

/**
 * The address CNI's prevResult gives for a pod: the pod IP with the prefix length of the node's
 * podCIDR when it lies inside (host-local IPAM, as bridge and flannel use, reports the range's
 * subnet), a single-address prefix otherwise.
 */
function prevResultAddress(ip: string, podCIDR: string | undefined): string | undefined {
  const a = ip.includes('/') ? undefined : parseAddress(ip);
  if (!a) return undefined;
  const range = podCIDR ? parseAddress(podCIDR) : undefined;
  const bits = range && contains(range, a) ? range.bits : a.bits;
  return `${formatIP(a.family, a.value)}/${bits}`;
}

/**
 * The sandbox portmap sees for a running pod, or undefined for a hostNetwork pod (no CNI ADD,
 * RT-3). A pod without host ports still has a sandbox; its ADD is a no-op (PM-1).
 */
export function sandboxOf(pod: RunningPod, node?: ClusterNode): Sandbox | undefined {
  if (pod.hostNetwork || pod.view.hostNetwork) return undefined;
  const address = prevResultAddress(pod.ip, node?.podCIDR);
  const family = address === undefined ? undefined : parseAddress(address)!.family;
  return {
    containerId: standInContainerId(pod.view.namespace, pod.name),
    ...(family === 'ipv4' ? { podIPv4: address } : family === 'ipv6' ? { podIPv6: address } : {}),
    mappings: portMappingsOf(pod.view),
    from: pod.name,
  };
}

/** The sandboxes of the pods placed on `node`, in placement order (the order their ADD ran). */
export function sandboxesOnNode(pods: readonly RunningPod[], node: ClusterNode): Sandbox[] {
  const out: Sandbox[] = [];
  for (const p of pods) {
    if (p.node !== node.name) continue;
    const s = sandboxOf(p, node);
    if (s) out.push(s);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ADD failures (PM-2, PM-4)
// ---------------------------------------------------------------------------------------------

export interface PortmapProblem {
  readonly kind: 'invalid-container-port' | 'invalid-host-port' | 'host-ip-not-an-address';
  /** Index of the mapping in `sandbox.mappings`. */
  readonly index: number;
  readonly mapping: PortMapping;
  /**
   * undefined: parseConfig rejects the ADD before any rule is written (PM-2). A family: the ADD
   * fails while writing that family's CNI-DN chain; the shared chains written before stay.
   */
  readonly family?: Family;
  /**
   * The plugin's error, as the runtime reports it after `plugin type="portmap" failed (add): `.
   * The plugin stops at the first problem, so only the first one's text is ever shown.
   */
  readonly pluginError: string;
  readonly message: string;
}

const NEVER_STARTS = 'so the pod sandbox cannot be created and the pod stays in ContainerCreating';

/**
 * Why portmap's ADD fails for this sandbox, as values, in the order the plugin meets them:
 * - PM-2 (main.go#parseConfig): `containerPort <= 0`, then `hostPort <= 0`, per mapping;
 * - PM-4 (fillDnatRules): on a sandbox with an IPv6 address, a hostIP that is no IP address is
 *   classed IPv6 and written as `-d <hostIP>`; ip6tables then looks it up as a host name and fails
 *   (`host/network … not found`) unless the node resolves it. On IPv4 such a mapping is skipped.
 * No mappings: no problems (the ADD is a no-op, PM-1).
 */
export function portmapAddProblems(sandbox: Sandbox): PortmapProblem[] {
  const out: PortmapProblem[] = [];
  sandbox.mappings.forEach((m, index) => {
    if (m.containerPort <= 0) {
      out.push({
        kind: 'invalid-container-port', index, mapping: m,
        pluginError: `failed to parse config: Invalid container port number: ${m.containerPort}`,
        message: `${sandbox.from}: the CNI portmap plugin rejects host port ${m.hostPort}/${m.protocol} because its containerPort is ${m.containerPort} ("Invalid container port number"), ${NEVER_STARTS}.`,
      });
    }
    if (m.hostPort <= 0) {
      out.push({
        kind: 'invalid-host-port', index, mapping: m,
        pluginError: `failed to parse config: Invalid host port number: ${m.hostPort}`,
        message: `${sandbox.from}: the CNI portmap plugin rejects the mapping to container port ${m.containerPort}/${m.protocol} because its hostPort is ${m.hostPort} ("Invalid host port number"), ${NEVER_STARTS}.`,
      });
    }
  });
  if (sandbox.podIPv6 !== undefined) {
    sandbox.mappings.forEach((m, index) => {
      if (m.hostIP === '' || goIPFamily(m.hostIP).parsed) return;
      out.push({
        kind: 'host-ip-not-an-address', index, mapping: m, family: 'ipv6',
        pluginError: `unable to setup DNAT: ip6tables: host/network \`${m.hostIP}' not found`,
        message: `${sandbox.from}: hostIP "${m.hostIP}" of host port ${m.hostPort}/${m.protocol} is not an IP address, so the CNI portmap plugin hands it to ip6tables, which looks it up as a host name; unless the node resolves that name the rule cannot be added, ${NEVER_STARTS}.`,
      });
    });
  }
  return out;
}

/**
 * PM-7: whether the ADD sets `net.ipv4.conf.<host-side interface>.route_localnet=1`, which lets a
 * connection from the node to 127.0.0.1:<hostPort> reach the pod (IPv4 only, snat on).
 */
export function portmapSetsRouteLocalnet(sandbox: Sandbox, config: PortmapConfig): boolean {
  return config.snat && sandbox.podIPv4 !== undefined && sandbox.mappings.length > 0
    && portmapConfigProblems(config).length === 0 && portmapAddProblems(sandbox).length === 0;
}

// ---------------------------------------------------------------------------------------------
// Chains as data (portmap_iptables.go, chain.go)
// ---------------------------------------------------------------------------------------------

/** chain.go's `chain`: a chain, its rules, and the rules that jump to it from `entryChains`. */
export interface PortmapChain {
  readonly table: 'nat';
  readonly name: string;
  readonly entryChains: readonly string[];
  /** Rules placed in each entry chain; `-j <name>` is added when they are written. */
  readonly entryRules: readonly (readonly string[])[];
  readonly rules: readonly (readonly string[])[];
  /** Entry rules go to the top of the entry chains (`-I 1`) instead of the end. */
  readonly prependEntry: boolean;
}

/** The pod address the plugin forwards to (`containerNet`): family, IP as Go prints it, prefix length as given. */
export interface ContainerNet {
  readonly family: Family;
  readonly ip: string;
  readonly bits: number;
}

/** `10.244.1.5/24` → the ContainerNet; a bare address gets a single-address prefix. */
export function parseContainerNet(text: string): ContainerNet | undefined {
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const ip = parseAddress(ipText);
  if (!ip) return undefined;
  const width = ip.family === 'ipv4' ? 32 : 128;
  const bitsText = slash < 0 ? String(width) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) return undefined;
  return { family: ip.family, ip: formatIP(ip.family, ip.value), bits: Number(bitsText) };
}

/** `%#x/%#x` of 1<<bit, as genSetMarkChain and genMarkMasqChain write the mark. */
function markDef(markBit: number): string {
  const hex = `0x${(2 ** markBit).toString(16)}`;
  return `${hex}/${hex}`;
}

/** portmap_iptables.go#genSetMarkChain. */
export function genSetMarkChain(markBit: number): PortmapChain {
  return {
    table: 'nat', name: CNI_HOSTPORT_SETMARK, entryChains: [], entryRules: [], prependEntry: false,
    rules: [['-m', 'comment', '--comment', 'CNI portfwd masquerade mark', '-j', 'MARK', '--set-xmark', markDef(markBit)]],
  };
}

/** portmap_iptables.go#genMarkMasqChain: its POSTROUTING jump is prepended (so bridge/ptp masquerade rules cannot pre-empt it). */
export function genMarkMasqChain(markBit: number): PortmapChain {
  return {
    table: 'nat', name: CNI_HOSTPORT_MASQ, entryChains: ['POSTROUTING'], prependEntry: true,
    entryRules: [['-m', 'comment', '--comment', 'CNI portfwd requiring masquerade']],
    rules: [['-m', 'mark', '--mark', markDef(markBit), '-j', 'MASQUERADE']],
  };
}

/** portmap_iptables.go#genToplevelDnatChain: appended to PREROUTING and OUTPUT (PM-5, PM-11). */
export function genToplevelDnatChain(): PortmapChain {
  return {
    table: 'nat', name: CNI_HOSTPORT_DNAT, entryChains: ['PREROUTING', 'OUTPUT'], prependEntry: false,
    entryRules: [['-m', 'addrtype', '--dst-type', 'LOCAL']], rules: [],
  };
}

/** portmap_iptables.go#genDnatChain: the per-sandbox chain, still empty. */
export function genDnatChain(netName: string, containerId: string): PortmapChain {
  return { table: 'nat', name: portmapDnatChainName(netName, containerId), entryChains: [CNI_HOSTPORT_DNAT], entryRules: [], rules: [], prependEntry: false };
}

/** utils.go#trimComment: at most 255 characters, else 253 and `...` (the names are ASCII). */
function trimComment(value: string): string {
  return value.length <= 255 ? value : `${value.slice(0, 253)}...`;
}

/** utils.go#splitPortList: comma-joined groups of at most 15 ports, multiport's limit. */
export function splitPortList(ports: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ports.length; i += 15) out.push(ports.slice(i, i + 15).join(','));
  return out;
}

/** utils.go#fmtIPPort: IPv6 in brackets. */
function fmtIPPort(net: ContainerNet, port: number): string {
  return net.family === 'ipv6' ? `[${net.ip}]:${port}` : `${net.ip}:${port}`;
}

/**
 * portmap_iptables.go#fillDnatRules: the entry rules (one per protocol, sorted, and per group of
 * ≤15 host ports, over *all* mappings, including those skipped below for their hostIP's family)
 * and, per mapping in order, the hairpin mark, the localhost mark (IPv4, not masqAll) and the
 * DNAT (PM-4..6).
 */
export function fillDnatRules(chain: PortmapChain, config: PortmapConfig, containerId: string, mappings: readonly PortMapping[], net: ContainerNet): PortmapChain {
  const isV6 = net.family === 'ipv6';
  const comment = trimComment(`dnat name: "${config.netName}" id: "${containerId}"`);
  const setMarkChain = config.externalSetMarkChain ?? CNI_HOSTPORT_SETMARK;

  // groupByProto keeps the mappings' order inside a protocol; the protocols are sorted.
  const byProto = new Map<string, number[]>();
  for (const m of mappings) {
    const list = byProto.get(m.protocol);
    if (list) list.push(m.hostPort);
    else byProto.set(m.protocol, [m.hostPort]);
  }
  const conditions = (isV6 ? config.conditionsV6 : config.conditionsV4) ?? [];
  const entryRules: string[][] = [];
  for (const proto of [...byProto.keys()].sort()) {
    for (const spec of splitPortList(byProto.get(proto)!)) {
      entryRules.push(['-m', 'comment', '--comment', comment, '-m', 'multiport', '-p', proto, '--destination-ports', spec, ...conditions]);
    }
  }

  const rules: string[][] = [];
  for (const m of mappings) {
    let withDst = false;
    if (m.hostIP !== '') {
      const host = goIPFamily(m.hostIP);
      if (host.family !== net.family) continue; // PM-4: the other family's hostIP
      if (!host.unspecified) withDst = true; // 0.0.0.0 / :: mean every local address
    }
    const base = ['-p', m.protocol, '--dport', String(m.hostPort), ...(withDst ? ['-d', m.hostIP] : [])];
    if (config.snat) {
      const masqCIDR = config.masqAll ? (isV6 ? '::/0' : '0.0.0.0/0') : `${net.ip}/${net.bits}`;
      rules.push([...base, '-s', masqCIDR, '-j', setMarkChain]);
      if (!isV6 && !config.masqAll) rules.push([...base, '-s', '127.0.0.1', '-j', setMarkChain]);
    }
    rules.push([...base, '-j', 'DNAT', '--to-destination', fmtIPPort(net, m.containerPort)]);
  }
  return { ...chain, entryRules, rules };
}

// ---------------------------------------------------------------------------------------------
// Writing (chain.go#setup, portmap_iptables.go#forwardPorts)
// ---------------------------------------------------------------------------------------------

/** The rules already in the builder's nat table, keyed the way `iptables -C` compares them. */
class NatRules {
  private readonly present = new Set<string>();

  constructor(private readonly b: RulesetBuilder) {
    for (const t of b.build().tables) {
      if (t.name !== 'nat') continue;
      for (const c of t.chains) for (const r of c.rules) this.present.add(NatRules.key(c.name, r));
    }
  }

  private static key(chain: string, stored: readonly string[]): string {
    return `${chain}\u0001${stored.join('\u0000')}`;
  }

  /** pkg/utils/iptables.go#InsertUnique: add the rule unless an equal one is in the chain. */
  insertUnique(chain: string, prepend: boolean, args: readonly string[]): void {
    const key = NatRules.key(chain, normalizeRule(args, this.b.family));
    if (this.present.has(key)) return;
    this.present.add(key);
    if (prepend) this.b.insert('nat', chain, args);
    else this.b.append('nat', chain, args);
  }

  /** chain.go#setup: create the chain, add its rules, then the jumps in every entry chain. */
  setup(c: PortmapChain): void {
    this.b.chain('nat', c.name);
    for (const r of c.rules) this.insertUnique(c.name, false, r);
    for (const entry of c.entryChains) for (const r of c.entryRules) this.insertUnique(entry, c.prependEntry, [...r, '-j', c.name]);
  }
}

/**
 * Sandboxes in the order their ADD ran; writes the chains of PM-5/PM-6 for the builder's family.
 *
 * Per sandbox, as cmdAdd and forwardPorts do: nothing without mappings (PM-1) or without an
 * address of this family (PM-3); nothing when parseConfig fails (PM-2, portmapConfigProblems);
 * else, with snat and no external mark chain, CNI-HOSTPORT-SETMARK and CNI-HOSTPORT-MASQ, then
 * CNI-HOSTPORT-DNAT, then the sandbox's CNI-DN chain. Every rule goes in only if an equal one is
 * not there yet (InsertUnique), so the shared chains hold each rule once. When the ADD fails while
 * writing a CNI-DN chain (portmapAddProblems with a family), the runtime's DEL removes the
 * sandbox's CNI-DN chains and their jumps (PM-9); the shared chains written before stay. IPv4 is
 * forwarded before IPv6, so an IPv4 failure means IPv6 was never reached.
 */
export function writePortmapRules(b: RulesetBuilder, sandboxes: readonly Sandbox[], config: PortmapConfig): void {
  if (portmapConfigProblems(config).length > 0) return;
  const family = b.family;
  const nat = new NatRules(b);
  for (const s of sandboxes) {
    if (s.mappings.length === 0) continue;
    const problems = portmapAddProblems(s);
    if (problems.some((p) => p.family === undefined)) continue;
    const address = family === 'ipv4' ? s.podIPv4 : s.podIPv6;
    if (address === undefined) continue;
    const net = parseContainerNet(address);
    if (!net || net.family !== family) throw new Error(`hostnet bug: ${s.from} has pod address "${address}", which is not an ${family} address with a prefix`);
    const failsAt = problems.find((p) => p.family === 'ipv4')?.family ?? problems.find((p) => p.family === 'ipv6')?.family;
    if (failsAt === 'ipv4' && family === 'ipv6') continue;

    if (config.snat && config.externalSetMarkChain === undefined) {
      nat.setup(genSetMarkChain(config.markMasqBit));
      nat.setup(genMarkMasqChain(config.markMasqBit));
    }
    nat.setup(genToplevelDnatChain());
    if (failsAt !== undefined) continue;
    nat.setup(fillDnatRules(genDnatChain(config.netName, s.containerId), config, s.containerId, s.mappings, net));
  }
}
