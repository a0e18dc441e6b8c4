/**
 * nodeSelector and required node affinity. Ref: kubernetes/kubernetes
 * pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go (Filter, PreFilter,
 * getPreFilterNodeNames).
 */
import { SUCCESS, unresolvable, type FilterPlugin } from '../framework.js';
import { matchesMap, matchesNodeSelectorTerms, pinnedNodeNames } from '../label-selector.js';
import type { PodShape } from '../sched-pod.js';
import type { ClusterNode } from '../../../model/cluster.js';

export const Name = 'NodeAffinity';
export const ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

export function matchesNodeAffinity(shape: PodShape, node: ClusterNode): boolean {
  if (!matchesMap(node.labels, shape.nodeSelector)) return false;
  return shape.requiredNodeAffinity === undefined || matchesNodeSelectorTerms(shape.requiredNodeAffinity, node.labels, node.name);
}

export const nodeAffinity: FilterPlugin = {
  name: Name,
  preFilter(_state, pod) {
    // DS-2: a daemon pod's required affinity is the single term naming its node.
    if (pod.pinnedTo !== undefined) return { status: SUCCESS, nodeNames: new Set([pod.pinnedTo]) };
    const terms = pod.shape.requiredNodeAffinity;
    const pinned = terms && pinnedNodeNames(terms);
    return pinned ? { status: SUCCESS, nodeNames: pinned } : { status: SUCCESS };
  },
  filter(_state, pod, node) {
    if (pod.pinnedTo !== undefined && pod.pinnedTo !== node.name) return unresolvable(Name, ErrReasonPod);
    return matchesNodeAffinity(pod.shape, node.node) ? SUCCESS : unresolvable(Name, ErrReasonPod);
  },
};
