/**
 * The DaemonSet controller's own placement: which nodes should run a daemon pod (DS-1), the
 * tolerations it adds (DS-3), and the node pinning that replaces the template's required node
 * affinity (DS-2). Host ports and resources are not its business; the scheduler checks them.
 * Ref: kubernetes/kubernetes pkg/controller/daemon/daemon_controller.go#NodeShouldRunDaemonPod,
 * pkg/controller/daemon/util/daemonset_util.go#AddOrUpdateDaemonPodTolerations.
 */
import type { ClusterNode } from '../../model/cluster.js';
import { ErrReasonPod, matchesNodeAffinity } from './plugins/node-affinity.js';
import { untoleratedTaint, untoleratedTaintReason } from './plugins/taint-toleration.js';
import { ErrReason as ErrReasonNodeName } from './plugins/node-name.js';
import type { PodShape, Toleration } from './sched-pod.js';

const exists = (key: string, effect: string): Toleration => ({ key, operator: 'Exists', value: '', effect });

/** DS-3: the tolerations every daemon pod gets; network-unavailable only with hostNetwork. */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const out = [
    exists('node.kubernetes.io/not-ready', 'NoExecute'),
    exists('node.kubernetes.io/unreachable', 'NoExecute'),
    exists('node.kubernetes.io/disk-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/memory-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/pid-pressure', 'NoSchedule'),
    exists('node.kubernetes.io/unschedulable', 'NoSchedule'),
  ];
  if (hostNetwork) out.push(exists('node.kubernetes.io/network-unavailable', 'NoSchedule'));
  return out;
}

/** The shape of the pods the controller creates: DS-3 tolerations added, required node affinity replaced by pinning (DS-2). */
export function daemonPodShape(template: PodShape): PodShape {
  const have = new Set(template.tolerations.map((t) => `${t.key}\u0000${t.effect}\u0000${t.operator}`));
  const added = daemonTolerations(template.view.hostNetwork).filter((t) => !have.has(`${t.key}\u0000${t.effect}\u0000${t.operator}`));
  return { ...template, tolerations: [...template.tolerations, ...added], requiredNodeAffinity: undefined };
}

export interface ShouldRun {
  readonly node: ClusterNode;
  readonly shouldRun: boolean;
  /** Why not, in the scheduler's words. */
  readonly reason?: string;
}

/** DS-1: nodeName, node selector and required affinity, then taints after the DS-3 tolerations. */
export function nodeShouldRunDaemonPod(template: PodShape, node: ClusterNode): ShouldRun {
  if (template.nodeName !== undefined && template.nodeName !== node.name) return { node, shouldRun: false, reason: ErrReasonNodeName };
  if (!matchesNodeAffinity(template, node)) return { node, shouldRun: false, reason: ErrReasonPod };
  const tolerations = [...template.tolerations, ...daemonTolerations(template.view.hostNetwork)];
  const taint = untoleratedTaint(node.taints, tolerations);
  if (taint) return { node, shouldRun: false, reason: untoleratedTaintReason(taint) };
  return { node, shouldRun: true };
}
