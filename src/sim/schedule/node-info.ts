/**
 * One node during placement: the node, the pods on it, the host ports they hold and the resources
 * they request. Ref: kubernetes/kubernetes pkg/scheduler/framework/types.go#NodeInfo.
 */
import type { ClusterNode } from '../../model/cluster.js';
import { HostPortInfo } from './host-port-info.js';
import { milliCPU, parseQuantity } from './quantity.js';
import type { Requests, SchedPod } from './sched-pod.js';

export interface Allocatable extends Requests {
  readonly pods: number;
}

export function allocatableOf(node: ClusterNode): Allocatable {
  const a = node.allocatable;
  return {
    milliCPU: milliCPU(a.cpu) ?? Number.MAX_SAFE_INTEGER,
    memory: parseQuantity(a.memory) ?? Number.MAX_SAFE_INTEGER,
    ephemeralStorage: parseQuantity(a['ephemeral-storage']) ?? Number.MAX_SAFE_INTEGER,
    // The kubelet's default maxPods.
    pods: parseQuantity(a.pods) ?? 110,
  };
}

export class NodeInfo {
  readonly pods: SchedPod[] = [];
  readonly usedPorts = new HostPortInfo<SchedPod>();
  readonly allocatable: Allocatable;
  requested = { milliCPU: 0, memory: 0, ephemeralStorage: 0 };

  constructor(readonly node: ClusterNode, readonly index: number) {
    this.allocatable = allocatableOf(node);
  }

  get name(): string {
    return this.node.name;
  }

  /** Add a pod, at `at` in the node's list when given (to put back a pod exactly where it was). */
  addPod(p: SchedPod, at = this.pods.length): void {
    this.pods.splice(at, 0, p);
    for (const hp of p.shape.hostPorts) this.usedPorts.add(hp.hostIP, hp.protocol, hp.port, p);
    const r = p.shape.requests;
    this.requested = {
      milliCPU: this.requested.milliCPU + r.milliCPU,
      memory: this.requested.memory + r.memory,
      ephemeralStorage: this.requested.ephemeralStorage + r.ephemeralStorage,
    };
  }

  /** Remove a pod; its former index in the node's list, or -1 when it was not there. */
  removePod(p: SchedPod): number {
    const i = this.pods.indexOf(p);
    if (i < 0) return -1;
    this.pods.splice(i, 1);
    if (p.shape.hostPorts.length > 0) this.usedPorts.remove(p);
    const r = p.shape.requests;
    this.requested = {
      milliCPU: this.requested.milliCPU - r.milliCPU,
      memory: this.requested.memory - r.memory,
      ephemeralStorage: this.requested.ephemeralStorage - r.ephemeralStorage,
    };
    return i;
  }
}
