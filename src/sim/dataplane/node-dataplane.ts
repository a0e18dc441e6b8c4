/**
 * One node's packet filter as the modelled cluster would leave it: kube-proxy's chains (KP-*) for
 * the Services and their endpoints, then portmap's (PM-*) for every pod on the node with host
 * ports, in the order the pods were started. kube-proxy inserts its jumps at the top of the
 * built-in chains and portmap appends its own, so writing kube-proxy first and portmap second
 * gives the order a node has once both ran (PM-11). Also the facts the tracer needs about the
 * node: which addresses are local and where every address lives.
 */
import type { Cluster, ClusterNode } from '../../model/cluster.js';
import type { RunningPod, ServiceEndpoints } from '../services/types.js';
import { isLoopback, parseAddress } from './addresses.js';
import { DEFAULT_KUBE_PROXY_CONFIG, writeKubeProxyRules } from './kube-proxy.js';
import { portmapConfigOf, portmapSetsRouteLocalnet, sandboxesOnNode, writePortmapRules, type Sandbox } from './portmap.js';
import { RulesetBuilder, type Ruleset } from './ruleset.js';
import type { TraceEnv } from './trace.js';

export interface NodeDataplane {
  readonly node: ClusterNode;
  readonly ruleset: Ruleset;
  /** Pods on this node whose host ports portmap maps, in start order. */
  readonly sandboxes: readonly Sandbox[];
  readonly env: TraceEnv;
  /** What the model leaves out, said once (kube-proxy off, no portmap …). */
  readonly notes: readonly string[];
}

export interface DataplaneInputs {
  readonly cluster: Cluster;
  readonly running: readonly RunningPod[];
  readonly endpoints: readonly ServiceEndpoints[];
}

/** The node addresses the cluster describes (InternalIP, ExternalIP). */
export function nodeAddresses(node: ClusterNode): string[] {
  return node.addresses.filter((a) => a.type === 'InternalIP' || a.type === 'ExternalIP').map((a) => a.address);
}

const key = (ip: string): string => {
  const a = parseAddress(ip);
  return a ? `${a.family}/${a.value}` : ip;
};

/** Where every address of the model lives: node addresses and pod IPs. */
export function addressBook(inputs: DataplaneInputs): TraceEnv['locate'] {
  const where = new Map<string, ReturnType<TraceEnv['locate']>>();
  for (const n of inputs.cluster.nodes) for (const ip of nodeAddresses(n)) where.set(key(ip), { kind: 'node', node: n.name });
  for (const p of inputs.running) if (!p.hostNetwork) where.set(key(p.ip), { kind: 'pod', node: p.node, pod: p.name });
  return (ip) => where.get(key(ip)) ?? { kind: 'unknown' };
}

export function nodeDataplane(node: ClusterNode, inputs: DataplaneInputs, locate: TraceEnv['locate'] = addressBook(inputs)): NodeDataplane {
  const { cluster } = inputs;
  const b = new RulesetBuilder('ipv4');
  const notes: string[] = [];
  const ips = nodeAddresses(node);
  if (cluster.proxyMode === 'iptables') {
    writeKubeProxyRules(b, { name: node.name, ips }, inputs.endpoints, { ...DEFAULT_KUBE_PROXY_CONFIG, clusterCIDRs: cluster.podCIDRs });
  } else {
    notes.push(`kube-proxy runs in ${cluster.proxyMode} mode on this cluster, so hostnet models no Service rules here; only the iptables mode is modelled.`);
  }
  const portmap = portmapConfigOf(cluster);
  const sandboxes: Sandbox[] = portmap ? sandboxesOnNode(inputs.running, node).filter((sb) => sb.mappings.length > 0) : [];
  if (portmap) writePortmapRules(b, sandboxes, portmap);
  else notes.push(`The CNI chain (${cluster.cni.name}) has no portmap plugin, so no host port is forwarded on this node (RT-3).`);
  const local = new Set(ips.map(key));
  return {
    node,
    ruleset: b.build(),
    sandboxes,
    notes,
    env: {
      node: node.name,
      isLocal: (ip) => isLoopback(ip) || local.has(key(ip)),
      locate,
      // portmap sets route_localnet on the pod's host-side interface (PM-7) and kube-proxy on all
      // interfaces for localhost NodePorts (KP-7); either lets 127.0.0.1 be DNATed off the node.
      routeLocalnet: (cluster.proxyMode === 'iptables' && DEFAULT_KUBE_PROXY_CONFIG.localhostNodePorts)
        || (portmap !== undefined && sandboxes.some((sb) => portmapSetsRouteLocalnet(sb, portmap))),
    },
  };
}
