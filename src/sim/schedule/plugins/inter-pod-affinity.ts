/**
 * Required pod affinity and anti-affinity, both ways: the incoming pod's terms against the pods
 * already placed, and the placed pods' anti-affinity terms against the incoming pod. Counted per
 * topology pair (`kubernetes.io/hostname=worker-1`). Ref: kubernetes/kubernetes
 * pkg/scheduler/framework/plugins/interpodaffinity/filtering.go.
 */
import { SKIP, SUCCESS, unresolvable, unschedulable, type CycleState, type FilterPlugin, type Snapshot } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import type { PodAffinityTerm, PodShape } from '../sched-pod.js';

export const Name = 'InterPodAffinity';
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";

const STATE_KEY = `PreFilter${Name}`;

/** Topology values per topology key: `kubernetes.io/hostname` → {worker-1, worker-2}. */
type Pairs = Map<string, Set<string>>;

interface PreFilterState {
  /** Topology pairs where a placed pod's anti-affinity rejects the incoming pod. */
  readonly existingAnti: Pairs;
  /** Per incoming affinity term, the topology values that hold a matching pod. */
  readonly affinity: Set<string>[];
  /** Per incoming anti-affinity term, the topology values that hold a matching pod. */
  readonly anti: Set<string>[];
  readonly anyAffinityMatch: boolean;
  readonly selfMatchesAllAffinity: boolean;
}

export function termMatches(term: PodAffinityTerm, target: PodShape): boolean {
  if (term.namespaces !== undefined && !term.namespaces.has(target.namespace)) return false;
  return term.selector.matches(target.labels);
}

const valueOf = (key: string, node: NodeInfo): string | undefined => node.node.labels[key];

/** The topology values (of the term's key) of the nodes holding a pod the term matches. */
function valuesOf(term: PodAffinityTerm, snapshot: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const [shape, nodes] of snapshot.nodesByShape) {
    if (!termMatches(term, shape)) continue;
    for (const [node, count] of nodes) {
      if (count <= 0) continue;
      const v = valueOf(term.topologyKey, node);
      if (v !== undefined) out.add(v);
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
    const existingAnti: Pairs = new Map();
    for (const other of snapshot.antiAffinityShapes) {
      const nodes = snapshot.nodesByShape.get(other);
      if (!nodes) continue;
      for (const term of other.podAntiAffinity) {
        if (!termMatches(term, shape)) continue;
        for (const [node, count] of nodes) {
          if (count <= 0) continue;
          const v = valueOf(term.topologyKey, node);
          if (v === undefined) continue;
          let set = existingAnti.get(term.topologyKey);
          if (!set) existingAnti.set(term.topologyKey, (set = new Set()));
          set.add(v);
        }
      }
    }
    // Nothing can reject this pod: skip the per-node Filter, as upstream's PreFilter does.
    if (existingAnti.size === 0 && shape.podAffinity.length === 0 && shape.podAntiAffinity.length === 0) return { status: SKIP };
    // A placed pod counts towards the incoming pod's affinity only when it matches every term
    // (updateWithAffinityTerms / podMatchesAllAffinityTerms).
    const affinity = shape.podAffinity.map(() => new Set<string>());
    if (shape.podAffinity.length > 0) {
      for (const [other, nodes] of snapshot.nodesByShape) {
        if (!shape.podAffinity.every((t) => termMatches(t, other))) continue;
        for (const [node, count] of nodes) {
          if (count <= 0) continue;
          shape.podAffinity.forEach((t, i) => {
            const v = valueOf(t.topologyKey, node);
            if (v !== undefined) affinity[i]!.add(v);
          });
        }
      }
    }
    const anti = shape.podAntiAffinity.map((t) => valuesOf(t, snapshot));
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
    // Upstream's order: the pod's own affinity, its anti-affinity, then placed pods' anti-affinity.
    const shape = pod.shape;
    if (shape.podAffinity.length > 0) {
      // The first pod of a group whose affinity points at itself may go anywhere the keys exist.
      const first = !s.anyAffinityMatch && s.selfMatchesAllAffinity;
      for (let i = 0; i < shape.podAffinity.length; i++) {
        const v = valueOf(shape.podAffinity[i]!.topologyKey, node);
        if (v === undefined || (!first && !s.affinity[i]!.has(v))) return unresolvable(Name, ErrReasonAffinityRulesNotMatch);
      }
    }
    for (let i = 0; i < shape.podAntiAffinity.length; i++) {
      const v = valueOf(shape.podAntiAffinity[i]!.topologyKey, node);
      if (v !== undefined && s.anti[i]!.has(v)) return unschedulable(Name, ErrReasonAntiAffinityRulesNotMatch);
    }
    for (const [key, values] of s.existingAnti) {
      const v = valueOf(key, node);
      if (v !== undefined && values.has(v)) return unschedulable(Name, ErrReasonExistingAntiAffinityRulesNotMatch);
    }
    return SUCCESS;
  },
};
