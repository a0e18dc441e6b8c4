/**
 * Requests against allocatable, pods against the node's pod limit. Upstream lists every
 * insufficient resource as its own reason. Ref: kubernetes/kubernetes
 * pkg/scheduler/framework/plugins/noderesources/fit.go#fitsRequest.
 */
import { SUCCESS, unschedulable, type FilterPlugin } from '../framework.js';

export const Name = 'NodeResourcesFit';

export const nodeResourcesFit: FilterPlugin = {
  name: Name,
  filter(_state, pod, node) {
    const reasons: string[] = [];
    const a = node.allocatable;
    if (node.pods.length + 1 > a.pods) reasons.push('Too many pods');
    const r = pod.shape.requests;
    const used = node.requested;
    if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
    if (r.memory > 0 && r.memory > a.memory - used.memory) reasons.push('Insufficient memory');
    if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
    return reasons.length === 0 ? SUCCESS : unschedulable(Name, ...reasons);
  },
};
