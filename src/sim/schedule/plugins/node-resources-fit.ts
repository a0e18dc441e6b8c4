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
    const a = node.allocatable;
    const r0 = pod.shape.requests;
    const u0 = node.requested;
    // The common case, decided without allocating.
    if (node.pods.length + 1 <= a.pods && r0.milliCPU <= a.milliCPU - u0.milliCPU && r0.memory <= a.memory - u0.memory
      && r0.ephemeralStorage <= a.ephemeralStorage - u0.ephemeralStorage) return SUCCESS;
    const reasons: string[] = [];
    if (node.pods.length + 1 > a.pods) reasons.push('Too many pods');
    const r = pod.shape.requests;
    const used = node.requested;
    if (r.milliCPU > 0 && r.milliCPU > a.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
    if (r.memory > 0 && r.memory > a.memory - used.memory) reasons.push('Insufficient memory');
    if (r.ephemeralStorage > 0 && r.ephemeralStorage > a.ephemeralStorage - used.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
    return reasons.length === 0 ? SUCCESS : unschedulable(Name, ...reasons);
  },
};
