/**
 * The Filter plugins hostnet runs, in the order of kube-scheduler's default profile. Each node is
 * rejected by the first plugin that says no, as upstream's RunFilterPlugins does. Volume, topology
 * spread and scheduling-gate plugins are not modelled: manifests alone do not decide them.
 * Ref: kubernetes/kubernetes pkg/scheduler/apis/config/v1/default_plugins.go.
 */
import type { FilterPlugin } from './framework.js';
import { interPodAffinity } from './plugins/inter-pod-affinity.js';
import { nodeAffinity } from './plugins/node-affinity.js';
import { nodeName } from './plugins/node-name.js';
import { nodePorts } from './plugins/node-ports.js';
import { nodeResourcesFit } from './plugins/node-resources-fit.js';
import { nodeUnschedulable } from './plugins/node-unschedulable.js';
import { kubeletTaintToleration, taintToleration } from './plugins/taint-toleration.js';

export const FILTER_PLUGINS: readonly FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
  interPodAffinity,
];

/**
 * What the kubelet re-checks when it admits a pod bound with `spec.nodeName` (SCHED-7, plus
 * untolerated NoExecute taints, which SCHED-7 leaves out).
 * Ref: kubernetes/kubernetes pkg/kubelet/lifecycle/predicate.go#generalFilter.
 */
export const KUBELET_ADMISSION_PLUGINS: readonly FilterPlugin[] = [nodeName, nodeAffinity, kubeletTaintToleration, nodePorts, nodeResourcesFit];

/** The kubelet's checks that do not depend on other pods: where a pod bound with nodeName can run. */
export const KUBELET_STATIC_PLUGINS: readonly FilterPlugin[] = [nodeName, nodeAffinity, kubeletTaintToleration];

/** Plugins whose verdict does not depend on the other pods: a node they reject stays rejected. */
export const STATIC_PLUGINS: readonly FilterPlugin[] = [nodeUnschedulable, nodeName, taintToleration, nodeAffinity];
