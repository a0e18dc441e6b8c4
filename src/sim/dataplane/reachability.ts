/**
 * How a workload's ports are reached, proved by tracing packets through the modelled nodes: each
 * host port from outside the cluster, from another node, from a pod on another node, from a pod on
 * the same node (hairpin) and from the node itself (its address and 127.0.0.1); each Service that
 * selects it through its clusterIP from a pod and through its nodePort on a node with and without
 * an endpoint. Pure: it reads the simulations and traces; `hostnet explain` prints it.
 */
import type { Cluster, ClusterNode } from '../../model/cluster.js';
import type { PodView } from '../../model/pod-view.js';
import type { Simulations } from '../simulations.js';
import { isUnspecified, parseAddress, formatIP } from './addresses.js';
import { summarizeTrace } from './describe.js';
import { nodeAddresses } from './node-dataplane.js';
import { trace, type Origin, type Packet, type TraceResult } from './trace.js';

/** A client address outside the cluster (TEST-NET-3, RFC 5737). */
export const EXTERNAL_CLIENT = '203.0.113.10';

export interface ReachCase {
  /** `host port 8080/TCP`, `Service shop/web port 80/TCP (clusterIP)`. */
  readonly target: string;
  /** `from outside the cluster`, `from the node itself (127.0.0.1)` … */
  readonly from: string;
  readonly node: string;
  readonly packet: Packet;
  readonly origin: Origin;
  readonly result: TraceResult;
  /** The outcome in one line (describe.ts). */
  readonly outcome: string;
}

export interface Reachability {
  readonly cases: readonly ReachCase[];
  /** Why some cases could not be traced (no pod runs, kube-proxy not in iptables mode …). */
  readonly notes: readonly string[];
}

/** A Kubernetes protocol name (TCP, UDP, SCTP; TCP when unknown) as the tracer spells it. */
export const protocolOf = (p: string): Packet['protocol'] => (p.toLowerCase() === 'udp' ? 'udp' : p.toLowerCase() === 'sctp' ? 'sctp' : 'tcp');

/** An address in `node`'s podCIDR that no modelled pod holds: a client pod for the traces. */
function clientPodIP(node: ClusterNode): string | undefined {
  const c = node.podCIDR ? parseAddress(node.podCIDR) : undefined;
  if (!c || c.family !== 'ipv4' || c.bits > 30) return undefined;
  const size = 1n << BigInt(32 - c.bits);
  return formatIP('ipv4', c.value + size - 2n);
}

function firstIP(node: ClusterNode): string | undefined {
  return nodeAddresses(node)[0];
}

export function reachability(view: PodView, sims: Simulations, cluster: Cluster): Reachability {
  const notes: string[] = [];
  const cases: ReachCase[] = [];
  const mine = sims.running().filter((p) => p.view === view);
  if (mine.length === 0) return { cases, notes: ['No pod of this workload runs in the placement, so there is nothing to reach.'] };
  const home = cluster.nodes.find((n) => n.name === mine[0]!.node)!;
  const other = cluster.nodes.find((n) => n.name !== home.name && !mine.some((p) => p.node === n.name)) ?? cluster.nodes.find((n) => n.name !== home.name);
  const dp = sims.dataplane(home.name);
  if (!dp) return { cases, notes };
  notes.push(...dp.notes);
  const homeIP = firstIP(home);
  const run = (target: string, from: string, node: string, packet: Packet, origin: Origin): void => {
    const d = sims.dataplane(node);
    if (!d) return;
    const result = trace(d.ruleset, packet, origin, d.env);
    cases.push({ target, from, node, packet, origin, result, outcome: summarizeTrace(result) });
  };

  const seen = new Set<string>();
  for (const hp of view.hostPorts) {
    if (hp.container.kind === 'initContainer' && !view.hostNetwork) continue;
    const key = `${hp.protocol}/${hp.hostIP}/${hp.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const protocol = protocolOf(hp.protocol);
    const written = typeof hp.portView.hostIP === 'string' && hp.portView.hostIP !== '' && !isUnspecified(hp.portView.hostIP) ? hp.portView.hostIP : undefined;
    const dst = written ?? homeIP;
    if (!dst) continue;
    const target = `${view.hostNetwork ? 'port' : 'host port'} ${hp.port}/${hp.protocol} on ${home.name} (${dst})`;
    const packet = (src: string, to = dst): Packet => ({ src, dst: to, protocol, dport: hp.port });
    run(target, 'from outside the cluster', home.name, packet(EXTERNAL_CLIENT), { kind: 'external' });
    const otherIP = other ? firstIP(other) : undefined;
    if (other && otherIP) run(target, `from node ${other.name}`, home.name, packet(otherIP), { kind: 'external' });
    const clientPod = other ? clientPodIP(other) : undefined;
    if (other && clientPod) run(target, `from a pod on ${other.name}`, home.name, packet(clientPod), { kind: 'external' });
    if (!view.hostNetwork) {
      run(target, 'from the pod itself (hairpin)', home.name, packet(mine[0]!.ip), { kind: 'pod', podIP: mine[0]!.ip });
      if (!notes.some((n) => n.startsWith('Hairpin'))) {
        notes.push('Hairpin traffic (a pod reaching itself through a host port or a Service) also needs its bridge port in hairpin mode (the CNI bridge plugin\'s hairpinMode setting); the trace covers the iptables rules only, and without hairpin mode the bridge never sends the packet back out of the port it came in on, so the connection times out.');
      }
    }
    if (homeIP) run(target, 'from the node itself', home.name, packet(homeIP), { kind: 'node' });
    run(target, 'from the node itself to 127.0.0.1', home.name, packet('127.0.0.1', '127.0.0.1'), { kind: 'node' });
  }

  if (cluster.proxyMode !== 'iptables') {
    notes.push(`Services are not traced: kube-proxy runs in ${cluster.proxyMode} mode and only the iptables mode is modelled.`);
    return { cases, notes };
  }
  const homePod = clientPodIP(home);
  for (const se of sims.endpoints()) {
    if (!se.selected.some((p) => p.view === view)) continue;
    const svc = se.service;
    for (const pe of se.ports) {
      const protocol = protocolOf(pe.port.protocol);
      const name = `Service ${svc.namespace}/${svc.name} port ${pe.port.port}/${pe.port.protocol}`;
      if (svc.clusterIP && homePod) {
        run(`${name} (clusterIP ${svc.clusterIP}${svc.clusterIPStandIn ? ', a stand-in' : ''})`, `from a pod on ${home.name}`, home.name,
          { src: homePod, dst: svc.clusterIP, protocol, dport: pe.port.port }, { kind: 'pod', podIP: homePod });
      }
      if (pe.port.nodePort === undefined) continue;
      const withEndpoint = new Set(pe.endpoints.map((e) => e.nodeName));
      const nodes = [home, cluster.nodes.find((n) => !withEndpoint.has(n.name))].filter((n): n is ClusterNode => n !== undefined);
      for (const n of nodes) {
        const ip = firstIP(n);
        if (!ip) continue;
        run(`${name} (nodePort ${pe.port.nodePort}${pe.port.nodePortStandIn ? ', a stand-in' : ''}, externalTrafficPolicy ${svc.externalTrafficPolicy})`,
          `from outside the cluster to ${n.name}${withEndpoint.has(n.name) ? '' : ' (no endpoint there)'}`, n.name,
          { src: EXTERNAL_CLIENT, dst: ip, protocol, dport: pe.port.nodePort }, { kind: 'external' });
      }
    }
  }
  return { cases, notes };
}
