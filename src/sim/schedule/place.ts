/**
 * Place a whole manifest set on a cluster, the way the controllers and kube-scheduler would if it
 * were applied to an empty cluster in input order (`kubectl apply -f` creates objects in that
 * order): each workload's pods in turn, a DaemonSet's pods node by node. Pods bound with
 * `spec.nodeName` skip the scheduler and face the kubelet's admission check (SCHED-7).
 * Pure and deterministic: the same input gives the same placement.
 */
import type { Cluster, ClusterNode } from '../../model/cluster.js';
import type { PodView } from '../../model/pod-view.js';
import type { CycleState, Snapshot, Status } from './framework.js';
import type { PortHolder } from './host-port-info.js';
import { daemonPodShape, nodeShouldRunDaemonPod, type ShouldRun } from './daemonset.js';
import { NodeInfo } from './node-info.js';
import { portConflicts } from './plugins/node-ports.js';
import { KUBELET_ADMISSION_PLUGINS, KUBELET_STATIC_PLUGINS, STATIC_PLUGINS } from './registry.js';
import { runFilterPlugins, Scheduler, type FitError, type ScheduleResult } from './schedule-one.js';
import { podShapeOf, type PodShape, type SchedPod } from './sched-pod.js';

export type PodPhase = 'Scheduled' | 'Pending' | 'Failed';

/** On one node that rejected a pod for its ports: who holds them. */
export interface PortBlock {
  readonly node: string;
  readonly holders: readonly PortHolder<SchedPod>[];
}

export interface PlacedPod {
  readonly pod: SchedPod;
  readonly phase: PodPhase;
  readonly node?: string;
  /** Pending: the scheduler's message, verbatim. */
  readonly fitError?: FitError;
  /** Failed: the kubelet's admission verdict for a pod bound with nodeName (SCHED-7). */
  readonly admission?: { readonly node: string; readonly status: Status };
  /** For pods rejected by NodePorts: the pods holding the ports, per node. */
  readonly portBlocks: readonly PortBlock[];
}

export interface WorkloadPlacement {
  readonly view: PodView;
  /** The pods' shape (for DaemonSets, with the controller's tolerations). */
  readonly shape: PodShape;
  readonly pods: readonly PlacedPod[];
  /** DaemonSets: the controller's verdict for every node (DS-1). */
  readonly daemonNodes?: readonly ShouldRun[];
}

export interface Placement {
  readonly cluster: Cluster;
  readonly nodes: readonly NodeInfo[];
  readonly workloads: readonly WorkloadPlacement[];
  workloadOf(view: PodView): WorkloadPlacement | undefined;
  /**
   * Nodes the workload's pods may land on ignoring every other pod: for a DaemonSet the nodes
   * DS-1 picks; for pods bound with nodeName the node the kubelet admits them on; otherwise the
   * nodes the static filters (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity) accept.
   * Workloads with the same eligible nodes get the same array.
   */
  eligibleNodes(w: WorkloadPlacement): readonly ClusterNode[];
  /** The snapshot at the end of placement, for further cycles (rollouts, explain). */
  readonly snapshot: PlacementSnapshot;
}

export class PlacementSnapshot implements Snapshot {
  readonly nodes: NodeInfo[];
  readonly byName = new Map<string, NodeInfo>();
  readonly nodesByShape = new Map<PodShape, Map<NodeInfo, number>>();
  readonly antiAffinityShapes = new Set<PodShape>();
  /** Bumped by every bind and unbind: two cycles at the same generation see the same cluster. */
  generation = 0;

  constructor(cluster: Cluster) {
    this.nodes = cluster.nodes.map((n, i) => new NodeInfo(n, i));
    for (const n of this.nodes) this.byName.set(n.name, n);
  }

  bind(pod: SchedPod, node: NodeInfo, at?: number): void {
    this.generation++;
    node.addPod(pod, at);
    let m = this.nodesByShape.get(pod.shape);
    if (!m) this.nodesByShape.set(pod.shape, (m = new Map()));
    m.set(node, (m.get(node) ?? 0) + 1);
    if (pod.shape.podAntiAffinity.length > 0) this.antiAffinityShapes.add(pod.shape);
  }

  nodeByName(name: string): NodeInfo | undefined {
    return this.byName.get(name);
  }

  /** Remove a bound pod; returns where it was in the node's list (-1 if it was not there). */
  unbind(pod: SchedPod, node: NodeInfo): number {
    const at = node.removePod(pod);
    if (at < 0) return at;
    this.generation++;
    const m = this.nodesByShape.get(pod.shape);
    if (!m) return at;
    const c = (m.get(node) ?? 0) - 1;
    if (c > 0) m.set(node, c);
    else m.delete(node);
    if (m.size === 0) {
      this.nodesByShape.delete(pod.shape);
      this.antiAffinityShapes.delete(pod.shape);
    }
    return at;
  }
}

function portBlocksOf(pod: SchedPod, result: ScheduleResult, snapshot: PlacementSnapshot): PortBlock[] {
  const out: PortBlock[] = [];
  for (const [name, status] of result.statuses) {
    if (status.plugin !== 'NodePorts') continue;
    const node = snapshot.byName.get(name)!;
    out.push({ node: name, holders: portConflicts(pod, node) });
  }
  return out.sort((a, b) => snapshot.byName.get(a.node)!.index - snapshot.byName.get(b.node)!.index);
}

/** Place one pod with the scheduler (or the kubelet, for nodeName pods) and bind it where it fits. */
export function placePod(pod: SchedPod, scheduler: Scheduler, snapshot: PlacementSnapshot): PlacedPod {
  const nodeName = pod.shape.nodeName;
  if (nodeName !== undefined) {
    const node = snapshot.byName.get(nodeName);
    if (!node) {
      // Bound to a node the cluster does not have: the pod waits for it forever.
      const status: Status = { code: 'UnschedulableAndUnresolvable', reasons: [`node "${nodeName}" is not in the cluster`], plugin: 'NodeName' };
      return { pod, phase: 'Pending', admission: { node: nodeName, status }, portBlocks: [] };
    }
    const status = runFilterPlugins(KUBELET_ADMISSION_PLUGINS, new Map() as CycleState, pod, node);
    if (status.code !== 'Success') {
      const portBlocks = status.plugin === 'NodePorts' ? [{ node: nodeName, holders: portConflicts(pod, node) }] : [];
      return { pod, phase: 'Failed', node: nodeName, admission: { node: nodeName, status }, portBlocks };
    }
    snapshot.bind(pod, node);
    return { pod, phase: 'Scheduled', node: nodeName, portBlocks: [] };
  }
  const result = scheduler.schedule(pod);
  if (result.node) {
    snapshot.bind(pod, result.node);
    return { pod, phase: 'Scheduled', node: result.node.name, portBlocks: [] };
  }
  return { pod, phase: 'Pending', fitError: result.fitError!, portBlocks: portBlocksOf(pod, result, snapshot) };
}

function podName(shape: PodShape, ordinal: number, total: number): string {
  return total === 1 && shape.view.kind === 'Pod' ? shape.workload : `${shape.workload} (pod ${ordinal + 1} of ${total})`;
}

/** How many pods a workload runs at once, for kinds other than DaemonSet; 0 for CronJobs (no Job yet). */
export function desiredPods(view: PodView): number {
  if (view.kind === 'CronJob' || view.kind === 'DaemonSet') return 0;
  const r = view.replicas ?? 1;
  return Number.isInteger(r) && r > 0 ? Math.min(r, 100_000) : 0;
}

export function placeAll(views: readonly PodView[], cluster: Cluster): Placement {
  const snapshot = new PlacementSnapshot(cluster);
  const scheduler = new Scheduler(snapshot);
  const workloads: WorkloadPlacement[] = [];
  const byView = new Map<PodView, WorkloadPlacement>();

  for (const view of views) {
    const template = podShapeOf(view);
    let w: WorkloadPlacement;
    if (view.kind === 'DaemonSet') {
      const shape = daemonPodShape(template);
      const daemonNodes = cluster.nodes.map((n) => nodeShouldRunDaemonPod(template, n));
      const targets = daemonNodes.filter((d) => d.shouldRun);
      const pods = targets.map((d, i) =>
        placePod({ shape, name: `${shape.workload} (pod for ${d.node.name})`, ordinal: i, pinnedTo: d.node.name, revision: 'current' }, scheduler, snapshot));
      w = { view, shape, pods, daemonNodes };
    } else {
      const total = desiredPods(view);
      const pods: PlacedPod[] = [];
      let waited: { generation: number; placed: PlacedPod } | undefined;
      for (let i = 0; i < total; i++) {
        const pod: SchedPod = { shape: template, name: podName(template, i, total), ordinal: i, revision: 'current' };
        // A replica that found no node, with nothing bound since, tells the next one its fate: the
        // same filters on the same cluster give the same verdict, so reuse it (100 replicas on 3 nodes).
        if (waited && waited.generation === snapshot.generation) {
          pods.push({ ...waited.placed, pod });
          continue;
        }
        const placed = placePod(pod, scheduler, snapshot);
        pods.push(placed);
        waited = placed.phase === 'Scheduled' ? undefined : { generation: snapshot.generation, placed };
      }
      w = { view, shape: template, pods };
    }
    workloads.push(w);
    byView.set(view, w);
  }

  const eligibleCache = new Map<string, ClusterNode[]>();
  const eligibleNodes = (w: WorkloadPlacement): readonly ClusterNode[] => {
    if (w.daemonNodes) {
      // DaemonSets that run on the same nodes share one list, so callers can compare lists by identity.
      const nodes = w.daemonNodes.filter((d) => d.shouldRun).map((d) => d.node);
      const key = `ds\u0000${nodes.map((n) => n.name).join('\u0000')}`;
      const hit = eligibleCache.get(key);
      if (hit) return hit;
      eligibleCache.set(key, nodes);
      return nodes;
    }
    const s = w.shape;
    const key = JSON.stringify([s.nodeName, s.nodeSelector, s.requiredNodeAffinity, s.tolerations]);
    let hit = eligibleCache.get(key);
    if (!hit) {
      const probe: SchedPod = { shape: s, name: s.workload, ordinal: 0, revision: 'current' };
      // A pod bound with nodeName skips the scheduler: only the kubelet's own checks apply (SCHED-7).
      const plugins = s.nodeName === undefined ? STATIC_PLUGINS : KUBELET_STATIC_PLUGINS;
      hit = snapshot.nodes
        .filter((n) => runFilterPlugins(plugins, new Map(), probe, n).code === 'Success')
        .map((n) => n.node);
      eligibleCache.set(key, hit);
    }
    return hit;
  };

  return { cluster, nodes: snapshot.nodes, workloads, workloadOf: (v) => byView.get(v), eligibleNodes, snapshot };
}
