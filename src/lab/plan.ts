/**
 * Pure: compile a modelled cluster (the placement's running pods and each node's iptables model)
 * into what the lab builds in network namespaces (lab README §3, §12): names, `ip -batch` lines,
 * iptables-restore text and whitelisted sysctls. Nothing here touches the system; lab.ts runs the
 * plan through exec.ts.
 *
 *   hnlab-<id>-fab          bridge br0 with the fabric gateway (first free address of the node subnet)
 *     └─ n<i>  ⇄  eth0 @ hnlab-<id>-<node>   node InternalIP, default route to the gateway
 *   hnlab-<id>-<node>       bridge cni0 = podCIDR .1, host-gw routes to the other podCIDRs
 *     └─ veth<hash8> ⇄ eth0 @ hnlab-<id>-<node>-p<k>   pod IP/prefix, default via cni0
 *
 * Every address lives only inside lab namespaces; links carry realistic names because they are
 * created inside those namespaces, never in the root one (veths are created already split).
 */
import { createHash } from 'node:crypto';
import type { Model } from '../model/model.js';
import { renderIptablesSave } from '../sim/dataplane/iptables-save.js';
import { formatIPv4, parseCIDR, parseIPv4 } from '../sim/dns/addresses.js';
import type { Simulations } from '../sim/simulations.js';
import { EXTERNAL_CLIENT } from '../sim/dataplane/reachability.js';
import { LAB_NS_RE } from './exec.js';

export const LAB_ID_RE = /^[a-z0-9]{1,12}$/;
/** IFNAMSIZ is 16 with the terminating NUL. */
export const MAX_LINK_NAME = 15;

export interface LabPodPlan {
  /** The pod's name as the placement made it, e.g. `Deployment default/web (pod 1 of 3)`. */
  readonly pod: string;
  readonly node: string;
  readonly ns: string;
  readonly ip: string;
  readonly prefix: number;
  /** The host-side veth in the node namespace. */
  readonly veth: string;
  /** `ip -n <pod ns> -batch` lines. */
  readonly lines: readonly string[];
}

export interface LabNodePlan {
  readonly node: string;
  readonly ns: string;
  readonly ip: string;
  readonly podCIDR?: string;
  /** cni0's address (podCIDR .1), when the node has a podCIDR. */
  readonly bridgeIp?: string;
  /** `ip -n <node ns> -batch` lines: fabric side, bridge, pod veths, routes. */
  readonly lines: readonly string[];
  /** The node's modelled ruleset as iptables-save text, for iptables-restore. */
  readonly iptables: string;
  /** nfacct objects the rules name (`-m nfacct`, KP-7); they must exist before the restore. */
  readonly nfacct: readonly string[];
  readonly sysctls: readonly (readonly [string, string])[];
  /** hostNetwork pods: processes in the node namespace, no namespace of their own (RT-6). */
  readonly hostNetworkPods: readonly string[];
}

/** A client-only pod namespace per node, at the address reachability.ts traces "a pod on <node>" from. */
export interface LabProbePod {
  readonly node: string;
  readonly ns: string;
  readonly ip: string;
  readonly prefix: number;
  readonly veth: string;
  readonly lines: readonly string[];
}

export interface LabPlan {
  readonly labId: string;
  readonly cluster: string;
  /** Every namespace, fabric first, then nodes, then pods. */
  readonly namespaces: readonly string[];
  /** `ip -batch` lines for the root namespace: `netns add` only. */
  readonly rootLines: readonly string[];
  readonly fabric: { readonly ns: string; readonly gateway: string; readonly prefix: number; readonly lines: readonly string[] };
  readonly nodes: readonly LabNodePlan[];
  readonly pods: readonly LabPodPlan[];
  /** Client pods for the probes, one per node with a podCIDR. */
  readonly probePods: readonly LabProbePod[];
  /** The fabric also holds this address, the client "outside the cluster" the traces use. */
  readonly externalClient: string;
  /** What the lab leaves out, as sentences. */
  readonly notes: readonly string[];
}

export type PlanResult = { readonly ok: true; readonly plan: LabPlan } | { readonly ok: false; readonly problems: readonly string[] };

const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** `a.b.c.d/n` exactly (the text reaches ip batch lines), masked to the network as Go's ParseCIDR does. */
function cidr4(s: string): { base: number; prefix: number } | undefined {
  const c = parseCIDR(s);
  const prefix = c ? 32 - Math.log2(c.size) : 0;
  return c && prefix >= 1 && prefix <= 30 ? { base: c.base, prefix } : undefined;
}

/** A node name as a namespace word: lowercase letters, digits, single dashes. */
export function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/** The host-side veth name of a pod: `veth` + 8 hex of sha256(pod), like the bridge plugin's random names. */
export function vethName(pod: string, salt = 0): string {
  return `veth${createHash('sha256').update(salt === 0 ? pod : `${pod}#${salt}`).digest('hex').slice(0, 8)}`;
}

export function planLab(labId: string, model: Model, sims: Simulations): PlanResult {
  const problems: string[] = [];
  if (!LAB_ID_RE.test(labId)) return { ok: false, problems: [`The lab id ${JSON.stringify(labId)} must be 1 to 12 lowercase letters or digits.`] };
  const cluster = model.cluster;
  const notes: string[] = [];
  const prefix = `hnlab-${labId}`;

  // Node addresses: the first IPv4 InternalIP of each node.
  const nodes = cluster.nodes.filter((n) => n.os === 'linux');
  for (const n of cluster.nodes) if (n.os !== 'linux') notes.push(`Node ${n.name} runs ${n.os}, so the lab leaves it out.`);
  const nodeIp = new Map<string, string>();
  for (const n of nodes) {
    const a = n.addresses.find((x) => x.type === 'InternalIP' && parseIPv4(x.address) !== undefined);
    if (!a) problems.push(`Node ${n.name} has no IPv4 InternalIP, so the lab cannot give it an address on the fabric.`);
    else nodeIp.set(n.name, a.address);
  }
  if (problems.length > 0) return { ok: false, problems };
  if (nodes.length === 0) return { ok: false, problems: ['The cluster has no Linux node, so there is nothing to build.'] };

  // The fabric subnet: the longest prefix (at most /24) holding every node address.
  const ips = [...nodeIp.values()].map((s) => parseIPv4(s)!);
  let fabPrefix = 24;
  while (fabPrefix > 8 && new Set(ips.map((x) => (x & mask(fabPrefix)) >>> 0)).size > 1) fabPrefix--;
  const fabBase = (ips[0]! & mask(fabPrefix)) >>> 0;
  if (new Set(ips).size !== ips.length) return { ok: false, problems: ['Two nodes share an InternalIP, so the lab cannot put both on one fabric.'] };
  let gw = fabBase + 1;
  while (ips.includes(gw)) gw++;
  const gateway = formatIPv4(gw);

  // Namespace words for nodes; fall back to n<i> when slugs collide with each other or with "fab".
  let words = nodes.map((n) => slug(n.name));
  if (new Set(words).size !== words.length || words.includes('fab') || words.some((w) => /-(p\d+|c|h\d+)$/.test(w))) words = nodes.map((_, i) => `n${i}`);
  const nodeNs = new Map(nodes.map((n, i) => [n.name, `${prefix}-${words[i]}`]));
  const fabNs = `${prefix}-fab`;

  // Pods with their own network namespace.
  const running = sims.running();
  const podsByNode = new Map<string, LabPodPlan[]>();
  const hostNet = new Map<string, string[]>();
  const nodeCidr = new Map<string, { base: number; prefix: number }>();
  for (const n of nodes) {
    if (!n.podCIDR) continue;
    const c = cidr4(n.podCIDR);
    if (c) nodeCidr.set(n.name, c);
    else notes.push(`Node ${n.name} has podCIDR ${JSON.stringify(n.podCIDR)}, which is not an IPv4 range the lab can use, so it gets no pod bridge.`);
  }
  const pods: LabPodPlan[] = [];
  for (const p of running) {
    if (!nodeNs.has(p.node)) continue;
    if (p.hostNetwork) {
      hostNet.set(p.node, [...(hostNet.get(p.node) ?? []), p.name]);
      continue;
    }
    const c = nodeCidr.get(p.node);
    const ip = parseIPv4(p.ip);
    if (!c || ip === undefined || ((ip & mask(c.prefix)) >>> 0) !== c.base) {
      notes.push(`${p.name} has IP ${p.ip}, outside the IPv4 podCIDR of node ${p.node}, so the lab gives it no namespace.`);
      continue;
    }
    const list = podsByNode.get(p.node) ?? [];
    const used = new Set(list.map((x) => x.veth));
    let salt = 0;
    let veth = vethName(p.name);
    while (used.has(veth)) veth = vethName(p.name, ++salt);
    const ns = `${nodeNs.get(p.node)!}-p${list.length + 1}`;
    const plan: LabPodPlan = {
      pod: p.name, node: p.node, ns, ip: p.ip, prefix: c.prefix, veth,
      lines: ['link set lo up', `addr add ${p.ip}/${c.prefix} dev eth0`, 'link set eth0 up', `route add default via ${formatIPv4(c.base + 1)}`],
    };
    list.push(plan);
    podsByNode.set(p.node, list);
    pods.push(plan);
  }
  // One probe client per node, at the podCIDR's last usable address (as reachability.ts picks it).
  const probePods: LabProbePod[] = [];
  for (const n of nodes) {
    const c = nodeCidr.get(n.name);
    if (!c || c.prefix > 30) continue;
    const ip = formatIPv4(c.base + 2 ** (32 - c.prefix) - 2);
    if (running.some((p) => !p.hostNetwork && p.ip === ip)) {
      notes.push(`A pod already holds ${ip} on ${n.name}, so the lab has no probe client there.`);
      continue;
    }
    const ns = `${nodeNs.get(n.name)!}-c`;
    probePods.push({ node: n.name, ns, ip, prefix: c.prefix, veth: vethName(`probe ${n.name}`),
      lines: ['link set lo up', `addr add ${ip}/${c.prefix} dev eth0`, 'link set eth0 up', `route add default via ${formatIPv4(c.base + 1)}`] });
  }
  if (pods.some((p) => p.veth.length > MAX_LINK_NAME)) problems.push('A link name is longer than 15 characters.');

  // The fabric stands for everything outside the cluster: it also holds the external client's address.
  const fabLines = ['link set lo up', 'link add br0 type bridge', `addr add ${gateway}/${fabPrefix} dev br0`, `addr add ${EXTERNAL_CLIENT}/32 dev br0`, 'link set br0 up'];
  const nodePlans: LabNodePlan[] = nodes.map((n, i) => {
    const ns = nodeNs.get(n.name)!;
    fabLines.push(`link add n${i} type veth peer name eth0 netns ${ns}`, `link set n${i} master br0`, `link set n${i} up`);
    const c = nodeCidr.get(n.name);
    const lines = ['link set lo up', `addr add ${nodeIp.get(n.name)!}/${fabPrefix} dev eth0`, 'link set eth0 up'];
    const bridgeIp = c ? formatIPv4(c.base + 1) : undefined;
    if (c) lines.push('link add cni0 type bridge', `addr add ${bridgeIp}/${c.prefix} dev cni0`, 'link set cni0 up');
    const mine = podsByNode.get(n.name) ?? [];
    // Pod ports in hairpin mode, as the CNI bridge plugin's hairpinMode sets them: a pod can reach
    // itself through a host port or a Service (lab README §4).
    for (const p of [...mine, ...probePods.filter((x) => x.node === n.name)]) {
      lines.push(`link add ${p.veth} type veth peer name eth0 netns ${p.ns}`, `link set ${p.veth} master cni0`, `link set ${p.veth} type bridge_slave hairpin on`, `link set ${p.veth} up`);
    }
    // host-gw: every other node's podCIDR via that node's address on the fabric.
    for (const other of nodes) {
      const oc = nodeCidr.get(other.name);
      if (other === n || !oc) continue;
      lines.push(`route add ${formatIPv4(oc.base)}/${oc.prefix} via ${nodeIp.get(other.name)!}`);
    }
    // A default route, so the route lookup before nat OUTPUT finds one for ClusterIPs (README §11.4).
    lines.push(`route add default via ${gateway}`);
    const dp = sims.dataplane(n.name);
    const iptables = dp ? renderIptablesSave(dp.ruleset) : '';
    const nfacct = [...new Set([...iptables.matchAll(/--nfacct-name\s+(\S+)/g)].map((m) => m[1]!))];
    const sysctls: [string, string][] = [['net.ipv4.ip_forward', '1']];
    // PM-7: portmap's ADD sets route_localnet=1 on the host-side interface of a pod with port mappings (IPv4).
    if (c && cluster.cni.portmap && dp?.sandboxes.some((s) => s.podIPv4 !== undefined && s.mappings.length > 0)) sysctls.push(['net.ipv4.conf.cni0.route_localnet', '1']);
    return { node: n.name, ns, ip: nodeIp.get(n.name)!, ...(c ? { podCIDR: `${formatIPv4(c.base)}/${c.prefix}`, bridgeIp: bridgeIp! } : {}), lines, iptables, nfacct, sysctls, hostNetworkPods: hostNet.get(n.name) ?? [] };
  });

  const namespaces = [fabNs, ...nodePlans.map((n) => n.ns), ...pods.map((p) => p.ns), ...probePods.map((p) => p.ns)];
  for (const ns of namespaces) if (!LAB_NS_RE.test(ns)) problems.push(`The namespace name ${ns} does not match ${LAB_NS_RE.source}.`);
  if (new Set(namespaces).size !== namespaces.length) problems.push('Two lab namespaces would have the same name.');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    plan: {
      labId, cluster: cluster.name, namespaces, rootLines: namespaces.map((ns) => `netns add ${ns}`),
      fabric: { ns: fabNs, gateway, prefix: fabPrefix, lines: fabLines }, nodes: nodePlans, pods, probePods, externalClient: EXTERNAL_CLIENT, notes,
    },
  };
}
