/**
 * The pods the placement runs, with the address everything downstream sees for them: EndpointSlices,
 * kube-proxy's DNAT targets and cluster DNS answers. A hostNetwork pod's IP is its node's InternalIP
 * (RT-6); any other pod gets a stand-in from its node's podCIDR, the next free address in placement
 * order starting at `.2` (the first address is the network, `.1` is usually the bridge or gateway).
 * Pods without an address (no podCIDR on the node, no InternalIP, a full podCIDR) are left out, as
 * a pod without an IP is no endpoint (EPS-1).
 */
import type { Cluster, ClusterNode } from '../../model/cluster.js';
import { isRecord } from '../../model/pod-view.js';
import { formatIPv4, parseCIDR } from '../dns/addresses.js';
import type { Placement } from '../schedule/place.js';
import type { RunningPod } from './types.js';

/** Stand-in pod IPs: the next address of each node's podCIDR, in the order asked. */
function podIPAllocator(nodes: ReadonlyMap<string, ClusterNode>): (node: string) => string | undefined {
  const next = new Map<string, number>();
  return (nodeName) => {
    const node = nodes.get(nodeName);
    const c = node?.podCIDR ? parseCIDR(node.podCIDR) : undefined;
    if (!c) return undefined;
    const i = next.get(nodeName) ?? 2;
    next.set(nodeName, i + 1);
    return i < c.size - 1 ? formatIPv4(c.base + i) : undefined;
  };
}

/** The node's first InternalIP: what the kubelet reports as a hostNetwork pod's IP (RT-6). */
export function nodeInternalIP(node: ClusterNode | undefined): string | undefined {
  return node?.addresses.find((a) => a.type === 'InternalIP')?.address;
}

/** Every scheduled pod of the placement, workload by workload in placement order. */
export function runningPods(placement: Placement, cluster: Cluster): RunningPod[] {
  const nodes = new Map<string, ClusterNode>();
  for (const n of cluster.nodes) if (!nodes.has(n.name)) nodes.set(n.name, n);
  const allocate = podIPAllocator(nodes);
  const out: RunningPod[] = [];
  for (const w of placement.workloads) {
    const view = w.view;
    const spec = view.spec;
    const raw = isRecord(view.object.raw.spec) ? view.object.raw.spec : {};
    for (const p of w.pods) {
      if (p.phase !== 'Scheduled' || p.node === undefined) continue;
      const ip = view.hostNetwork ? nodeInternalIP(nodes.get(p.node)) : allocate(p.node);
      if (!ip) continue;
      // The StatefulSet controller names its pods <set>-<ordinal> and sets hostname to that name and
      // subdomain to spec.serviceName; other pods have only what their spec writes (EPS-3).
      const stateful = view.kind === 'StatefulSet';
      const hostname = stateful ? `${view.object.name}-${p.pod.ordinal}` : typeof spec.hostname === 'string' ? spec.hostname : undefined;
      const subdomain = stateful && typeof raw.serviceName === 'string' ? raw.serviceName : typeof spec.subdomain === 'string' ? spec.subdomain : undefined;
      out.push({
        view,
        name: p.pod.name,
        node: p.node,
        ip,
        hostNetwork: view.hostNetwork,
        ipStandIn: !view.hostNetwork,
        ...(hostname ? { hostname } : {}),
        ...(subdomain ? { subdomain } : {}),
      });
    }
  }
  return out;
}
