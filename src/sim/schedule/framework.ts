/**
 * The shape of kube-scheduler's framework, reduced to what placement needs: Filter plugins with
 * an optional PreFilter, returning Status values. Expected outcomes (a node that does not fit) are
 * data; only a broken invariant throws. Ref: kubernetes/kubernetes
 * pkg/scheduler/framework/interface.go (Status, Code, FilterPlugin, PreFilterResult).
 */
import type { NodeInfo } from './node-info.js';
import type { PodShape, SchedPod } from './sched-pod.js';

export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Skip';

export interface Status {
  readonly code: StatusCode;
  /** kube-scheduler's own reason strings, verbatim: what `kubectl describe pod` shows. */
  readonly reasons: readonly string[];
  /** The plugin that said no. */
  readonly plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: [] });
export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: [] });

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

/** A PreFilter may narrow the nodes to try (NodeAffinity does for DaemonSet pods pinned by DS-2). */
export interface PreFilterResult {
  readonly status: Status;
  /** Undefined means all nodes. */
  readonly nodeNames?: ReadonlySet<string>;
}

/** Data a PreFilter computes once per pod and its Filter reads per node (upstream's CycleState). */
export type CycleState = Map<string, unknown>;

/** The nodes as they are when a pod is scheduled. */
export interface Snapshot {
  readonly nodes: readonly NodeInfo[];
  nodeByName(name: string): NodeInfo | undefined;
  /** Where the pods of each shape run, and how many on each node: affinity reads this, not every pod. */
  readonly nodesByShape: ReadonlyMap<PodShape, ReadonlyMap<NodeInfo, number>>;
  /** The placed shapes with required pod anti-affinity, which every incoming pod is checked against. */
  readonly antiAffinityShapes: ReadonlySet<PodShape>;
}

export interface FilterPlugin {
  readonly name: string;
  preFilter?(state: CycleState, pod: SchedPod, snapshot: Snapshot): PreFilterResult;
  filter(state: CycleState, pod: SchedPod, node: NodeInfo): Status;
}
