/**
 * Ref: kubernetes/kubernetes pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go;
 * k8s.io/api core/v1/toleration.go#ToleratesTaint.
 */
import type { Taint } from '../../../model/cluster.js';
import { SUCCESS, unresolvable, type FilterPlugin } from '../framework.js';
import type { Toleration } from '../sched-pod.js';

export const Name = 'TaintToleration';

export function toleratesTaint(t: Toleration, taint: Pick<Taint, 'key' | 'effect' | 'value'>): boolean {
  if (t.effect !== '' && t.effect !== taint.effect) return false;
  if (t.key !== '' && t.key !== taint.key) return false;
  // An empty key with Exists tolerates everything; Equal compares values, an absent value being ''.
  if (t.operator === 'Exists') return true;
  return t.key !== '' && t.value === (taint.value ?? '');
}

/** The first taint with one of `effects` (NoSchedule and NoExecute by default) none of the tolerations tolerates. */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], effects: readonly string[] = ['NoSchedule', 'NoExecute']): Taint | undefined {
  for (const taint of taints) {
    if (!effects.includes(taint.effect)) continue;
    if (!tolerations.some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

export const taintToleration: FilterPlugin = {
  name: Name,
  filter(_state, pod, node) {
    if (node.node.taints.length === 0) return SUCCESS;
    const taint = untoleratedTaint(node.node.taints, pod.shape.tolerations);
    return taint ? unresolvable(Name, untoleratedTaintReason(taint)) : SUCCESS;
  },
};

/** The kubelet's reason when it rejects a pod for a taint. Ref: tainttoleration ErrReasonNotMatch. */
export const ErrReasonNotMatch = "node(s) had taints that the pod didn't tolerate";

/**
 * The kubelet's admission check of taints for a pod bound with nodeName: only NoExecute counts,
 * NoSchedule is the scheduler's business. Ref: kubernetes/kubernetes
 * pkg/kubelet/lifecycle/predicate.go#generalFilter.
 */
export const kubeletTaintToleration: FilterPlugin = {
  name: Name,
  filter(_state, pod, node) {
    if (node.node.taints.length === 0) return SUCCESS;
    return untoleratedTaint(node.node.taints, pod.shape.tolerations, ['NoExecute']) ? unresolvable(Name, ErrReasonNotMatch) : SUCCESS;
  },
};
