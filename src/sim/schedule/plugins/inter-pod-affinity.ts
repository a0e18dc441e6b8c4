/**
 * Required pod affinity and anti-affinity, both ways: the incoming pod's terms against the pods
 * already placed, and the placed pods' anti-affinity terms against the incoming pod. Counted per
 * topology pair (`kubernetes.io/hostname=worker-1`). Ref: kubernetes/kubernetes
 * pkg/scheduler/framework/plugins/interpodaffinity/filtering.go.
 */
import { SKIP, SUCCESS, unschedulable, type CycleState, type FilterPlugin, type Snapshot } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodAffinityTerm, PodShape } from '../sched-pod.js';

export const Name = 'InterPodAffinity';
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";

const STATE_KEY = `PreFilter${Name}`;

interface PreFilterState {
  /** Topology pairs where a placed pod's anti-affinity rejects the incoming pod. */
  readonly existingAnti: Set<string>;
  /** Per incoming affinity term, the topology pairs that hold a matching pod. */
  readonly affinity: Set<string>[];
  /** Per incoming anti-affinity term, the topology pairs that hold a matching pod. */
  readonly anti: Set<string>[];
  readonly anyAffinityMatch: boolean;
  readonly selfMatchesAllAffinity: boolean;
}

export function termMatches(term: PodAffinityTerm, target: PodShape): boolean {
  if (term.namespaces !== undefined && !term.namespaces.has(target.namespace)) return false;
  return term.selector.matches(target.labels);
}

const pair = (key: string, node: NodeInfo): string | undefined => {
  const v = node.node.labels[key];
  return v === undefined ? undefined : `${key}=${v}`;
};

function pairsOf(term: PodAffinityTerm, snapshot: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const [shape, nodes] of snapshot.nodesByShape) {
    if (!termMatches(term, shape)) continue;
    for (const [node, count] of nodes) {
      if (count <= 0) continue;
      const p = pair(term.topologyKey, node);
      if (p) out.add(p);
    }
  }
  return out;
}

export const interPodAffinity: FilterPlugin = {
  name: Name,
  preFilter(state: CycleState, pod, snapshot) {
    const shape = pod.shape;
    if (shape.podAffinity.length === 0 && shape.podAntiAffinity.length === 0 && snapshot.antiAffinityShapes.size === 0) {
      return { status: SKIP };
    }
    const existingAnti = new Set<string>();
    for (const other of snapshot.antiAffinityShapes) {
      const nodes = snapshot.nodesByShape.get(other);
      if (!nodes) continue;
      for (const term of other.podAntiAffinity) {
        if (!termMatches(term, shape)) continue;
        for (const [node, count] of nodes) {
          if (count <= 0) continue;
          const p = pair(term.topologyKey, node);
          if (p) existingAnti.add(p);
        }
      }
    }
    const affinity = shape.podAffinity.map((t) => pairsOf(t, snapshot));
    const anti = shape.podAntiAffinity.map((t) => pairsOf(t, snapshot));
    const s: PreFilterState = {
      existingAnti, affinity, anti,
      anyAffinityMatch: affinity.some((x) => x.size > 0),
      selfMatchesAllAffinity: shape.podAffinity.every((t) => termMatches(t, shape)),
    };
    state.set(STATE_KEY, s);
    return { status: SUCCESS };
  },
  filter(state, pod, node) {
    const s = state.get(STATE_KEY) as PreFilterState | undefined;
    if (!s) throw new Error('hostnet bug: InterPodAffinity Filter ran without its PreFilter');
    for (const p of s.existingAnti) {
      const key = p.slice(0, p.indexOf('='));
      if (pair(key, node) === p) return unschedulable(Name, ErrReasonExistingAntiAffinityRulesNotMatch);
    }
    const shape = pod.shape;
    for (let i = 0; i < shape.podAntiAffinity.length; i++) {
      const p = pair(shape.podAntiAffinity[i]!.topologyKey, node);
      if (p !== undefined && s.anti[i]!.has(p)) return unschedulable(Name, ErrReasonAntiAffinityRulesNotMatch);
    }
    if (shape.podAffinity.length > 0) {
      // The first pod of a group whose affinity points at itself may go anywhere the key exists.
      const first = !s.anyAffinityMatch && s.selfMatchesAllAffinity;
      for (let i = 0; i < shape.podAffinity.length; i++) {
        const p = pair(shape.podAffinity[i]!.topologyKey, node);
        if (p === undefined || (!first && !s.affinity[i]!.has(p))) return unschedulable(Name, ErrReasonAffinityRulesNotMatch);
      }
    }
    return SUCCESS;
  },
};
