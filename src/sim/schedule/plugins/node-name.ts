/** Ref: kubernetes/kubernetes pkg/scheduler/framework/plugins/nodename/node_name.go. */
import { SUCCESS, unresolvable, type FilterPlugin } from '../framework.js';

export const Name = 'NodeName';
export const ErrReason = "node(s) didn't match the requested node name";

export const nodeName: FilterPlugin = {
  name: Name,
  filter(_state, pod, node) {
    const wanted = pod.shape.nodeName;
    return wanted === undefined || wanted === node.name ? SUCCESS : unresolvable(Name, ErrReason);
  },
};
