/**
 * Host ports: SCHED-1 (which ports count: regular containers and restartable init containers),
 * SCHED-2 (0.0.0.0 for an empty hostIP, raw-string hostIP), SCHED-3 (the wildcard conflict rule),
 * SCHED-5 (reason text; a pod without host ports skips the plugin).
 * Ref: kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeports/node_ports.go.
 */
import { SKIP, SUCCESS, unschedulable, type FilterPlugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PortHolder } from '../host-port-info.js';
import type { SchedPod } from '../sched-pod.js';

export const Name = 'NodePorts';
export const ErrReason = "node(s) didn't have free ports for the requested pod ports";

/** Which pods on the node hold the ports this pod wants. */
export function portConflicts(pod: SchedPod, node: NodeInfo): PortHolder<SchedPod>[] {
  const out: PortHolder<SchedPod>[] = [];
  for (const hp of pod.shape.hostPorts) out.push(...node.usedPorts.conflicts(hp.hostIP, hp.protocol, hp.port));
  return out;
}

export const nodePorts: FilterPlugin = {
  name: Name,
  preFilter(_state, pod) {
    return { status: pod.shape.hostPorts.length === 0 ? SKIP : SUCCESS };
  },
  filter(_state, pod, node) {
    for (const hp of pod.shape.hostPorts) {
      if (node.usedPorts.conflicts(hp.hostIP, hp.protocol, hp.port).length > 0) return unschedulable(Name, ErrReason);
    }
    return SUCCESS;
  },
};
