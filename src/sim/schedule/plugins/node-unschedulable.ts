/** Ref: kubernetes/kubernetes pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go. */
import { SUCCESS, unresolvable, type FilterPlugin } from '../framework.js';
import { toleratesTaint } from './taint-toleration.js';

export const Name = 'NodeUnschedulable';
export const ErrReasonUnschedulable = 'node(s) were unschedulable';

const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' } as const;

export const nodeUnschedulable: FilterPlugin = {
  name: Name,
  filter(_state, pod, node) {
    if (!node.node.unschedulable) return SUCCESS;
    // A cordoned node still takes pods that tolerate its unschedulable taint (DaemonSet pods, DS-3).
    if (pod.shape.tolerations.some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT))) return SUCCESS;
    return unresolvable(Name, ErrReasonUnschedulable);
  },
};
