/**
 * Play one workload's rollout to a new template on the placed cluster, step by step: each step is
 * one pass of the controller (Deployment or DaemonSet) followed by the scheduler retrying the pods
 * that wait. New pods are assumed to become available as soon as they are bound; the rollout
 * stalls when a pass changes nothing before it is done. The placement is restored afterwards.
 * Ref: kubernetes/kubernetes pkg/controller/deployment/rolling.go (reconcileNewReplicaSet,
 * reconcileOldReplicaSets, cleanupUnhealthyReplicas), recreate.go, deployment/util
 * (NewRSNewReplicas, ResolveFenceposts); pkg/controller/daemon/update.go#rollingUpdate (DS-4, DS-5).
 */
import type { NodeInfo } from './node-info.js';
import { desiredPods, placePod, type PlacedPod, type Placement, type PlacementSnapshot, type WorkloadPlacement } from './place.js';
import { resolveFenceposts, scaledValue } from './int-or-percent.js';
import { Scheduler } from './schedule-one.js';
import type { SchedPod } from './sched-pod.js';

export interface RolloutEvent {
  readonly action: 'create' | 'delete' | 'bind' | 'wait';
  readonly pod: string;
  readonly node?: string;
  /** For `wait`: why the pod cannot be bound, in the scheduler's words. */
  readonly message?: string;
}

export interface RolloutStep {
  readonly step: number;
  readonly events: readonly RolloutEvent[];
  /** After the step: old pods left, new pods bound, new pods waiting. */
  readonly old: number;
  readonly newBound: number;
  readonly newWaiting: number;
}

export type RolloutOutcome = 'complete' | 'stalled' | 'manual';

export interface RolloutResult {
  readonly workload: WorkloadPlacement;
  /** `RollingUpdate`, `Recreate`, `OnDelete`. */
  readonly strategy: string;
  /** Resolved numbers of pods, for RollingUpdate. */
  readonly maxSurge?: number;
  readonly maxUnavailable?: number;
  readonly outcome: RolloutOutcome;
  readonly steps: readonly RolloutStep[];
  /** When stalled: the new pods that wait, with the scheduler's verdict at the last step. */
  readonly waiting: readonly PlacedPod[];
}

interface Slot {
  readonly pod: SchedPod;
  node?: NodeInfo;
  last?: PlacedPod;
}

/** bind/unbind with an undo log, so a rollout leaves the shared placement as it found it. */
class Journal {
  private readonly undo: Array<() => void> = [];
  constructor(readonly snapshot: PlacementSnapshot) {}

  place(slot: Slot, scheduler: Scheduler): PlacedPod {
    const placed = placePod(slot.pod, scheduler, this.snapshot);
    slot.last = placed;
    if (placed.phase === 'Scheduled') {
      const node = this.snapshot.byName.get(placed.node!)!;
      slot.node = node;
      this.undo.push(() => this.snapshot.unbind(slot.pod, node));
    }
    return placed;
  }

  remove(slot: Slot): void {
    const node = slot.node;
    if (!node) return;
    const at = this.snapshot.unbind(slot.pod, node);
    this.undo.push(() => this.snapshot.bind(slot.pod, node, at));
  }

  revert(): void {
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
  }
}

const MAX_STEPS = 10_000;

function oldSlots(w: WorkloadPlacement, snapshot: PlacementSnapshot): Slot[] {
  return w.pods.map((p) => (p.phase === 'Scheduled' ? { pod: p.pod, node: snapshot.byName.get(p.node!)!, last: p } : { pod: p.pod, last: p }));
}

/** Retry the waiting new pods (a deletion re-queues them, SCHED-5); record binds. */
function retry(waiting: Slot[], journal: Journal, scheduler: Scheduler, events: RolloutEvent[]): void {
  for (const s of waiting) {
    if (s.node) continue;
    const p = journal.place(s, scheduler);
    if (p.phase === 'Scheduled') events.push({ action: 'bind', pod: s.pod.name, node: p.node! });
  }
}

function createAndPlace(slot: Slot, journal: Journal, scheduler: Scheduler, events: RolloutEvent[]): void {
  events.push({ action: 'create', pod: slot.pod.name, ...(slot.pod.pinnedTo ? { node: slot.pod.pinnedTo } : {}) });
  const p = journal.place(slot, scheduler);
  if (p.phase === 'Scheduled') events.push({ action: 'bind', pod: slot.pod.name, node: p.node! });
}

function waitEvents(slots: readonly Slot[]): RolloutEvent[] {
  return slots.filter((s) => !s.node).map((s) => ({
    action: 'wait' as const, pod: s.pod.name,
    message: s.last?.fitError?.message ?? (s.last?.admission ? s.last.admission.status.reasons.join(', ') : 'not yet scheduled'),
  }));
}

function deploymentRollout(w: WorkloadPlacement, journal: Journal, scheduler: Scheduler, snapshotSteps: RolloutStep[]): Pick<RolloutResult, 'maxSurge' | 'maxUnavailable'> & { done: boolean; newSlots: Slot[] } {
  const replicas = desiredPods(w.view);
  const old = oldSlots(w, journal.snapshot);
  const fresh: Slot[] = [];
  const newPod = (i: number): Slot => ({ pod: { shape: w.shape, name: `${w.shape.workload} (new pod ${i + 1} of ${replicas})`, ordinal: i, revision: 'new' } });
  const record = (events: RolloutEvent[]): void => {
    snapshotSteps.push({ step: snapshotSteps.length + 1, events: [...events, ...waitEvents(fresh)], old: old.length, newBound: fresh.filter((s) => s.node).length, newWaiting: fresh.filter((s) => !s.node).length });
  };
  const deleteOld = (s: Slot, events: RolloutEvent[]): void => {
    journal.remove(s);
    old.splice(old.indexOf(s), 1);
    events.push({ action: 'delete', pod: s.pod.name, ...(s.node ? { node: s.node.name } : {}) });
  };
  const done = (): boolean => old.length === 0 && fresh.length === replicas && fresh.every((s) => s.node);

  if (w.view.strategy.type === 'Recreate') {
    const events: RolloutEvent[] = [];
    for (const s of [...old]) deleteOld(s, events);
    record(events);
    const create: RolloutEvent[] = [];
    for (let i = 0; i < replicas; i++) {
      const s = newPod(i);
      fresh.push(s);
      createAndPlace(s, journal, scheduler, create);
    }
    record(create);
    return { done: done(), newSlots: fresh };
  }

  const f = resolveFenceposts(w.view.strategy.maxSurge, w.view.strategy.maxUnavailable, replicas) ?? { surge: 1, unavailable: 0 };
  for (let guard = 0; guard < MAX_STEPS && !done(); guard++) {
    const events: RolloutEvent[] = [];
    retry(fresh, journal, scheduler, events);
    // Scale the new ReplicaSet up to replicas + maxSurge pods in all.
    const total = old.length + fresh.length;
    const scaleUp = Math.min(replicas + f.surge - total, replicas - fresh.length);
    for (let i = 0; i < scaleUp; i++) {
      const s = newPod(fresh.length);
      fresh.push(s);
      createAndPlace(s, journal, scheduler, events);
    }
    // Scale old pods down while at least replicas − maxUnavailable stay available.
    const all = old.length + fresh.length;
    const minAvailable = replicas - f.unavailable;
    const newUnavailable = fresh.filter((s) => !s.node).length;
    let maxScaledDown = all - minAvailable - newUnavailable;
    // Unhealthy old pods go first (cleanupUnhealthyReplicas), newest first among the rest.
    for (const s of old.filter((x) => !x.node)) {
      if (maxScaledDown <= 0) break;
      deleteOld(s, events);
      maxScaledDown--;
    }
    const available = old.filter((x) => x.node).length + fresh.filter((x) => x.node).length;
    let scaleDown = Math.min(maxScaledDown, available - minAvailable);
    for (const s of [...old].reverse()) {
      if (scaleDown <= 0) break;
      deleteOld(s, events);
      scaleDown--;
    }
    retry(fresh, journal, scheduler, events);
    if (events.length === 0) break;
    record(events);
  }
  return { done: done(), newSlots: fresh, maxSurge: f.surge, maxUnavailable: f.unavailable };
}

function daemonSetRollout(w: WorkloadPlacement, journal: Journal, scheduler: Scheduler, steps: RolloutStep[]): Pick<RolloutResult, 'maxSurge' | 'maxUnavailable'> & { done: boolean; newSlots: Slot[] } {
  const targets = (w.daemonNodes ?? []).filter((d) => d.shouldRun).map((d) => d.node.name);
  const n = targets.length;
  let surge = scaledValue(w.view.strategy.maxSurge, n, true) ?? 0;
  let unavailable = scaledValue(w.view.strategy.maxUnavailable, n, true) ?? 1;
  if (surge === 0 && unavailable === 0) unavailable = 1;
  if (surge > 0) unavailable = 0;
  const old = new Map<string, Slot>();
  for (const s of oldSlots(w, journal.snapshot)) old.set(s.pod.pinnedTo!, s);
  const fresh = new Map<string, Slot>();
  const newPod = (node: string): Slot => ({ pod: { shape: w.shape, name: `${w.shape.workload} (new pod for ${node})`, ordinal: targets.indexOf(node), pinnedTo: node, revision: 'new' } });
  const create = (node: string, events: RolloutEvent[]): void => {
    const s = newPod(node);
    fresh.set(node, s);
    createAndPlace(s, journal, scheduler, events);
  };
  const deleteOld = (node: string, events: RolloutEvent[]): void => {
    const s = old.get(node)!;
    journal.remove(s);
    old.delete(node);
    events.push({ action: 'delete', pod: s.pod.name, node });
  };
  const done = (): boolean => old.size === 0 && targets.every((t) => fresh.get(t)?.node);

  for (let guard = 0; guard < MAX_STEPS && !done(); guard++) {
    const events: RolloutEvent[] = [];
    retry([...fresh.values()], journal, scheduler, events);
    if (surge === 0) {
      // DS-4: unavailable old pods go at once; available ones while the unavailable count stays below maxUnavailable.
      for (const t of targets) if (old.get(t) && !old.get(t)!.node && !fresh.has(t)) deleteOld(t, events);
      const unavailableNow = targets.filter((t) => !old.get(t)?.node && !fresh.get(t)?.node).length;
      let budget = unavailable - unavailableNow;
      for (const t of targets) {
        if (budget <= 0) break;
        if (old.get(t)?.node && !fresh.has(t)) {
          deleteOld(t, events);
          budget--;
        }
      }
      for (const t of targets) if (!old.has(t) && !fresh.has(t)) create(t, events);
    } else {
      // DS-5: the old pod goes only once the new pod on its node is available; at most maxSurge new pods wait at once.
      for (const t of targets) if (old.has(t) && fresh.get(t)?.node) deleteOld(t, events);
      for (const t of targets) {
        if (old.has(t) && !old.get(t)!.node && !fresh.has(t)) {
          deleteOld(t, events);
          create(t, events);
        }
      }
      let inFlight = [...fresh.values()].filter((s) => !s.node).length;
      for (const t of targets) {
        if (inFlight >= surge) break;
        if (old.get(t)?.node && !fresh.has(t)) {
          create(t, events);
          if (!fresh.get(t)!.node) inFlight++;
        }
      }
      for (const t of targets) if (!old.has(t) && !fresh.has(t)) create(t, events);
      for (const t of targets) if (old.has(t) && fresh.get(t)?.node) deleteOld(t, events);
    }
    if (events.length === 0) break;
    steps.push({ step: steps.length + 1, events: [...events, ...waitEvents([...fresh.values()])], old: old.size, newBound: [...fresh.values()].filter((s) => s.node).length, newWaiting: [...fresh.values()].filter((s) => !s.node).length });
  }
  return { done: done(), newSlots: [...fresh.values()], maxSurge: surge, maxUnavailable: unavailable };
}

/** Whether the workload kind has a rollout hostnet plays. */
export function hasRollout(w: WorkloadPlacement): boolean {
  return w.view.kind === 'Deployment' || w.view.kind === 'DaemonSet';
}

export function playRollout(placement: Placement, w: WorkloadPlacement): RolloutResult {
  const strategy = w.view.strategy.type;
  if (!hasRollout(w) || strategy === 'OnDelete' || (strategy !== 'RollingUpdate' && strategy !== 'Recreate')) {
    return { workload: w, strategy, outcome: 'manual', steps: [], waiting: [] };
  }
  const journal = new Journal(placement.snapshot);
  const scheduler = new Scheduler(placement.snapshot);
  const steps: RolloutStep[] = [];
  try {
    const r = w.view.kind === 'DaemonSet' ? daemonSetRollout(w, journal, scheduler, steps) : deploymentRollout(w, journal, scheduler, steps);
    const waiting = r.newSlots.filter((s) => !s.node && s.last).map((s) => s.last!);
    return {
      workload: w, strategy, outcome: r.done ? 'complete' : 'stalled', steps, waiting,
      ...(r.maxSurge === undefined ? {} : { maxSurge: r.maxSurge }),
      ...(r.maxUnavailable === undefined ? {} : { maxUnavailable: r.maxUnavailable }),
    };
  } finally {
    journal.revert();
  }
}
