/**
 * Placement, rollouts and per-node verdicts as plain data: what `hostnet simulate` and
 * `hostnet explain` print as text and as JSON. Positions point back at the manifests.
 */
import type { Placement, PlacedPod, WorkloadPlacement } from './place.js';
import type { RolloutResult } from './rollout.js';
import type { Status } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { Scheduler } from './schedule-one.js';
import type { SchedPod } from './sched-pod.js';

export interface WorkloadRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly file: string;
  readonly line: number;
}

export interface PortHeldBy {
  /** `0.0.0.0:80/TCP` */
  readonly port: string;
  readonly pod: string;
  readonly workload: WorkloadRef;
}

export interface PodSummary {
  readonly pod: string;
  readonly phase: PlacedPod['phase'];
  readonly node?: string;
  /** Pending: kube-scheduler's message; Failed: the kubelet's admission verdict. */
  readonly message?: string;
  /** Who holds the ports this pod wanted, per node (Pending and Failed pods). */
  readonly blockedBy: ReadonlyArray<{ readonly node: string; readonly holders: readonly PortHeldBy[] }>;
}

export interface WorkloadSummary extends WorkloadRef {
  readonly hostPorts: readonly string[];
  readonly pods: readonly PodSummary[];
  /** DaemonSets: nodes the controller does not run a pod on, and why (DS-1). */
  readonly skippedNodes?: ReadonlyArray<{ readonly node: string; readonly reason: string }>;
}

export interface NodeSummary {
  readonly name: string;
  readonly address?: string;
  readonly pods: ReadonlyArray<{ readonly pod: string; readonly workload: string; readonly hostPorts: readonly string[] }>;
  readonly hostPorts: readonly PortHeldBy[];
}

export interface PlacementSummary {
  readonly cluster: string;
  readonly nodes: readonly NodeSummary[];
  readonly workloads: readonly WorkloadSummary[];
  readonly totals: { readonly pods: number; readonly scheduled: number; readonly pending: number; readonly failed: number };
}

export function workloadRef(w: WorkloadPlacement): WorkloadRef {
  const o = w.view.object;
  const at = o.source.locator.locate([]);
  return { kind: w.view.kind, namespace: w.view.namespace, name: o.name, file: o.source.file, line: at.line };
}

export function formatHostPort(hp: { hostIP: string; port: number; protocol: string }): string {
  const ip = hp.hostIP === '' ? '0.0.0.0' : hp.hostIP;
  return `${ip.includes(':') ? `[${ip}]` : ip}:${hp.port}/${hp.protocol}`;
}

function refOfPod(p: SchedPod, byShape: Map<object, WorkloadRef>): WorkloadRef {
  return byShape.get(p.shape) ?? byShape.get(p.shape.view)!;
}

export function summarizePlacement(placement: Placement): PlacementSummary {
  const byShape = new Map<object, WorkloadRef>();
  for (const w of placement.workloads) {
    const r = workloadRef(w);
    byShape.set(w.shape, r);
    byShape.set(w.view, r);
  }
  const podSummary = (p: PlacedPod): PodSummary => ({
    pod: p.pod.name,
    phase: p.phase,
    ...(p.node === undefined ? {} : { node: p.node }),
    ...(p.fitError ? { message: p.fitError.message } : p.admission ? { message: `the kubelet on ${p.admission.node} rejects it at admission: ${p.admission.status.reasons.join(', ')}` } : {}),
    blockedBy: p.portBlocks.map((b) => ({
      node: b.node,
      holders: b.holders.map((h) => ({ port: formatHostPort(h), pod: h.holder.name, workload: refOfPod(h.holder, byShape) })),
    })),
  });
  let scheduled = 0, pending = 0, failed = 0;
  const workloads = placement.workloads.map((w): WorkloadSummary => {
    for (const p of w.pods) {
      if (p.phase === 'Scheduled') scheduled++;
      else if (p.phase === 'Pending') pending++;
      else failed++;
    }
    const skipped = w.daemonNodes?.filter((d) => !d.shouldRun).map((d) => ({ node: d.node.name, reason: d.reason ?? '' }));
    return {
      ...workloadRef(w),
      hostPorts: [...new Set(w.shape.hostPorts.map(formatHostPort))],
      pods: w.pods.map(podSummary),
      ...(skipped ? { skippedNodes: skipped } : {}),
    };
  });
  const nodes = placement.nodes.map((n): NodeSummary => {
    const address = n.node.addresses.find((a) => a.type === 'InternalIP')?.address;
    return {
      name: n.name,
      ...(address ? { address } : {}),
      pods: n.pods.map((p) => ({ pod: p.name, workload: p.shape.workload, hostPorts: p.shape.hostPorts.map(formatHostPort) })),
      hostPorts: n.usedPorts.all().map((h) => ({ port: formatHostPort(h), pod: h.holder.name, workload: refOfPod(h.holder, byShape) })),
    };
  });
  return { cluster: placement.cluster.name, nodes, workloads, totals: { pods: scheduled + pending + failed, scheduled, pending, failed } };
}

export interface NodeVerdict {
  readonly node: string;
  readonly feasible: boolean;
  /** The plugin that said no, by its kube-scheduler name. */
  readonly plugin?: string;
  readonly reasons: readonly string[];
  /** For NodePorts: who holds the ports. */
  readonly heldBy?: readonly PortHeldBy[];
}

/**
 * For `hostnet explain`: could one more pod of this workload land on each node, given everything
 * placed, and if not which filter says no. DaemonSet pods are judged for the node each would be
 * pinned to; nodes the controller skips say why (DS-1).
 */
export function explainNodes(placement: Placement, w: WorkloadPlacement): NodeVerdict[] {
  const byShape = new Map<object, WorkloadRef>();
  for (const x of placement.workloads) byShape.set(x.shape, workloadRef(x));
  const scheduler = new Scheduler(placement.snapshot);
  const verdict = (n: NodeInfo, s: Status | undefined): NodeVerdict => {
    if (!s || s.code === 'Success') return { node: n.name, feasible: true, reasons: [] };
    const heldBy = s.plugin === 'NodePorts'
      ? w.shape.hostPorts.flatMap((hp) => n.usedPorts.conflicts(hp.hostIP, hp.protocol, hp.port)).map((h) => ({ port: formatHostPort(h), pod: h.holder.name, workload: refOfPod(h.holder, byShape) }))
      : undefined;
    return { node: n.name, feasible: false, ...(s.plugin ? { plugin: s.plugin } : {}), reasons: s.reasons, ...(heldBy ? { heldBy } : {}) };
  };
  if (!w.daemonNodes) {
    const probe: SchedPod = { shape: w.shape, name: `${w.shape.workload} (probe)`, ordinal: -1, revision: 'new' };
    const r = scheduler.schedule(probe, true);
    return placement.nodes.map((n) => verdict(n, r.statuses.get(n.name)));
  }
  const out: NodeVerdict[] = [];
  for (const n of placement.nodes) {
    const daemon = w.daemonNodes.find((d) => d.node.name === n.name);
    if (!daemon || !daemon.shouldRun) {
      out.push({ node: n.name, feasible: false, plugin: 'DaemonSet controller', reasons: [daemon?.reason ?? ''] });
      continue;
    }
    const probe: SchedPod = { shape: w.shape, name: `${w.shape.workload} (probe)`, ordinal: -1, revision: 'new', pinnedTo: n.name };
    // A daemon pod is judged for its node without itself on it.
    const own = w.pods.find((p) => p.pod.pinnedTo === n.name && p.phase === 'Scheduled');
    const at = own ? placement.snapshot.unbind(own.pod, n) : -1;
    try {
      out.push(verdict(n, scheduler.schedule(probe, true).statuses.get(n.name)));
    } finally {
      if (own) placement.snapshot.bind(own.pod, n, at);
    }
  }
  return out;
}

export interface RolloutSummary {
  readonly workload: WorkloadRef;
  readonly strategy: string;
  readonly maxSurge?: number;
  readonly maxUnavailable?: number;
  readonly outcome: RolloutResult['outcome'];
  readonly steps: RolloutResult['steps'];
}

export function summarizeRollout(r: RolloutResult): RolloutSummary {
  return {
    workload: workloadRef(r.workload), strategy: r.strategy, outcome: r.outcome, steps: r.steps,
    ...(r.maxSurge === undefined ? {} : { maxSurge: r.maxSurge }),
    ...(r.maxUnavailable === undefined ? {} : { maxUnavailable: r.maxUnavailable }),
  };
}
